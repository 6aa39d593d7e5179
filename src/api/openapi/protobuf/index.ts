// Package boundary: OpenAPI v2 as gnostic protobuf, the form kubectl 1.27/1.28 (client-go
// discovery's OpenAPISchema) ask /openapi/v2 for and decode whatever Content-Type comes back.

import { gnosticDocument } from "./document.js";
import { gnosticDocumentType } from "./schema.js";

export { gnosticDocument } from "./document.js";
export { gnosticDocumentType, OPENAPI_V2_PROTO } from "./schema.js";

/** The media type client-go (kubectl 1.27/1.28) sends in Accept for /openapi/v2. */
export const OPENAPI_V2_PROTOBUF_MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/**
 * The spelling to answer with, whichever of the two was asked for: kube-openapi's handler does the
 * same, because client-go runs the response Content-Type through Go's mime.ParseMediaType, which
 * rejects the "@" ("mime: unexpected content after media subtype") and fails the request.
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
/** Accept values that select the protobuf document (kube-apiserver honours both). */
export const OPENAPI_V2_PROTOBUF_ACCEPT: readonly string[] = [OPENAPI_V2_PROTOBUF_MEDIA_TYPE, OPENAPI_V2_PROTOBUF_CONTENT_TYPE];

/**
 * Encodes a Swagger 2.0 JSON document (as built by buildOpenApiV2) as the protobuf message
 * `openapi.v2.Document` of github.com/google/gnostic-models. Throws, naming the JSON path, on
 * anything gnostic would reject, so a bad document fails loudly instead of confusing kubectl.
 */
export function encodeOpenApiV2Protobuf(doc: Record<string, unknown>): Buffer {
  const bytes = gnosticDocumentType().encode(gnosticDocument(doc)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes an encoded document back to a plain object with the .proto's snake_case field names (tests, debugging). */
export function decodeOpenApiV2Protobuf(bytes: Uint8Array): Record<string, unknown> {
  const type = gnosticDocumentType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, oneofs: false }) as Record<string, unknown>;
}
