// The envelope of every Kubernetes protobuf body: the 4-byte magic "k8s\0" followed by a
// runtime.Unknown {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}
// whose raw holds the object's own message (which has no TypeMeta fields of its own).

import { ProtobufDecodeError, readFields, WIRE_BYTES } from "./wire.js";

export const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Buffer;
  contentEncoding: string;
  contentType: string;
}

export function readEnvelope(body: Buffer): Envelope {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufDecodeError("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
  }
  const env: Envelope = { apiVersion: "", kind: "", raw: Buffer.alloc(0), contentEncoding: "", contentType: "" };
  for (const f of readFields(body.subarray(MAGIC.length))) {
    if (f.wire !== WIRE_BYTES) continue;
    if (f.num === 1) {
      for (const t of readFields(f.bytes)) {
        if (t.wire !== WIRE_BYTES) continue;
        if (t.num === 1) env.apiVersion = t.bytes.toString("utf8");
        else if (t.num === 2) env.kind = t.bytes.toString("utf8");
      }
    } else if (f.num === 2) env.raw = f.bytes;
    else if (f.num === 3) env.contentEncoding = f.bytes.toString("utf8");
    else if (f.num === 4) env.contentType = f.bytes.toString("utf8");
  }
  return env;
}
