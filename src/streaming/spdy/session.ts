// A SPDY/3.1 connection over any byte stream (a TCP/TLS socket after an HTTP upgrade, or the
// WebSocket tunnel kubectl 1.31+ uses for port-forward). Streams are opened by the client (kubectl);
// the server answers each SYN_STREAM with an empty SYN_REPLY, as Kubernetes does, and then both
// sides exchange DATA frames until each half-closes with FIN.
//
// Flow control: Go's spdystream (what kubectl uses) neither sends nor honours WINDOW_UPDATE, so
// windows are not enforced here either; WINDOW_UPDATE and SETTINGS frames are read and ignored.
// Incoming frames are handled strictly in order (header blocks are decompressed asynchronously),
// and outgoing frames are written in the order they were queued.

import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import {
  DATA_CHUNK,
  FLAG_FIN,
  FrameReader,
  FrameType,
  RstStatus,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  parseStreamHeaders,
  parseSynStream,
  parseWords,
  type Frame,
  type HeaderMap,
} from "./frames.js";
import { HeaderCompressor, HeaderDecompressor } from "./header-codec.js";

export class SpdyStream extends EventEmitter {
  localEnded = false;
  remoteEnded = false;
  reset_ = false;
  /** Set once the peer answered (client side) or the reply was queued (server side). */
  replied = false;

  constructor(
    readonly session: SpdySession,
    readonly id: number,
    readonly headers: HeaderMap,
  ) {
    super();
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Queues data; returns false when the connection's output is backed up (wait for 'drain' on the session). */
  write(data: Buffer): boolean {
    if (this.localEnded || this.reset_ || this.session.closed) return false;
    for (let off = 0; off < data.length; off += DATA_CHUNK) {
      this.session.queue(encodeData(this.id, data.subarray(off, off + DATA_CHUNK), false));
    }
    return !this.session.backedUp;
  }

  /** Half-closes our side (an empty DATA frame with FIN). */
  end(data?: Buffer): void {
    if (data?.length) this.write(data);
    if (this.localEnded || this.reset_) return;
    this.localEnded = true;
    if (!this.session.closed) this.session.queue(encodeData(this.id, Buffer.alloc(0), true));
    this.session.maybeForget(this);
  }

  reset(status: number = RstStatus.Cancel): void {
    if (this.reset_) return;
    this.reset_ = true;
    if (!this.session.closed) this.session.queue(encodeRstStream(this.id, status));
    this.session.forget(this);
    this.emit("reset");
  }
}

export interface SpdySessionOptions {
  /** Server side: streams are opened by the peer (odd ids) and answered with SYN_REPLY. */
  server: boolean;
  log?: (msg: string) => void;
}

export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly inflate = new HeaderDecompressor();
  private readonly deflate = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private inChain: Promise<void> = Promise.resolve();
  private outChain: Promise<void> = Promise.resolve();
  private nextId: number;
  private lastRemoteId = 0;
  private pendingOut = 0;
  closed = false;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    super();
    this.nextId = opts.server ? 2 : 1;
    transport.on("data", (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const f of frames) this.inChain = this.inChain.then(() => this.handle(f)).catch((err: Error) => this.fail(err));
    });
    // Frames already received are handled before the end of the connection is.
    const endAfterFrames = () => void this.inChain.then(() => this.shutdown());
    transport.on("end", endAfterFrames);
    transport.on("close", endAfterFrames);
    transport.on("error", (err: Error) => {
      opts.log?.(`spdy transport: ${err.message}`);
      this.shutdown();
    });
    transport.on("drain", () => this.emit("drain"));
  }

  get backedUp(): boolean {
    return this.pendingOut > 1024 * 1024 || this.transport.writableNeedDrain;
  }

  /** Queues an already encoded frame, or one whose header block is still being compressed. */
  queue(frame: Buffer | Promise<Buffer>): void {
    const size = Buffer.isBuffer(frame) ? frame.length : 0;
    this.pendingOut += size;
    this.outChain = this.outChain
      .then(async () => {
        const buf = await frame;
        this.pendingOut -= size;
        if (this.transport.writable) this.transport.write(buf);
      })
      .catch((err: Error) => this.fail(err));
  }

  /** Client side: opens a stream with these headers; resolves once the server replied. */
  openStream(headers: Record<string, string>, fin = false): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    const map: HeaderMap = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    const s = new SpdyStream(this, id, map);
    this.streams.set(id, s);
    this.queue(this.deflate.compress(encodeHeaderBlock(map)).then((block) => encodeSynStream(id, 0, 0, fin ? FLAG_FIN : 0, block)));
    if (fin) s.localEnded = true;
    return s;
  }

  ping(id: number): void {
    this.queue(encodePing(id));
  }

  /** Sends GOAWAY after everything queued, then ends the transport. */
  close(): Promise<void> {
    if (this.closed) return this.outChain;
    this.queue(encodeGoAway(this.lastRemoteId, 0));
    const done = this.outChain.then(() => {
      this.transport.end();
      this.shutdown();
    });
    return done;
  }

  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
  }

  maybeForget(s: SpdyStream): void {
    if (s.localEnded && s.remoteEnded) this.forget(s);
  }

  private fail(err: Error): void {
    this.opts.log?.(`spdy: ${err.message}`);
    this.transport.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      if (!s.remoteEnded) {
        s.remoteEnded = true;
        s.emit("end");
      }
      s.emit("close");
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.emit("close");
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) {
        if (f.data.length || !(f.flags & FLAG_FIN)) this.queue(encodeRstStream(f.streamId, RstStatus.InvalidStream));
        return;
      }
      if (f.data.length) s.emit("data", Buffer.from(f.data));
      if (f.flags & FLAG_FIN) this.remoteFin(s);
      return;
    }
    switch (f.type) {
      case FrameType.SynStream: {
        const syn = parseSynStream(f.payload);
        const headers = decodeHeaderBlock(await this.inflate.decompress(syn.headerBlock));
        this.lastRemoteId = Math.max(this.lastRemoteId, syn.streamId);
        const s = new SpdyStream(this, syn.streamId, headers);
        this.streams.set(syn.streamId, s);
        if (this.opts.server) {
          s.replied = true;
          this.queue(this.deflate.compress(encodeHeaderBlock(new Map())).then((block) => encodeSynReply(syn.streamId, 0, block)));
        }
        this.emit("stream", s);
        if (f.flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        const { streamId, headerBlock } = parseStreamHeaders(f.payload);
        await this.inflate.decompress(headerBlock); // keeps the shared zlib context in step
        const s = this.streams.get(streamId);
        if (!s) return;
        if (f.type === FrameType.SynReply) {
          s.replied = true;
          s.emit("reply");
        }
        if (f.flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.RstStream: {
        const [id] = parseWords(f.payload);
        const s = this.streams.get(id & 0x7fffffff);
        if (!s) return;
        s.reset_ = true;
        this.forget(s);
        if (!s.remoteEnded) {
          s.remoteEnded = true;
          s.emit("end");
        }
        s.emit("reset");
        return;
      }
      case FrameType.Ping: {
        const [id] = parseWords(f.payload);
        // Answer the peer's pings (odd ids from a client, even from a server); ours come back as 'pong'.
        if ((id % 2 === 1) === this.opts.server) this.queue(encodePing(id));
        else this.emit("pong", id);
        return;
      }
      case FrameType.GoAway:
        this.transport.end();
        this.shutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown control frames: nothing to do.
        return;
    }
  }

  private remoteFin(s: SpdyStream): void {
    if (s.remoteEnded) return;
    s.remoteEnded = true;
    s.emit("end");
    this.maybeForget(s);
  }
}
