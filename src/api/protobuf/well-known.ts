// apimachinery types whose protobuf form differs from their JSON form: they have hand-written
// Marshal/Unmarshal methods in Go, so neither our schema nor the field table describes them.

import { ProtobufDecodeError, readFields, WIRE_BYTES, WIRE_VARINT, type WireField } from "./wire.js";

type Decoder = (bytes: Buffer) => unknown;

/** Decoders by OpenAPI definition name. */
export const WELL_KNOWN: Readonly<Record<string, Decoder>> = {
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": (b) => decodeTime(b, false),
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": (b) => decodeTime(b, true),
  "io.k8s.apimachinery.pkg.api.resource.Quantity": decodeQuantity,
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": decodeIntOrString,
  "io.k8s.apimachinery.pkg.runtime.RawExtension": decodeRawJson,
  "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": decodeRawJson,
};

/**
 * Time / MicroTime = {1: seconds int64, 2: nanos int32}. Go writes a zero time as an empty
 * message, which JSON renders as null (creationTimestamp: null). Time's JSON has whole seconds
 * (Go ignores nanos on read too); MicroTime's has six fractional digits.
 */
export function decodeTime(bytes: Buffer, micro: boolean): string | null {
  if (bytes.length === 0) return null;
  let seconds = 0n;
  let nanos = 0n;
  for (const f of readFields(bytes)) {
    if (f.num === 1) seconds = BigInt.asIntN(64, varint(f, "Time.seconds"));
    else if (f.num === 2) nanos = BigInt.asIntN(32, varint(f, "Time.nanos"));
  }
  const iso = new Date(Number(seconds) * 1000).toISOString(); // "2006-01-02T15:04:05.000Z"
  const base = iso.slice(0, 19);
  if (!micro) return `${base}Z`;
  const us = (nanos / 1000n).toString().padStart(6, "0");
  return `${base}.${us}Z`;
}

/** Quantity = {1: canonical string}. A zero Quantity renders as "0" in JSON. */
export function decodeQuantity(bytes: Buffer): string {
  let s = "";
  for (const f of readFields(bytes)) if (f.num === 1) s = str(f, "Quantity.string");
  return s === "" ? "0" : s;
}

/** IntOrString = {1: type (0 int, 1 string), 2: intVal int32, 3: strVal}. */
export function decodeIntOrString(bytes: Buffer): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = "";
  for (const f of readFields(bytes)) {
    if (f.num === 1) type = varint(f, "IntOrString.type");
    else if (f.num === 2) intVal = Number(BigInt.asIntN(32, varint(f, "IntOrString.intVal")));
    else if (f.num === 3) strVal = str(f, "IntOrString.strVal");
  }
  return type === 1n ? strVal : intVal;
}

/** RawExtension / FieldsV1 = {1: raw bytes}; over the wire raw holds JSON (an embedded object). */
export function decodeRawJson(bytes: Buffer): unknown {
  let raw: Buffer | undefined;
  for (const f of readFields(bytes)) if (f.num === 1 && f.wire === WIRE_BYTES) raw = f.bytes;
  if (!raw || raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new ProtobufDecodeError("embedded raw object is not JSON");
  }
}

function varint(f: WireField, what: string): bigint {
  if (f.wire !== WIRE_VARINT) throw new ProtobufDecodeError(`${what}: expected a varint`);
  return f.value;
}

function str(f: WireField, what: string): string {
  if (f.wire !== WIRE_BYTES) throw new ProtobufDecodeError(`${what}: expected a string`);
  return f.bytes.toString("utf8");
}
