// Small helpers over decoded JSON values shared by every patch flavour. Patch functions never
// mutate their inputs, so they work on clones made here.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ak = Object.keys(a);
    if (ak.length !== Object.keys(b).length) return false;
    return ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's name for the kind of a JSON value, as used in encoding/json error messages. */
export function goJsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return typeof v; // string, number, boolean
}

/**
 * JSON the way Go's encoding/json writes it: object keys sorted, `<`, `>`, `&`, U+2028 and U+2029
 * escaped. Kubernetes produces managedFields keys and the last-applied annotation this way, and
 * clients compare these strings byte for byte.
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(goJson).join(",")}]`;
  if (typeof v === "object") {
    const o = v as JsonObject;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort(compareStrings);
    return `{${keys.map((k) => `${goString(k)}:${goJson(o[k])}`).join(",")}}`;
  }
  if (typeof v === "string") return goString(v);
  return JSON.stringify(v);
}

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Byte-wise string order (Go's strings.Compare) for the ASCII keys Kubernetes uses. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
