// Field paths and field sets as server-side apply records them (the model of
// sigs.k8s.io/structured-merge-diff/fieldpath), and their FieldsV1 wire form:
//   f:<name>                 a field of an object (struct field or map key)
//   k:{"name":"web"}         an item of a list-map, by its key fields (sorted by field name)
//   v:"value"                an item of a set, by value
//   i:3                      an item of an atomic-less list without keys, by index
//   "."                      inside a child: the node itself is also a member
import { compareStrings, goJson, isObject } from "../json.js";

export type Scalar = string | number | boolean | null;

export type PathElement =
  | { kind: "field"; name: string }
  | { kind: "key"; fields: Array<[string, unknown]> }
  | { kind: "value"; value: unknown }
  | { kind: "index"; index: number };

export type Path = PathElement[];

export const field = (name: string): PathElement => ({ kind: "field", name });

/** The FieldsV1 key of an element; also its identity inside a set. */
export function serializeElement(pe: PathElement): string {
  switch (pe.kind) {
    case "field":
      return `f:${pe.name}`;
    case "key":
      return `k:{${pe.fields.map(([n, v]) => `${goJson(n)}:${goJson(v)}`).join(",")}}`;
    case "value":
      return `v:${goJson(pe.value)}`;
    case "index":
      return `i:${pe.index}`;
  }
}

export function parseElement(s: string): PathElement {
  const sep = s.slice(1, 2);
  if (s.length < 2 || sep !== ":") throw new Error(`invalid path element ${JSON.stringify(s)}`);
  const body = s.slice(2);
  switch (s[0]) {
    case "f":
      return field(body);
    case "v":
      return { kind: "value", value: JSON.parse(body) };
    case "i": {
      const index = Number(body);
      if (!Number.isInteger(index)) throw new Error(`invalid index ${JSON.stringify(s)}`);
      return { kind: "index", index };
    }
    case "k": {
      const obj = JSON.parse(body) as unknown;
      if (!isObject(obj)) throw new Error(`invalid key ${JSON.stringify(s)}`);
      return keyElement(Object.entries(obj));
    }
    default:
      throw new Error(`unknown path element type ${JSON.stringify(s)}`);
  }
}

export function keyElement(fields: Array<[string, unknown]>): PathElement {
  return { kind: "key", fields: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

/** The human form used in conflict messages: `.spec.containers[name="web"].image`, `[=x]`, `[0]`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      switch (pe.kind) {
        case "field":
          return `.${pe.name}`;
        case "key":
          return `[${pe.fields.map(([n, v]) => `${n}=${valueString(v)}`).join(",")}]`;
        case "value":
          return `[=${valueString(pe.value)}]`;
        case "index":
          return `[${pe.index}]`;
      }
    })
    .join("");
}

function valueString(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(",")}]`;
  if (isObject(v)) return `{${Object.entries(v).map(([k, x]) => `${k}=${valueString(x)}`).join(";")}}`;
  return String(v);
}

// Element order of structured-merge-diff: fields < keys < values < indices.
const rank = { field: 0, key: 1, value: 2, index: 3 } as const;

export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return rank[a.kind] - rank[b.kind];
  switch (a.kind) {
    case "field":
      return compareStrings(a.name, (b as typeof a).name);
    case "key": {
      const bf = (b as typeof a).fields;
      for (let i = 0; i < Math.min(a.fields.length, bf.length); i++) {
        const c = compareStrings(a.fields[i][0], bf[i][0]) || compareValues(a.fields[i][1], bf[i][1]);
        if (c) return c;
      }
      return a.fields.length - bf.length;
    }
    case "value":
      return compareValues(a.value, (b as typeof a).value);
    case "index":
      return a.index - (b as typeof a).index;
  }
}

/** structured-merge-diff's total order of values: numbers < strings < bools < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const r = (v: unknown) =>
    typeof v === "number" ? 0 : typeof v === "string" ? 1 : typeof v === "boolean" ? 2 : Array.isArray(v) ? 3 : isObject(v) ? 4 : 5;
  const ra = r(a);
  const rb = r(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 1) return compareStrings(a as string, b as string);
  if (ra === 2) return Number(a) - Number(b);
  if (ra === 3) {
    const la = a as unknown[];
    const lb = b as unknown[];
    for (let i = 0; i < Math.min(la.length, lb.length); i++) {
      const c = compareValues(la[i], lb[i]);
      if (c) return c;
    }
    return la.length - lb.length;
  }
  if (ra === 4) return compareStrings(goJson(a), goJson(b));
  return 0;
}

interface Child {
  pe: PathElement;
  member: boolean;
  set: FieldSet;
}

/**
 * A set of paths stored as a tree. A path is in the set when its last element is marked member
 * under its parent; children hold the paths that continue below an element. Immutable from the
 * outside: every operation returns a new set.
 */
export class FieldSet {
  private readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insertMut(p);
    return s;
  }

  isEmpty(): boolean {
    return this.children.size === 0;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let children = this.children;
    for (let i = 0; i < path.length; i++) {
      const c = children.get(serializeElement(path[i]));
      if (!c) return false;
      if (i === path.length - 1) return c.member;
      children = c.set.children;
    }
    return false;
  }

  /** The paths below `pe`, without the prefix (empty if none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializeElement(pe))?.set ?? new FieldSet();
  }

  insert(path: Path): FieldSet {
    const s = this.copy();
    s.insertMut(path);
    return s;
  }

  /** Used by builders that own a fresh set. */
  insertMut(path: Path): void {
    if (path.length === 0) return;
    let children = this.children;
    for (let i = 0; i < path.length; i++) {
      const key = serializeElement(path[i]);
      let c = children.get(key);
      if (!c) {
        c = { pe: path[i], member: false, set: new FieldSet() };
        children.set(key, c);
      }
      if (i === path.length - 1) c.member = true;
      children = c.set.children;
    }
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    for (const [k, oc] of other.children) {
      const mine = out.children.get(k);
      if (!mine) out.children.set(k, { pe: oc.pe, member: oc.member, set: oc.set.copy() });
      else out.children.set(k, { pe: mine.pe, member: mine.member || oc.member, set: mine.set.union(oc.set) });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, c] of this.children) {
      const oc = other.children.get(k);
      if (!oc) continue;
      out.put(k, c.pe, c.member && oc.member, c.set.intersection(oc.set));
    }
    return out;
  }

  /** Removes exactly the paths of `other` (descendants of a removed path stay). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, c] of this.children) {
      const oc = other.children.get(k);
      if (!oc) out.put(k, c.pe, c.member, c.set.copy());
      else out.put(k, c.pe, c.member && !oc.member, c.set.difference(oc.set));
    }
    return out;
  }

  /** Removes the paths of `other` and everything below them. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, c] of this.children) {
      const oc = other.children.get(k);
      if (!oc) out.put(k, c.pe, c.member, c.set.copy());
      else if (!oc.member) out.put(k, c.pe, c.member, c.set.recursiveDifference(oc.set));
    }
    return out;
  }

  /** Paths in structured-merge-diff's iteration order: members of a level, then children. */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (s: FieldSet, prefix: Path) => {
      const sorted = s.sortedChildren();
      for (const c of sorted) if (c.member) out.push([...prefix, c.pe]);
      for (const c of sorted) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  /** Children (element, member flag, subset) in element order, for walkers. */
  entries(): Array<{ pe: PathElement; member: boolean; set: FieldSet }> {
    return this.sortedChildren().map((c) => ({ pe: c.pe, member: c.member, set: c.set }));
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.sortedChildren()) {
      const inner = c.set.toFieldsV1();
      if (c.member && !c.set.isEmpty()) out[serializeElement(c.pe)] = { ".": {}, ...inner };
      else out[serializeElement(c.pe)] = inner;
    }
    return out;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    const s = new FieldSet();
    if (!isObject(json)) throw new Error("FieldsV1 must be an object");
    for (const [k, v] of Object.entries(json)) {
      if (k === ".") continue;
      const pe = parseElement(k);
      const sub = isObject(v) ? v : {};
      const set = FieldSet.fromFieldsV1(sub);
      // A leaf ({}) or an explicit "." makes the element itself a member.
      const member = set.isEmpty() || "." in sub;
      s.put(serializeElement(pe), pe, member, set);
    }
    return s;
  }

  private sortedChildren(): Child[] {
    return [...this.children.values()].sort((a, b) => compareElements(a.pe, b.pe));
  }

  private put(key: string, pe: PathElement, member: boolean, set: FieldSet): void {
    if (member || !set.isEmpty()) this.children.set(key, { pe, member, set });
  }

  private copy(): FieldSet {
    const s = new FieldSet();
    for (const [k, c] of this.children) s.children.set(k, { pe: c.pe, member: c.member, set: c.set.copy() });
    return s;
  }
}
