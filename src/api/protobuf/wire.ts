// The protobuf wire format, as far as Kubernetes' gogo-generated messages use it: a message is a
// sequence of (field number, wire type, value) triples. Only varint (0), 64-bit (1),
// length-delimited (2) and 32-bit (5) occur; groups (3, 4) are rejected as malformed.

export class ProtobufDecodeError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

/** One field occurrence of a message; `value` is a bigint for varint/fixed wire types, bytes otherwise. */
export type WireField =
  | { num: number; wire: typeof WIRE_VARINT | typeof WIRE_FIXED64 | typeof WIRE_FIXED32; value: bigint; bytes?: undefined }
  | { num: number; wire: typeof WIRE_BYTES; bytes: Buffer; value?: undefined };

/** Reads a base-128 varint at `pos`; returns the unsigned 64-bit value and the next position. */
export function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufDecodeError("unexpected end of protobuf data in varint");
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, result), pos];
    shift += 7n;
  }
  throw new ProtobufDecodeError("protobuf varint is longer than 10 bytes");
}

/** Splits a message into its fields, in wire order (repeated fields appear once per element). */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const num = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (num === 0) throw new ProtobufDecodeError("protobuf field number 0 is invalid");
    switch (wire) {
      case WIRE_VARINT: {
        const [v, next] = readVarint(buf, pos);
        out.push({ num, wire, value: v });
        pos = next;
        break;
      }
      case WIRE_FIXED64:
        need(buf, pos, 8);
        out.push({ num, wire, value: buf.readBigUInt64LE(pos) });
        pos += 8;
        break;
      case WIRE_FIXED32:
        need(buf, pos, 4);
        out.push({ num, wire, value: BigInt(buf.readUInt32LE(pos)) });
        pos += 4;
        break;
      case WIRE_BYTES: {
        const [len, start] = readVarint(buf, pos);
        const n = Number(len);
        need(buf, start, n);
        out.push({ num, wire, bytes: buf.subarray(start, start + n) });
        pos = start + n;
        break;
      }
      default:
        throw new ProtobufDecodeError(`unsupported protobuf wire type ${wire} for field ${num}`);
    }
  }
  return out;
}

/** The varints of a packed repeated scalar field. */
export function readPackedVarints(buf: Buffer): bigint[] {
  const out: bigint[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [v, next] = readVarint(buf, pos);
    out.push(v);
    pos = next;
  }
  return out;
}

function need(buf: Buffer, pos: number, n: number): void {
  if (pos + n > buf.length) throw new ProtobufDecodeError("unexpected end of protobuf data");
}
