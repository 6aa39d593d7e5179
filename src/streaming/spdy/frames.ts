// SPDY/3.1 framing (pure): splitting a byte stream into frames, encoding frames, and the
// uncompressed name/value header block. Compression of header blocks is in header-codec.ts.
//
// Control frame: |1| version(15) | type(16) | flags(8) | length(24) | payload
// Data frame:    |0| stream id(31)           | flags(8) | length(24) | payload

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
} as const;

/** Largest payload one frame can carry (24-bit length). Data is sent in smaller pieces. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
export const DATA_CHUNK = 32 * 1024;

export type Frame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; version: number; type: number; flags: number; payload: Buffer };

/** Accumulates bytes and yields whole frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const len = this.buf.readUIntBE(off + 5, 3);
      if (this.buf.length - off < 8 + len) break;
      const flags = this.buf[off + 4];
      const payload = this.buf.subarray(off + 8, off + 8 + len);
      if (this.buf[off] & 0x80) {
        out.push({ control: true, version: this.buf.readUInt16BE(off) & 0x7fff, type: this.buf.readUInt16BE(off + 2), flags, payload });
      } else {
        out.push({ control: false, streamId: this.buf.readUInt32BE(off) & 0x7fffffff, flags, data: payload });
      }
      off += 8 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return out;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}

function header(first: number, second: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY frame payload too large: ${length}`);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(first);
  h.writeUInt16BE(second, 2);
  h[4] = flags;
  h.writeUIntBE(length, 5, 3);
  return h;
}

export function encodeControl(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([header(0x8000 | SPDY_VERSION, type, flags, payload.length), payload]);
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  const h = header(0, 0, fin ? FLAG_FIN : 0, data.length);
  h.writeUInt32BE(streamId & 0x7fffffff);
  return Buffer.concat([h, data]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeSynStream(streamId: number, associatedId: number, priority: number, flags: number, headerBlock: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & 0x7fffffff);
  fixed.writeUInt32BE(associatedId & 0x7fffffff, 4);
  fixed[8] = (priority & 0x7) << 5;
  fixed[9] = 0; // slot
  return encodeControl(FrameType.SynStream, flags, Buffer.concat([fixed, headerBlock]));
}

export function encodeSynReply(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  return encodeControl(FrameType.SynReply, flags, Buffer.concat([u32(streamId & 0x7fffffff), headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return encodeControl(FrameType.RstStream, 0, u32(streamId & 0x7fffffff, status));
}

export function encodePing(id: number): Buffer {
  return encodeControl(FrameType.Ping, 0, u32(id));
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return encodeControl(FrameType.GoAway, 0, u32(lastGoodStreamId & 0x7fffffff, status));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return encodeControl(FrameType.WindowUpdate, 0, u32(streamId & 0x7fffffff, delta & 0x7fffffff));
}

export function encodeSettings(entries: Array<{ id: number; value: number; flags?: number }>): Buffer {
  const b = Buffer.alloc(4 + entries.length * 8);
  b.writeUInt32BE(entries.length);
  entries.forEach((e, i) => {
    b[4 + i * 8] = e.flags ?? 0;
    b.writeUIntBE(e.id, 5 + i * 8, 3);
    b.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return encodeControl(FrameType.Settings, 0, b);
}

export interface SynStream {
  streamId: number;
  associatedId: number;
  priority: number;
  headerBlock: Buffer;
}

export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new Error("SPDY SYN_STREAM too short");
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedId: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload[8] >> 5,
    headerBlock: payload.subarray(10),
  };
}

/** SYN_REPLY and HEADERS share one layout: stream id then header block. */
export function parseStreamHeaders(payload: Buffer): { streamId: number; headerBlock: Buffer } {
  if (payload.length < 4) throw new Error("SPDY frame too short");
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, headerBlock: payload.subarray(4) };
}

/** RST_STREAM, GOAWAY and WINDOW_UPDATE: two 32-bit words (PING: one). */
export function parseWords(payload: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= payload.length; i += 4) out.push(payload.readUInt32BE(i));
  return out;
}

/** Header names are lower case in SPDY/3; a name may carry several values separated by NUL. */
export type HeaderMap = Map<string, string[]>;

export function encodeHeaderBlock(headers: HeaderMap | Record<string, string | string[]>): Buffer {
  const entries: Array<[string, string[]]> =
    headers instanceof Map ? [...headers] : Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(values.join("\0"), "utf8");
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const out: HeaderMap = new Map();
  if (block.length < 4) throw new Error("SPDY header block too short");
  const count = block.readUInt32BE(0);
  let off = 4;
  const take = (): string => {
    if (off + 4 > block.length) throw new Error("SPDY header block truncated");
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new Error("SPDY header block truncated");
    const s = block.toString("utf8", off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    const values = take().split("\0");
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}
