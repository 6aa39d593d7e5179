// Structural checks that Kubernetes performs while decoding a request body into its Go types:
// unknown fields (reported or dropped by fieldValidation) and JSON values of the wrong type for a
// field (400 BadRequest, `json: cannot unmarshal string into Go struct field ...`). Semantic
// validation (422 Invalid) is the per-kind strategies' job, not this file's.
//
// Paths follow Kubernetes' printing: unknown fields as `spec.containers[0].foo` (strict decoding
// errors carry indices), type errors' Go field path without indices (`DeploymentSpec.spec.replicas`),
// as encoding/json prints them.

import type { FieldError } from "../errors.js";
import type { SchemaNode } from "./types.js";

export interface StructuralResult {
  /** Fields not in the schema, in the order met: "spec.foo", "spec.containers[0].bar". */
  unknownFields: string[];
  /**
   * Values of the wrong JSON type or unparseable scalars. `field` is the path as Kubernetes prints
   * it (with indices); `detail` is the decoder message Kubernetes would answer with, e.g.
   * `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
   */
  typeErrors: FieldError[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export const QUANTITY_PATTERN_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
// Number, then one of: binary SI suffix, decimal SI suffix, or decimal exponent (resource.Quantity).
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
// metav1.Time and MicroTime parse RFC 3339 (seconds required, fraction optional).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

interface Walk {
  result: StructuralResult;
  /** Drop unknown fields instead of (only) reporting them. */
  prune: boolean;
}

/** Checks `obj` against `schema` without changing it. */
export function validateStructure(obj: unknown, schema: SchemaNode): StructuralResult {
  const w: Walk = { result: { unknownFields: [], typeErrors: [] }, prune: false };
  walk(w, obj, schema, "", "", schema.ref ? shortName(schema.ref) : "");
  return w.result;
}

/**
 * Removes fields the schema does not know, in place, as Kubernetes' decoder silently does for
 * fieldValidation=Ignore/Warn. Returns the removed paths (what Warn reports) and type errors met.
 */
export function pruneUnknown(obj: unknown, schema: SchemaNode): StructuralResult {
  const w: Walk = { result: { unknownFields: [], typeErrors: [] }, prune: true };
  walk(w, obj, schema, "", "", schema.ref ? shortName(schema.ref) : "");
  return w.result;
}

/**
 * The 400 message Kubernetes gives when a body cannot be decoded into the kind:
 * `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal ...`.
 */
export function unmarshalErrorMessage(kind: string, version: string, error: FieldError): string {
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${error.detail}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(w: Walk, value: unknown, node: SchemaNode, path: string, goPath: string, struct: string): void {
  // encoding/json leaves the zero value for null, whatever the field type.
  if (value === null || value === undefined) return;
  const fail = (detail: string): void => {
    w.result.typeErrors.push({ type: "FieldValueTypeInvalid", field: path, detail });
  };
  const mismatch = (v: unknown = value): void => fail(unmarshalMessage(jsonKind(v), struct, goPath, goType(node)));

  switch (node.type) {
    case "any":
      return;
    case "boolean":
      if (typeof value !== "boolean") mismatch();
      return;
    case "number":
      if (typeof value !== "number") mismatch();
      return;
    case "integer":
      if (typeof value !== "number") mismatch();
      else if (!fitsInteger(value, node.format)) fail(unmarshalMessage(`number ${value}`, struct, goPath, goType(node)));
      return;
    case "int-or-string":
      // IntOrString.UnmarshalJSON decodes anything but a string into its int32.
      if (typeof value === "string") return;
      if (typeof value !== "number") fail(`json: cannot unmarshal ${jsonKind(value)} into Go value of type int32`);
      else if (!fitsInteger(value, "int32")) fail(`json: cannot unmarshal number ${value} into Go value of type int32`);
      return;
    case "string":
      checkString(value, node, fail, mismatch);
      return;
    case "array":
      if (!Array.isArray(value)) return mismatch();
      if (node.items) {
        for (let i = 0; i < value.length; i++) walk(w, value[i], node.items, `${path}[${i}]`, goPath, struct);
      }
      return;
    case "object":
      if (typeof value !== "object" || Array.isArray(value)) return mismatch();
      walkObject(w, value as Record<string, unknown>, node, path, goPath, struct);
      return;
  }
}

function walkObject(w: Walk, obj: Record<string, unknown>, node: SchemaNode, path: string, goPath: string, struct: string): void {
  if (node.properties) {
    const owner = node.ref ? shortName(node.ref) : struct;
    for (const key of Object.keys(obj)) {
      const prop = node.properties[key];
      if (prop) {
        walk(w, obj[key], prop, join(path, key), join(goPath, key), owner);
      } else if (!node.preserveUnknownFields) {
        w.result.unknownFields.push(join(path, key));
        if (w.prune) delete obj[key];
      }
    }
    return;
  }
  if (node.additionalProperties) {
    for (const key of Object.keys(obj)) walk(w, obj[key], node.additionalProperties, `${path}[${key}]`, goPath, struct);
  }
  // Otherwise free-form (RawExtension, FieldsV1): anything goes.
}

function checkString(value: unknown, node: SchemaNode, fail: (detail: string) => void, mismatch: () => void): void {
  if (node.format === "quantity") {
    // resource.Quantity also accepts a bare JSON number (`cpu: 1` in YAML).
    if (typeof value === "number") return;
    if (typeof value !== "string" || !QUANTITY.test(value)) fail(QUANTITY_PATTERN_MESSAGE);
    return;
  }
  if (typeof value !== "string") return mismatch();
  if (node.format === "date-time" && !RFC3339.test(value)) {
    fail(`parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`);
  } else if (node.format === "byte") {
    const bad = base64Error(value);
    if (bad !== undefined) fail(`illegal base64 data at input byte ${bad}`);
  }
}

function fitsInteger(n: number, format: string | undefined): boolean {
  if (!Number.isInteger(n)) return false;
  if (format === "int64") return n >= -(2 ** 63) && n < 2 ** 63;
  return n >= INT32_MIN && n <= INT32_MAX;
}

/** Offset of the first invalid byte of standard padded base64 (Go's base64.StdEncoding), if any. */
export function base64Error(s: string): number | undefined {
  const text = s.replace(/[\r\n]/g, "");
  const m = /[^A-Za-z0-9+/=]/.exec(text);
  if (m) return m.index;
  const pad = text.indexOf("=");
  if (pad >= 0 && (pad < text.length - 2 || !/^=*$/.test(text.slice(pad)))) return pad;
  if (text.length % 4 !== 0) return text.length - (text.length % 4);
  return undefined;
}

function unmarshalMessage(kind: string, struct: string, goPath: string, type: string): string {
  if (!goPath) return `json: cannot unmarshal ${kind} into Go value of type ${type}`;
  return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${goPath} of type ${type}`;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

function shortName(ref: string): string {
  return ref.slice(ref.lastIndexOf(".") + 1);
}

/** The Go type name encoding/json prints: v1.PodSpec, []v1.Container, map[string]string, int32. */
function goType(node: SchemaNode): string {
  if (node.ref) {
    const parts = node.ref.split(".");
    return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
  }
  switch (node.type) {
    case "array":
      return `[]${node.items ? goType(node.items) : "interface {}"}`;
    case "object":
      return node.additionalProperties ? `map[string]${goType(node.additionalProperties)}` : "map[string]interface {}";
    case "integer":
      return node.format ?? "int64";
    case "boolean":
      return "bool";
    case "string":
      return node.format === "byte" ? "[]uint8" : "string";
    case "int-or-string":
      return "intstr.IntOrString";
    default:
      return node.type === "number" ? "float64" : "interface {}";
  }
}
