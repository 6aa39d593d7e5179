// Building blocks for turning a Swagger 2.0 JSON object into a gnostic protobuf message object:
// a message is a table from JSON key to (proto field, value converter). The conversion is strict
// like gnostic's own `NewDocument`: a key the spec does not allow is an error naming its path, so
// a document that kubectl could not read is caught by our tests, never served silently truncated.
//
// Zero values of scalars (false, 0, "") are left out, as Go's proto3 marshalling does; messages
// are kept even when empty, because presence matters to readers (kube-openapi treats a schema
// with an empty `properties` message as a kind, one without it as something else).

import { stringify } from "yaml";

export type Json = Record<string, unknown>;
/** Converts one JSON value at `path` to its protobuf form; undefined leaves the field unset. */
export type Convert = (value: unknown, path: string) => unknown;

export interface MessageSpec {
  /** JSON key → [proto field name, converter]. */
  fields: Record<string, readonly [string, Convert]>;
  /** The proto field that collects `x-` keys as NamedAny, when the message has one. */
  extensions?: string;
  /** Keys that must be present (gnostic's requiredKeys), checked so a malformed document fails here. */
  required?: readonly string[];
}

export function fail(path: string, message: string): never {
  throw new Error(`openapi v2 protobuf: ${path} ${message}`);
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function object(v: unknown, path: string): Json {
  if (!isObject(v)) fail(path, `is not an object: ${JSON.stringify(v)}`);
  return v;
}

export const str: Convert = (v, path) => {
  if (typeof v !== "string") fail(path, `is not a string: ${JSON.stringify(v)}`);
  return v === "" ? undefined : v;
};

export const bool: Convert = (v, path) => {
  if (typeof v !== "boolean") fail(path, `is not a boolean: ${JSON.stringify(v)}`);
  return v || undefined;
};

export const num: Convert = (v, path) => {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(path, `is not a number: ${JSON.stringify(v)}`);
  return v === 0 ? undefined : v;
};

export const int: Convert = (v, path) => {
  if (!Number.isSafeInteger(v)) fail(path, `is not an integer: ${JSON.stringify(v)}`);
  return v === 0 ? undefined : v;
};

export const strs: Convert = (v, path) => {
  if (!Array.isArray(v)) fail(path, `is not an array: ${JSON.stringify(v)}`);
  return v.map((s, i) => {
    if (typeof s !== "string") fail(`${path}[${i}]`, `is not a string: ${JSON.stringify(s)}`);
    return s;
  });
};

// Values are YAML text because that is what gnostic's NewAny stores and what kube-openapi's
// VendorExtensionToMap parses back (with YAML 1.1 rules, hence version "1.1": strings such as
// "yes" or "on" get quoted). Many values repeat (list types, patch strategies), so memoise.
const yamlCache = new Map<string, string>();
function yamlText(v: unknown): string {
  const key = JSON.stringify(v);
  let text = yamlCache.get(key);
  if (text === undefined) {
    text = stringify(v, { version: "1.1", lineWidth: 0 });
    yamlCache.set(key, text);
  }
  return text;
}

/** gnostic `Any`: an arbitrary JSON value carried as its YAML text. */
export const any: Convert = (v, path) => {
  if (v === undefined) fail(path, "has no value");
  return { yaml: yamlText(v) };
};

export const anys: Convert = (v, path) => {
  if (!Array.isArray(v)) fail(path, `is not an array: ${JSON.stringify(v)}`);
  return v.map((x, i) => any(x, `${path}[${i}]`));
};

/** A converter for a sub-message. */
export function msg(spec: MessageSpec): Convert {
  return (v, path) => message(spec, v, path);
}

/** A repeated sub-message from a JSON array. */
export function list(convert: Convert): Convert {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, `is not an array: ${JSON.stringify(v)}`);
    return v.map((x, i) => convert(x, `${path}[${i}]`));
  };
}

/** gnostic's ordered maps: a JSON object becomes [{name, value}] in key order. */
export function named(convert: Convert): (v: unknown, path: string) => Array<{ name: string; value: unknown }> {
  return (v, path) => Object.entries(object(v, path)).map(([name, value]) => ({ name, value: convert(value, `${path}.${name}`) }));
}

/** A wrapper message whose only field is a named map (Definitions, Properties, Headers...). */
export function namedMessage(convert: Convert, field = "additional_properties"): Convert {
  const entries = named(convert);
  return (v, path) => ({ [field]: entries(v, path) });
}

export function vendorExtension(name: string, value: unknown, path: string): { name: string; value: unknown } {
  return { name, value: any(value, `${path}.${name}`) };
}

export function message(spec: MessageSpec, v: unknown, path: string): Json {
  const json = object(v, path);
  for (const key of spec.required ?? []) if (!(key in json)) fail(path, `is missing required property ${key}`);
  const out: Json = {};
  const extensions: unknown[] = [];
  for (const [key, value] of Object.entries(json)) {
    const field = spec.fields[key];
    if (field) {
      const converted = field[1](value, `${path}.${key}`);
      if (converted !== undefined) out[field[0]] = converted;
    } else if (spec.extensions && key.startsWith("x-")) {
      extensions.push(vendorExtension(key, value, path));
    } else {
      fail(path, `has invalid property ${key}`);
    }
  }
  if (extensions.length) out[spec.extensions as string] = extensions;
  return out;
}

/** True when every key of `json` is one of `keys` or an `x-` extension (gnostic's "allowed keys" test). */
export function onlyKeys(json: Json, keys: readonly string[]): boolean {
  return Object.keys(json).every((k) => keys.includes(k) || k.startsWith("x-"));
}
