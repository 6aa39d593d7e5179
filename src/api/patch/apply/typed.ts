// Schema-aware walks over JSON values used by server-side apply, after the operations of
// structured-merge-diff's `typed` package: which paths a value sets (toFieldSet), what changed
// between two values (compare), merging an applied configuration into a live object (merge), and
// removing a set of paths (removeItems). List items are addressed by key (list-map), by value (set)
// or not at all (atomic lists are leaves), as schema-info's listSemantics says.
import type { SchemaNode } from "../../schema/types.js";
import { deepEqual, isObject, type JsonObject } from "../json.js";
import {
  childSchema,
  isAtomicMap,
  isNamedField,
  isStruct,
  itemSchema,
  keyDefault,
  listSemantics,
  type ListSemantics,
} from "../schema-info.js";
import { FieldSet, field, keyElement, pathString, serializeElement, type Path, type PathElement } from "./fieldpath.js";

/** A value that does not fit its schema (e.g. a list-map item without its keys). */
export class TypedError extends Error {
  /** Set when the offending value is the applied configuration rather than the live object. */
  inConfig = false;
  constructor(
    readonly path: Path,
    readonly detail: string,
  ) {
    super(`${pathString(path) || "."}: ${detail}`);
  }
}

type Kind = "map" | "list" | "scalar";

function kindOf(v: unknown): Kind {
  if (Array.isArray(v)) return "list";
  if (isObject(v)) return "map";
  return "scalar"; // null included: a null behaves as a leaf
}

function listSem(node: SchemaNode | undefined): ListSemantics {
  return node?.type === "array" ? listSemantics(node) : { kind: "atomic" };
}

function mapIsAtomic(node: SchemaNode | undefined): boolean {
  return isAtomicMap(node);
}

/** The path element addressing one item of an associative (set or map) list. */
export function itemElement(sem: ListSemantics, node: SchemaNode | undefined, item: unknown, path: Path, index: number): PathElement {
  if (sem.kind === "map") {
    if (item === null) throw new TypedError(path, `element ${index}: associative list with keys may not have a null element`);
    if (!isObject(item)) throw new TypedError(path, `element ${index}: associative list with keys may not have non-map elements`);
    const fields: Array<[string, unknown]> = [];
    for (const k of sem.keys) {
      if (k in item) fields.push([k, item[k]]);
      else {
        const def = keyDefault(itemSchema(node), k);
        if (def !== undefined) fields.push([k, def]);
      }
    }
    if (sem.keys.length > 0 && fields.length === 0) {
      throw new TypedError(
        path,
        `element ${index}: associative list with keys has an element that omits all key fields ${JSON.stringify(sem.keys)} (and doesn't have default values for any key fields)`,
      );
    }
    return keyElement(fields);
  }
  if (isObject(item)) throw new TypedError(path, `element ${index}: associative list without keys has an element that's a map type`);
  if (Array.isArray(item)) throw new TypedError(path, `element ${index}: not supported: associative list with lists as elements`);
  if (item === null) throw new TypedError(path, `element ${index}: associative list without keys has an element that's an explicit null`);
  return { kind: "value", value: item };
}

interface IndexedList {
  pes: PathElement[];
  keys: string[];
  /** First item per key; `duplicate` marks keys that occur more than once. */
  byKey: Map<string, { value: unknown; duplicate: boolean }>;
}

function indexList(list: unknown[], sem: ListSemantics, node: SchemaNode | undefined, path: Path, allowDuplicates: boolean): IndexedList {
  const pes: PathElement[] = [];
  const keys: string[] = [];
  const byKey = new Map<string, { value: unknown; duplicate: boolean }>();
  list.forEach((item, i) => {
    const pe = itemElement(sem, node, item, path, i);
    const key = serializeElement(pe);
    const seen = byKey.get(key);
    if (seen) {
      if (!allowDuplicates) throw new TypedError(path, `duplicate entries for key ${pathString([pe])}`);
      seen.duplicate = true;
    } else {
      byKey.set(key, { value: item, duplicate: false });
    }
    pes.push(pe);
    keys.push(key);
  });
  return { pes, keys, byKey };
}

/** The paths a value sets. The applied configuration is checked strictly (no duplicate keys). */
export function toFieldSet(value: unknown, node: SchemaNode | undefined, opts: { allowDuplicates?: boolean } = {}): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, n: SchemaNode | undefined, path: Path): void => {
    const kind = kindOf(v);
    if (kind === "scalar") {
      set.insertMut(path);
    } else if (kind === "list") {
      const sem = listSem(n);
      if (sem.kind === "atomic") {
        set.insertMut(path);
        return;
      }
      const idx = indexList(v as unknown[], sem, n, path, !!opts.allowDuplicates);
      const emitted = new Set<string>();
      idx.pes.forEach((pe, i) => {
        const key = idx.keys[i];
        if (emitted.has(key)) return;
        emitted.add(key);
        // A duplicated item is owned as a whole; its fields are not addressable.
        if (!idx.byKey.get(key)!.duplicate) walk((v as unknown[])[i], itemSchema(n), [...path, pe]);
        set.insertMut([...path, pe]);
      });
    } else {
      if (mapIsAtomic(n)) {
        set.insertMut(path);
        return;
      }
      for (const [k, child] of Object.entries(v as JsonObject)) {
        if (child === undefined) continue;
        const childPath = [...path, field(k)];
        walk(child, childSchema(n, k), childPath);
        // Map entries are members themselves; struct fields only when they hold nothing.
        if (child === null || (isObject(child) && Object.keys(child).length === 0) || !isNamedField(n, k)) {
          set.insertMut(childPath);
        }
      }
    }
  };
  walk(value, node, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  return false;
}

/**
 * What changed from `lhs` to `rhs`. A node that appears or disappears is reported together with
 * everything below it, except for fields that always exist in Kubernetes' Go objects (which it
 * compares): struct-valued fields (spec, template, metadata ...) and required fields (containers)
 * never show up as added or removed themselves, only their contents. Optional pointer structs
 * (rollingUpdate ...) are indistinguishable in the schema and are treated the same way.
 */
export function compare(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): Comparison {
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: unknown, r: unknown, path: Path) => {
    if (l === undefined) cmp.added.insertMut(path);
    else if (r === undefined) cmp.removed.insertMut(path);
    else if (!deepEqual(l, r)) cmp.modified.insertMut(path);
  };
  const walk = (l: unknown, r: unknown, n: SchemaNode | undefined, path: Path, alwaysPresent = false): void => {
    if (l === undefined && r === undefined) return;
    const kl = l === undefined ? undefined : kindOf(l);
    const kr = r === undefined ? undefined : kindOf(r);
    if (kl !== undefined && kr !== undefined && kl !== kr) return leaf(l, r, path);
    const kind = (kl ?? kr)!;
    if (kind === "scalar") return leaf(l, r, path);
    if (kind === "list") {
      const sem = listSem(n);
      if (sem.kind === "atomic" || (isEmptyContainer(l) && isEmptyContainer(r))) return leaf(l, r, path);
      compareLists((l as unknown[] | undefined) ?? [], (r as unknown[] | undefined) ?? [], sem, n, path);
    } else {
      if (mapIsAtomic(n) || (isEmptyContainer(l) && isEmptyContainer(r))) return leaf(l, r, path);
      const lm = (l as JsonObject | undefined) ?? {};
      const rm = (r as JsonObject | undefined) ?? {};
      for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
        const child = childSchema(n, k);
        const present = isNamedField(n, k) && (isStruct(child) || !!n?.required?.includes(k));
        walk(lm[k], rm[k], child, [...path, field(k)], present);
      }
    }
    if (alwaysPresent) return;
    if (l === undefined) cmp.added.insertMut(path);
    else if (r === undefined) cmp.removed.insertMut(path);
  };
  const compareLists = (l: unknown[], r: unknown[], sem: ListSemantics, n: SchemaNode | undefined, path: Path) => {
    const group = (list: unknown[]) => {
      const m = new Map<string, { pe: PathElement; items: unknown[] }>();
      list.forEach((item, i) => {
        const pe = itemElement(sem, n, item, path, i);
        const key = serializeElement(pe);
        const g = m.get(key);
        if (g) g.items.push(item);
        else m.set(key, { pe, items: [item] });
      });
      return m;
    };
    const lg = group(l);
    const rg = group(r);
    const keys = [...lg.keys(), ...[...rg.keys()].filter((k) => !lg.has(k))];
    for (const key of keys) {
      const pe = (lg.get(key) ?? rg.get(key))!.pe;
      const li = lg.get(key)?.items ?? [];
      const ri = rg.get(key)?.items ?? [];
      const itemPath = [...path, pe];
      if (li.length <= 1 && ri.length <= 1) walk(li[0], ri[0], itemSchema(n), itemPath);
      else if (li.length >= 2 && ri.length >= 2) {
        if (!deepEqual(li, ri)) cmp.modified.insertMut(itemPath);
      } else if (li.length >= 2) {
        if (ri.length) walk(undefined, ri[0], itemSchema(n), itemPath);
        cmp.removed.insertMut(itemPath);
      } else {
        if (li.length) walk(li[0], undefined, itemSchema(n), itemPath);
        cmp.added.insertMut(itemPath);
      }
    }
  };
  walk(lhs, rhs, node, [], true);
  return cmp;
}

/**
 * Merges an applied configuration into a live value: the configuration wins on every leaf, maps
 * merge per key, associative lists per item. Items only in the live list keep their place relative
 * to the live order; configured items follow the configuration's order.
 */
export function merge(lhs: unknown, rhs: unknown, node: SchemaNode | undefined, path: Path = []): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return structuredClone(rhs);
  const kind = kindOf(rhs);
  if (kindOf(lhs) !== kind || kind === "scalar") return structuredClone(rhs);
  if (kind === "list") {
    const sem = listSem(node);
    if (sem.kind === "atomic" || (isEmptyContainer(lhs) && isEmptyContainer(rhs))) return structuredClone(rhs);
    return mergeLists(lhs as unknown[], rhs as unknown[], sem, node, path);
  }
  if (mapIsAtomic(node) || (isEmptyContainer(lhs) && isEmptyContainer(rhs))) return structuredClone(rhs);
  const l = lhs as JsonObject;
  const r = rhs as JsonObject;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(l)) out[k] = k in r ? merge(v, r[k], childSchema(node, k), [...path, field(k)]) : v;
  for (const [k, v] of Object.entries(r)) if (!(k in l) && v !== undefined) out[k] = structuredClone(v);
  return out;
}

function mergeLists(lhs: unknown[], rhs: unknown[], sem: ListSemantics, node: SchemaNode | undefined, path: Path): unknown[] {
  const r = indexList(rhs, sem, node, path, false);
  const l = indexList(lhs, sem, node, path, true);
  const item = itemSchema(node);
  const mergeItem = (key: string, pe: PathElement) => {
    const left = l.byKey.get(key);
    // A key duplicated in the live list collapses into the configured item.
    const lv = left && !left.duplicate ? left.value : undefined;
    return merge(lv, r.byKey.get(key)!.value, item, [...path, pe]);
  };
  const shared = r.keys.filter((k) => l.byKey.has(k));
  let nextShared = shared.shift();
  const emitted = new Set<string>();
  const out: unknown[] = [];
  let li = 0;
  let ri = 0;
  while (li < l.keys.length || ri < r.keys.length) {
    if (li < l.keys.length && ri < r.keys.length) {
      if (l.keys[li] === r.keys[ri]) {
        emitted.add(r.keys[ri]);
        out.push(mergeItem(r.keys[ri], r.pes[ri]));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      // A shared item met out of order in the live list waits for its turn in the configuration.
      if (r.byKey.has(l.keys[li]) && nextShared !== undefined && nextShared !== l.keys[li]) {
        li++;
        continue;
      }
    }
    if (li < l.keys.length) {
      const key = l.keys[li];
      if (!r.byKey.has(key)) {
        out.push(lhs[li]);
        li++;
        continue;
      }
      if (emitted.has(key)) li++;
    }
    if (ri < r.keys.length) {
      const key = r.keys[ri];
      emitted.add(key);
      out.push(mergeItem(key, r.pes[ri]));
      ri++;
      if (nextShared === key) nextShared = shared.shift();
    }
  }
  return out;
}

/** Removes the members of `set` from a value (undefined when nothing is left of a container). */
export function removeItems(value: unknown, set: FieldSet, node: SchemaNode | undefined, path: Path = []): unknown {
  if (set.isEmpty()) return value;
  if (Array.isArray(value)) {
    const sem = listSem(node);
    if (sem.kind === "atomic" || value.length === 0) return value;
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const pe = itemElement(sem, node, item, path, i);
      if (set.has([pe])) return;
      const sub = set.withPrefix(pe);
      const v = sub.isEmpty() ? item : removeItems(item, sub, itemSchema(node), [...path, pe]);
      if (v !== undefined) out.push(v);
    });
    return out.length ? out : undefined;
  }
  if (isObject(value)) {
    if (mapIsAtomic(node) || Object.keys(value).length === 0) return value;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = field(k);
      if (set.has([pe])) continue;
      const sub = set.withPrefix(pe);
      const nv = sub.isEmpty() ? v : removeItems(v, sub, childSchema(node, k), [...path, pe]);
      if (nv !== undefined) out[k] = nv;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/** Marks declared struct fields that have owned descendants as owned themselves (for pruning). */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: SchemaNode | undefined): FieldSet {
  const out = new FieldSet();
  const walk = (s: FieldSet, n: SchemaNode | undefined, prefix: Path) => {
    for (const { pe, member, set: sub } of s.entries()) {
      const p = [...prefix, pe];
      const named = pe.kind === "field" && isNamedField(n, pe.name);
      if (member || (named && !sub.isEmpty())) out.insertMut(p);
      walk(sub, pe.kind === "field" ? childSchema(n, pe.name) : itemSchema(n), p);
    }
  };
  walk(set, node, []);
  return out;
}
