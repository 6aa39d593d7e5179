// Request body decoding: JSON and YAML into plain objects, with Go-worded syntax errors and the
// duplicate-key report Kubernetes' strict decoding gives (`duplicate field "metadata.name"`).

import { badRequest, unsupportedMediaType } from "../errors.js";
import { lineColumn, scanJson } from "./json-scan.js";
import { decodeYaml } from "./yaml.js";

export interface DecodedBody {
  obj: unknown;
  /** Paths of keys that appear more than once in one object; the last value wins, as in Go. */
  duplicateFields: string[];
}

export interface DecodeOptions {
  /**
   * Look for duplicate keys (default true). Only fieldValidation=Strict/Warn needs them, and for
   * JSON the check costs a second pass over the text, so callers with Ignore may skip it.
   */
  duplicates?: boolean;
}

const JSON_TYPES = new Set(["application/json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"]);
const YAML_TYPES = new Set(["application/yaml", "application/apply-patch+yaml"]);

/** The media type without parameters, lower-cased: "application/json; charset=utf-8" → "application/json". */
export function mediaType(contentType: string): string {
  return contentType.split(";")[0].trim().toLowerCase();
}

/**
 * Decodes a request body. The top level must be an object, except for JSON patches
 * (application/json-patch+json), which are arrays of operations.
 * Throws StatusError 400 for malformed bodies and 415 for media types we do not decode.
 */
export function decodeBody(buf: Buffer, contentType: string, opts: DecodeOptions = {}): DecodedBody {
  const type = mediaType(contentType || "application/json");
  const text = buf.toString("utf8");
  let decoded: DecodedBody;
  if (JSON_TYPES.has(type)) decoded = decodeJson(text, opts.duplicates !== false);
  else if (YAML_TYPES.has(type)) {
    const y = decodeYaml(text);
    decoded = { obj: y.value, duplicateFields: opts.duplicates === false ? [] : y.duplicates };
  } else throw unsupportedMediaType(contentType);

  const wantArray = type === "application/json-patch+json";
  const obj = decoded.obj;
  const isObject = typeof obj === "object" && obj !== null && !Array.isArray(obj);
  if (wantArray ? !Array.isArray(obj) : !isObject) {
    const target = wantArray ? "[]jsonpatch.Operation" : "map[string]interface {}";
    throw badRequest(`json: cannot unmarshal ${describe(obj)} into Go value of type ${target}`);
  }
  return decoded;
}

function decodeJson(text: string, withDuplicates: boolean): DecodedBody {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    // JSON.parse's messages vary between Node versions; rescan for Go's wording and a position.
    const scan = scanJson(text);
    const err = scan.error ?? { message: "invalid JSON", offset: 0 };
    const { line, column } = lineColumn(text, err.offset);
    throw badRequest(`json: ${err.message} (line ${line}, column ${column})`);
  }
  return { obj, duplicateFields: withDuplicates ? scanJson(text).duplicates : [] };
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v; // string, number, object
}
