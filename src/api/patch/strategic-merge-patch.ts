// Strategic merge patch (application/strategic-merge-patch+json), following the apply side of
// k8s.io/apimachinery/pkg/util/strategicpatch with the options kube-apiserver uses
// (MergeParallelList and IgnoreUnmatchedNulls). Rules:
//  - objects merge key by key; `null` deletes a key;
//  - lists whose schema says patchStrategy "merge" merge: maps by patchMergeKey, primitives as a
//    union; every other list is replaced;
//  - directives: `$patch: replace|delete` in maps, `$patch: delete|replace` items in merge lists,
//    `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`.
// Result order of merged lists matches Kubernetes: patch items in patch (or $setElementOrder)
// order, interleaved with server-only items in their live order.
import { badRequest } from "../errors.js";
import type { SchemaNode } from "../schema/types.js";
import { genericInvalid, unknownServerError } from "./errors.js";
import { clone, goJsonKind, isObject, type JsonObject } from "./json.js";
import { childSchema, itemSchema, smpStrategy } from "./schema-info.js";

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

/** How kube-apiserver reports a failure (interpretStrategicMergePatchError). */
type FailureKind = "badRequest" | "invalid" | "internal";

class SmpFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

// The sentinel errors of k8s.io/apimachinery/pkg/util/mergepatch.
const errNoListOfLists = () => new SmpFailure("invalid", "lists of lists are not supported");
const errBadPrimitiveList = () => new SmpFailure("badRequest", "invalid patch format of primitive list");
const errBadRetainKeys = () => new SmpFailure("badRequest", "invalid patch format of retainKeys");
const errBadSetElementOrder = () => new SmpFailure("badRequest", "invalid patch format of setElementOrder list");
const errNoMergeKey = (m: unknown, key: string) =>
  new SmpFailure("internal", `map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadArgType = (expected: string, actual: unknown) =>
  new SmpFailure("internal", `expected a ${expected}, but received a ${goTypeName(actual)}`);
const errBadPatchType = (t: unknown, m: unknown) =>
  new SmpFailure("internal", `unknown patch type: ${String(t)} in map: ${goFormat(m)}`);

export function strategicMergePatch<T>(obj: T, patch: unknown, schema: SchemaNode | undefined): T {
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  const original = isObject(obj) ? (clone(obj) as JsonObject) : {};
  try {
    return mergeMap(original, clone(patch), schema) as T;
  } catch (err) {
    if (!(err instanceof SmpFailure)) throw err;
    if (err.kind === "badRequest") throw badRequest(err.message);
    if (err.kind === "invalid") throw genericInvalid();
    throw unknownServerError(err.message);
  }
}

// Both arguments are owned (already cloned) and may be modified.
function mergeMap(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === "replace") {
      delete patch[DIRECTIVE];
      return cleanPatchValue(patch) as JsonObject;
    }
    // `$patch: delete` on a map empties it; the key itself stays.
    if (directive === "delete") return {};
    throw errBadPatchType(directive, patch);
  }

  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  for (const rawKey of Object.keys(patch)) {
    const patchV = patch[rawKey];
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }

    if (patchV === null) {
      delete original[key];
      continue;
    }
    if (!(key in original) || original[key] === undefined) {
      if (!isDeleteList) setPatchValue(original, key, patchV);
      continue;
    }
    const origV = original[key];
    if (goTypeName(origV) !== goTypeName(patchV)) {
      if (!isDeleteList) setPatchValue(original, key, patchV);
      continue;
    }
    const sub = childSchema(schema, key);
    if (isObject(origV)) {
      original[key] = smpStrategy(sub) === "replace" ? cleanPatchValue(patchV) : mergeMap(origV, patchV as JsonObject, sub);
    } else if (Array.isArray(origV)) {
      original[key] = mergeListField(origV, patchV as unknown[], sub, isDeleteList);
    } else {
      original[key] = patchV;
    }
  }
  return original;
}

function mergeListField(orig: unknown[], patch: unknown[], sub: SchemaNode | undefined, isDeleteList: boolean): unknown[] {
  // Delete lists apply whatever the field's strategy is.
  if (smpStrategy(sub) === "merge" || isDeleteList) {
    return mergeList(orig, patch, itemSchema(sub), sub?.patchMergeKey ?? "", isDeleteList);
  }
  return cleanPatchValue(patch) as unknown[];
}

/** Takes a value from the patch where nothing merges with it: directives and nulls are dropped. */
function setPatchValue(target: JsonObject, key: string, value: unknown): void {
  if (isObject(value) && DIRECTIVE in value) {
    delete target[key];
    return;
  }
  target[key] = cleanPatchValue(value);
}

/**
 * Strips what only makes sense as patch instructions: maps carrying `$patch`, `$`-prefixed
 * directive keys and null members. Kubernetes leaves the latter two for its typed decoding to
 * drop; this server stores JSON, so they go here.
 */
function cleanPatchValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && DIRECTIVE in x)).map(cleanPatchValue);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null || k.startsWith("$")) continue;
      if (isObject(x) && DIRECTIVE in x) continue;
      out[k] = cleanPatchValue(x);
    }
    return out;
  }
  return v;
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? errBadPrimitiveList() : errBadSetElementOrder();
  }
  return key.slice(slash + 1);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw errBadRetainKeys();
  const keep = new Set(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    // Every field the patch sets must be one of the retained keys.
    if (!keep.has(k)) throw errBadRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

// $setElementOrder/<field>: merge the list now, then order it by the directive, which ranks above
// the patch's own order, which ranks above the live order.
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType("[]interface {}", order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const origList = original[field];
    const patchList = patch[field];
    const hasOrig = origList !== undefined;
    const hasPatch = patchList !== undefined;
    if (hasOrig && !Array.isArray(origList)) throw errBadArgType("[]interface {}", origList);
    if (hasPatch && !Array.isArray(patchList)) throw errBadArgType("[]interface {}", patchList);
    const sub = childSchema(schema, field);
    const mergeKey = sub?.patchMergeKey ?? "";
    validateAgainstOrder((patchList as unknown[] | undefined) ?? [], order, mergeKey);

    let merged: unknown[];
    if (hasOrig && !hasPatch) merged = origList as unknown[];
    else if (!hasOrig && hasPatch) merged = cleanPatchValue(patchList) as unknown[];
    else if (hasOrig && hasPatch) merged = mergeListField(origList as unknown[], patchList as unknown[], sub, false);
    else continue;

    const kind = elementKind([(origList as unknown[] | undefined) ?? [], (patchList as unknown[] | undefined) ?? []]);
    if (kind !== undefined) {
      const keyOf = identity(kind === "map" ? mergeKey : "");
      const inOrder = new Set(order.map(keyOf));
      const ordered = merged.filter((x) => inOrder.has(keyOf(x)));
      const serverOnly = merged.filter((x) => !inOrder.has(keyOf(x)));
      merged = normalizeOrder(ordered, serverOnly, order, (origList as unknown[] | undefined) ?? [], keyOf);
    }
    original[field] = merged;
    delete patch[field];
  }
}

/** The patch list's items (deletions aside) must appear in the same relative order in the directive. */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((x) => !(isObject(x) && x[DIRECTIVE] === "delete")) : patchList;
  const keyOf = (x: unknown): unknown => {
    if (!mergeKey) return x;
    if (!isObject(x)) throw errBadArgType("map[string]interface {}", x);
    if (!(mergeKey in x)) throw errNoMergeKey(x, mergeKey);
    return x[mergeKey];
  };
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && DIRECTIVE in (items[p] as JsonObject)) {
      p++;
      continue;
    }
    if (keyOf(items[p]) === keyOf(order[o])) p++;
    o++;
  }
  if (p < items.length) {
    throw new SmpFailure(
      "internal",
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`,
    );
  }
}

function mergeList(original: unknown[], patch: unknown[], item: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind([original, patch]);
  if (kind !== "map") {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((x) => !drop.has(x));
    }
    const merged = dedupe([...original, ...patch]);
    const inPatch = new Set(patch);
    return normalizeOrder(
      merged.filter((x) => inPatch.has(x)),
      merged.filter((x) => !inPatch.has(x)),
      patch,
      original,
      identity(""),
    );
  }
  if (!mergeKey) throw new SmpFailure("internal", `cannot merge lists without merge key for ${item?.ref ?? ""}`);

  let base = original;
  const plain: JsonObject[] = [];
  let replace = false;
  for (const v of patch as JsonObject[]) {
    if (!(DIRECTIVE in v)) {
      plain.push(v);
      continue;
    }
    const directive = v[DIRECTIVE];
    if (directive === "delete") {
      if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
      base = base.filter((x) => !(isObject(x) && x[mergeKey] === v[mergeKey]));
    } else if (directive === "replace") {
      replace = true; // keep scanning so other directive items are still dropped
    } else if (directive === "merge") {
      throw new SmpFailure("internal", "merging lists cannot yet be specified in the patch");
    } else {
      throw errBadPatchType(directive, v);
    }
  }
  let patchItems: JsonObject[] = plain;
  if (replace) {
    base = plain.map((x) => cleanPatchValue(x));
    patchItems = [];
  }

  const merged = [...base];
  for (const v of patchItems) {
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    const at = merged.findIndex((x) => {
      if (!isObject(x)) throw new SmpFailure("internal", `value for key ${merged.indexOf(x)} is not a map`);
      return mergeKey in x && x[mergeKey] === v[mergeKey];
    });
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, v, item);
    else merged.push(cleanPatchValue(v));
  }

  const keyOf = identity(mergeKey);
  const inPatch = new Set(patchItems.map(keyOf));
  for (const x of merged) if (!isObject(x) || !(mergeKey in x)) throw errNoMergeKey(x, mergeKey);
  return normalizeOrder(
    merged.filter((x) => inPatch.has(keyOf(x))),
    merged.filter((x) => !inPatch.has(keyOf(x))),
    patchItems,
    base,
    keyOf,
  );
}

function identity(mergeKey: string): (x: unknown) => unknown {
  return mergeKey ? (x) => (isObject(x) ? x[mergeKey] : undefined) : (x) => x;
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return items.filter((x) => (seen.has(x) ? false : (seen.add(x), true)));
}

/**
 * Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves them:
 * a server-only item goes before a patch item only when both are in the live list and it came
 * first there. Patch items unknown to the server therefore lead (SMP prepends new items).
 */
function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  keyOf: (x: unknown) => unknown,
): unknown[] {
  const indexIn = (list: unknown[]) => {
    const m = new Map<unknown, number>();
    list.forEach((x, i) => {
      const k = keyOf(x);
      if (!m.has(k)) m.set(k, i);
    });
    return (x: unknown) => m.get(keyOf(x)) ?? -1;
  };
  const patchIdx = indexIn(patchOrder);
  const serverIdx = indexIn(serverOrder);
  const left = stableSortByIndex(serverOnly, serverIdx);
  const right = stableSortByIndex(patchItems, patchIdx);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = serverIdx(left[i]);
      const ri = serverIdx(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function stableSortByIndex(items: unknown[], idx: (x: unknown) => number): unknown[] {
  return items
    .map((x, n) => ({ x, n, i: idx(x) }))
    .sort((a, b) => (a.i >= 0 && b.i >= 0 && a.i !== b.i ? a.i - b.i : a.n - b.n))
    .map((e) => e.x);
}

type ElementKind = "map" | "scalar";

/** All elements of the lists must share one type; lists of lists are refused. */
function elementKind(lists: unknown[][]): ElementKind | undefined {
  let prev: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goTypeName(v);
      if (prev === undefined) {
        prev = t;
        if (Array.isArray(v)) throw errNoListOfLists();
      } else if (prev !== t) {
        throw new SmpFailure("internal", `list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (prev === undefined) return undefined;
  return prev === "map[string]interface {}" ? "map" : "scalar";
}

/** Go's reflect type name of a decoded JSON value (ints and floats differ, as Kubernetes decodes them). */
function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "object") return "map[string]interface {}";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  if (typeof v === "boolean") return "bool";
  return "string";
}

/** Approximates Go's %v of decoded JSON, used only inside error messages. */
function goFormat(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(" ")}]`;
  }
  if (v === null || v === undefined) return "<nil>";
  return String(v);
}
