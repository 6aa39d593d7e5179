// Decoding a create/update body into an object of the addressed kind, and applying the request's
// fieldValidation level to its unknown and duplicate fields.

import { StatusError, badRequest } from "../../api/errors.js";
import { decodeBody } from "../../api/decode/index.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { pruneUnknown, schemaOf, unmarshalErrorMessage } from "../../api/schema/index.js";
import { bodyFormat } from "./negotiate.js";
import { ProtobufDecodeError, decodeKubeProtobuf, isKubeProtobuf } from "../../api/protobuf/index.js";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface DecodedObject {
  obj: KubeObject;
  duplicateFields: string[];
  /** Schema definition the object was checked against. */
  definition: string;
}

const SUBRESOURCE_KINDS: Record<string, { apiVersion: string; kind: string; definition: string }> = {
  binding: { apiVersion: "v1", kind: "Binding", definition: "io.k8s.api.core.v1.Binding" },
  scale: { apiVersion: "autoscaling/v1", kind: "Scale", definition: "io.k8s.api.autoscaling.v1.Scale" },
  token: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", definition: "io.k8s.api.authentication.v1.TokenRequest" },
};

/** kubectl ≥ 1.32 sends built-in kinds as protobuf; they decode to the object JSON would give. */
function decodeProtobuf(body: Buffer, definition: string): { obj: unknown; duplicateFields: string[] } {
  try {
    return { obj: decodeKubeProtobuf(body, definition), duplicateFields: [] };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw badRequest(`unable to decode protobuf body: ${err.message}`);
    throw err;
  }
}

export function decodeObject(body: Buffer, contentType: string | undefined, r: ResourceDef, subresource?: "binding" | "scale" | "token"): DecodedObject {
  if (body.length === 0) throw badRequest("the body of the request was empty");
  const expectedDef = subresource ? SUBRESOURCE_KINDS[subresource].definition : r.definition;
  const { obj, duplicateFields } = isKubeProtobuf(contentType) ? decodeProtobuf(body, expectedDef) : (bodyFormat(contentType, false), decodeBody(body, contentType ?? "application/json"));
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw badRequest("the body of the request must be a JSON or YAML object");
  }
  const o = obj as KubeObject;
  const expected = subresource ? SUBRESOURCE_KINDS[subresource] : { apiVersion: apiVersionOf(r), kind: r.kind, definition: r.definition };
  if (o.apiVersion !== undefined && o.apiVersion !== expected.apiVersion) {
    // Binding is also accepted as an older group version of itself, as Kubernetes does.
    throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${expected.apiVersion})`);
  }
  if (o.kind !== undefined && o.kind !== expected.kind) {
    throw badRequest(`${String(o.kind)} in version "${String(o.apiVersion ?? expected.apiVersion)}" cannot be handled as a ${expected.kind}: the kind in the data does not match the expected kind ${expected.kind}`);
  }
  o.apiVersion = expected.apiVersion;
  o.kind = expected.kind;
  return { obj: o, duplicateFields, definition: expected.definition };
}

/**
 * Checks types (always an error, as Kubernetes' decoder) and unknown/duplicate fields per
 * fieldValidation: Strict fails with 400, Warn returns warnings, Ignore is silent. Unknown
 * fields are dropped from the object in every case, as decoding into Go structs does.
 */
export function applyFieldValidation(decoded: DecodedObject, level: FieldValidation, r?: ResourceDef): string[] {
  void r;
  const schema = schemaOf(decoded.definition);
  // pruneUnknown reports what it drops, type errors included: one walk does both.
  const result = pruneUnknown(decoded.obj, schema);
  if (result.typeErrors.length) {
    const version = String(decoded.obj.apiVersion).split("/").pop()!;
    throw new StatusError(400, "BadRequest", unmarshalErrorMessage(String(decoded.obj.kind), version, result.typeErrors[0]));
  }
  const problems = [
    ...result.unknownFields.map((f) => `unknown field "${f}"`),
    ...decoded.duplicateFields.map((f) => `duplicate field "${f}"`),
  ];
  if (!problems.length || level === "Ignore") return [];
  if (level === "Strict") throw new StatusError(400, "BadRequest", `strict decoding error: ${problems.join(", ")}`);
  return problems;
}
