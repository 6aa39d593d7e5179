// Typed reads over a YAML syntax tree that record problems (with their line) instead of throwing,
// so that one pass over a file reports everything wrong with it.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import type { ConfigProblem } from "./errors.js";
import { nearest } from "./hint.js";

/** The fields an object may have, and how to explain the ones it may not. */
export interface FieldSet {
  known: readonly string[];
  /** kind's fields that minicluster does not support. */
  kindOnly?: readonly string[];
  /** Fields that belong elsewhere, with where. */
  misplaced?: Readonly<Record<string, string>>;
}

export interface Entry {
  key: Node;
  /** null when the key has no value node at all (`{ a }`). */
  value: Node | null;
  path: string;
}

/** One pass over the document: typed reads that record problems instead of throwing. */
export class Reader {
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly lc: LineCounter,
    private readonly doc: Document,
  ) {}

  line(node: Node | null | undefined): number | undefined {
    const at = node?.range?.[0];
    return at === undefined ? undefined : this.lc.linePos(at).line;
  }

  report(at: Node | null | undefined, path: string, message: string): void {
    this.problems.push({ file: this.file, line: this.line(at), path, message });
  }

  deref(node: Node | null): Node | null {
    if (node && isAlias(node)) return node.resolve(this.doc) ?? null;
    return node;
  }

  /** How a value reads in a message: strings quoted, numbers and booleans as written. */
  show(node: Node | null): string {
    const n = this.deref(node);
    if (!n) return "nothing";
    if (isMap(n)) return "a mapping";
    if (isSeq(n)) return "a list";
    if (isScalar(n)) {
      if (n.value === null) return "null";
      if (typeof n.value === "string") return JSON.stringify(n.value);
      return this.source(n);
    }
    return "an unsupported value";
  }

  source(node: Node): string {
    const r = node.range;
    return r ? this.text.slice(r[0], r[1]) : String((node as { value?: unknown }).value);
  }

  /** Whether the entry's value is absent (`field:` or `field: null`), which we read as "not given". */
  isNull(e: Entry): boolean {
    const v = this.deref(e.value);
    return !v || (isScalar(v) && v.value === null);
  }

  /** The fields of a mapping; unknown ones are reported (with a hint) and left out. */
  fields(node: Node, path: string, set: FieldSet): Map<string, Entry> | undefined {
    const { known, kindOnly = [], misplaced = {} } = set;
    const n = this.deref(node);
    if (!n || !isMap(n)) {
      this.report(node, path, `must be a mapping, got ${this.show(node)}`);
      return undefined;
    }
    const out = new Map<string, Entry>();
    for (const pair of n.items) {
      const key = pair.key as Node;
      const value = (pair.value ?? null) as Node | null;
      if (!isScalar(key) || key.value === null || typeof key.value === "object") {
        this.report(key, path, `field names must be plain strings, got ${this.show(key)}`);
        continue;
      }
      const name = typeof key.value === "string" ? key.value : this.source(key);
      const fieldPath = path ? `${path}.${name}` : name;
      if (known.includes(name)) {
        out.set(name, { key, value, path: fieldPath });
        continue;
      }
      let message = "unknown field";
      const belongs = misplaced[name];
      const guess = nearest(name, known);
      if (kindOnly.includes(name)) message += " (a kind setting minicluster does not support)";
      else if (belongs) message += `; it belongs under ${belongs}`;
      else if (guess) message += `; did you mean "${guess}"?`;
      else message += `; known fields: ${known.join(", ")}`;
      this.report(key, fieldPath, message);
    }
    return out;
  }

  /** A string field; undefined when absent or null. */
  str(e: Entry | undefined): string | undefined {
    if (!e || this.isNull(e)) return undefined;
    const v = this.deref(e.value);
    if (v && isScalar(v) && typeof v.value === "string") return v.value;
    this.report(e.value ?? e.key, e.path, `must be a string, got ${this.show(e.value)}`);
    return undefined;
  }

  /** An integer field within [lo, hi]; undefined when absent, null or invalid (then reported). */
  int(e: Entry | undefined, lo: number, hi: number, what = `an integer from ${lo} to ${hi}`): number | undefined {
    if (!e || this.isNull(e)) return undefined;
    const v = this.deref(e.value);
    if (v && isScalar(v) && typeof v.value === "number" && Number.isInteger(v.value) && v.value >= lo && v.value <= hi) return v.value;
    this.report(e.value ?? e.key, e.path, `must be ${what}, got ${this.show(e.value)}`);
    return undefined;
  }

  /** The items of a list field (absent or null: an empty list). */
  list(e: Entry | undefined): { node: Node | null; path: string }[] {
    if (!e || this.isNull(e)) return [];
    const v = this.deref(e.value);
    if (!v || !isSeq(v)) {
      this.report(e.value ?? e.key, e.path, `must be a list, got ${this.show(e.value)}`);
      return [];
    }
    return v.items.map((item, i) => ({ node: (item ?? null) as Node | null, path: `${e.path}[${i}]` }));
  }
}
