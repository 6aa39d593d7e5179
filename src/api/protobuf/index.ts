// Decoding of Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf), which
// kubectl 1.32+ sends for built-in kinds, into the plain object the JSON decoder would produce.

import { schemaOf } from "../schema/index.js";
import { decodeMessage } from "./decode.js";
import { readEnvelope } from "./envelope.js";
import { ProtobufDecodeError } from "./wire.js";

export { ProtobufDecodeError } from "./wire.js";

export const KUBE_PROTOBUF = "application/vnd.kubernetes.protobuf";

/** True for "application/vnd.kubernetes.protobuf" with or without parameters (not the ;stream=watch form). */
export function isKubeProtobuf(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(";").map((s) => s.trim().toLowerCase());
  if (type !== KUBE_PROTOBUF) return false;
  return !params.some((p) => p.replace(/\s/g, "") === "stream=watch");
}

/**
 * Decodes a protobuf body holding an object of OpenAPI definition `definition` (e.g.
 * "io.k8s.api.core.v1.ConfigMap"). apiVersion and kind come from the envelope, as the JSON body
 * would carry them. Throws ProtobufDecodeError for malformed data or a kind without a field table.
 */
export function decodeKubeProtobuf(body: Buffer, definition: string): unknown {
  const env = readEnvelope(body);
  if (env.contentEncoding !== "") throw new ProtobufDecodeError(`unsupported protobuf content encoding ${env.contentEncoding}`);
  const obj = decodeMessage(env.raw, schemaOf(definition), definition);
  const head: Record<string, unknown> = {};
  if (env.kind) head.kind = env.kind;
  if (env.apiVersion) head.apiVersion = env.apiVersion;
  return { ...head, ...obj };
}
