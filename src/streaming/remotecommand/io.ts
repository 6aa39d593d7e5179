// One interface over the two transports of exec/attach: a WebSocket with channel bytes, or a SPDY
// connection with one stream per channel. The kubelet's exec and attach handlers use only this.
//
// Events: 'stdin' (Buffer), 'stdin-end', 'resize' (TerminalSize), 'close' (client went away).

import { EventEmitter } from "node:events";
import type { WebSocket } from "ws";
import type { SpdySession, SpdyStream } from "../spdy/session.js";
import {
  Channel,
  JsonObjectSplitter,
  decodeChannel,
  encodeChannel,
  exitMessage,
  parseTerminalSize,
  protocolVersion,
  type ExecResult,
  type ProtocolVersion,
  type StreamOptions,
} from "./protocol.js";

export interface RemoteCommandIO extends EventEmitter {
  readonly options: StreamOptions;
  readonly version: ProtocolVersion;
  writeStdout(data: Buffer): boolean;
  writeStderr(data: Buffer): boolean;
  /** Reports the result on the error channel and closes everything. */
  finish(result: ExecResult): Promise<void>;
  /** Closes without a result (the client is gone). */
  abort(): void;
}

export class WebSocketRemoteCommand extends EventEmitter implements RemoteCommandIO {
  readonly version: ProtocolVersion;
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    protocol: string,
    readonly options: StreamOptions,
  ) {
    super();
    this.version = protocolVersion(protocol);
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const m = decodeChannel(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
      if (!m) return;
      if (m.channel === Channel.Stdin) {
        if (m.data.length) this.emit("stdin", m.data);
      } else if (m.channel === Channel.Resize) {
        const size = parseTerminalSize(m.data.toString("utf8"));
        if (size) this.emit("resize", size);
      } else if (m.channel === Channel.Close && this.version >= 5) {
        if (m.data[0] === Channel.Stdin) this.emit("stdin-end");
      }
    });
    ws.on("close", () => {
      if (!this.done) {
        this.done = true;
        this.emit("stdin-end");
        this.emit("close");
      }
    });
    ws.on("error", () => ws.terminate());
  }

  private send(channel: number, data: Buffer): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(encodeChannel(channel, data), { binary: true });
    return this.ws.bufferedAmount < 1024 * 1024;
  }

  writeStdout(data: Buffer): boolean {
    return this.send(Channel.Stdout, data);
  }

  writeStderr(data: Buffer): boolean {
    return this.send(this.options.tty ? Channel.Stdout : Channel.Stderr, data);
  }

  async finish(result: ExecResult): Promise<void> {
    if (this.done) return;
    const msg = exitMessage(result, this.version);
    if (msg !== undefined) this.send(Channel.Error, Buffer.from(msg, "utf8"));
    this.done = true;
    await new Promise<void>((resolve) => {
      if (this.ws.readyState !== this.ws.OPEN) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close(1000);
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 5000).unref();
    });
  }

  abort(): void {
    this.done = true;
    this.ws.terminate();
  }
}

/** Stream types a client opens for these options (Kubernetes' v2+ rules). */
export function expectedSpdyStreams(options: StreamOptions, version: ProtocolVersion): Set<string> {
  const want = new Set(["error"]);
  if (options.stdin) want.add("stdin");
  if (options.stdout) want.add("stdout");
  if (options.stderr && !options.tty) want.add("stderr");
  if (options.tty && version >= 3) want.add("resize");
  return want;
}

export class SpdyRemoteCommand extends EventEmitter implements RemoteCommandIO {
  private done = false;

  private constructor(
    private readonly session: SpdySession,
    readonly version: ProtocolVersion,
    readonly options: StreamOptions,
    private readonly streams: Map<string, SpdyStream>,
  ) {
    super();
    const stdin = streams.get("stdin");
    stdin?.on("data", (b: Buffer) => this.emit("stdin", b));
    stdin?.on("end", () => this.emit("stdin-end"));
    const resize = streams.get("resize");
    if (resize) {
      const splitter = new JsonObjectSplitter();
      resize.on("data", (b: Buffer) => {
        for (const obj of splitter.push(b)) {
          const size = parseTerminalSize(obj);
          if (size) this.emit("resize", size);
        }
      });
    }
    session.on("close", () => {
      if (!this.done) {
        this.done = true;
        this.emit("stdin-end");
        this.emit("close");
      }
    });
  }

  /** Waits until the client has opened every stream the options call for. */
  static accept(session: SpdySession, protocol: string, options: StreamOptions, timeoutMs = 30_000): Promise<SpdyRemoteCommand> {
    const version = protocolVersion(protocol);
    const want = expectedSpdyStreams(options, version);
    const got = new Map<string, SpdyStream>();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        void session.close();
        reject(new Error(`timed out waiting for client streams (have ${[...got.keys()].join(",")}, want ${[...want].join(",")})`));
      }, timeoutMs);
      const onStream = (s: SpdyStream) => {
        const type = s.header("streamtype") ?? "";
        if (!want.has(type)) {
          s.reset();
          return;
        }
        got.set(type, s);
        if (got.size === want.size) {
          cleanup();
          resolve(new SpdyRemoteCommand(session, version, options, got));
        }
      };
      const onClose = () => {
        cleanup();
        reject(new Error("connection closed before all streams were opened"));
      };
      const cleanup = () => {
        clearTimeout(timer);
        session.off("stream", onStream);
        session.off("close", onClose);
      };
      session.on("stream", onStream);
      session.on("close", onClose);
    });
  }

  writeStdout(data: Buffer): boolean {
    return this.streams.get("stdout")?.write(data) ?? false;
  }

  writeStderr(data: Buffer): boolean {
    const s = this.options.tty ? this.streams.get("stdout") : this.streams.get("stderr");
    return s?.write(data) ?? false;
  }

  async finish(result: ExecResult): Promise<void> {
    if (this.done) return;
    this.done = true;
    const msg = exitMessage(result, this.version);
    const err = this.streams.get("error");
    if (msg !== undefined) err?.write(Buffer.from(msg, "utf8"));
    for (const s of this.streams.values()) s.end();
    await this.session.close();
  }

  abort(): void {
    this.done = true;
    void this.session.close();
  }
}
