// Key ordering helpers. Stores compare keys byte-wise on their UTF-8 encoding (etcd, SQLite's
// BINARY collation). UTF-8 byte order equals Unicode code point order, while JavaScript's `<`
// compares UTF-16 code units; the two differ only when a surrogate (U+D800–U+DFFF, half of a
// code point above U+FFFF) meets a unit in U+E000–U+FFFF. compareKeys corrects that case so the
// memory backend sorts exactly like SQLite and etcd without encoding every key.

const SURROGATE_MIN = 0xd800;
const SURROGATE_END = 0xe000;

function codePointRank(unit: number): number {
  // Lift surrogates above every BMP unit: they encode code points >= U+10000.
  return unit >= SURROGATE_MIN && unit < SURROGATE_END ? unit + 0x10000 : unit;
}

/** Byte-wise (UTF-8) comparison of two keys: negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x < SURROGATE_MIN || y < SURROGATE_MIN) return x - y;
      return codePointRank(x) - codePointRank(y);
    }
  }
  return a.length - b.length;
}

/**
 * The smallest key greater than every key that starts with `prefix` (exclusive range end), or
 * undefined when no such key exists (empty prefix, or a prefix of only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // U+D800–U+DFFF are not code points; the next one after U+D7FF is U+E000.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** The smallest key greater than `key`: use it as `startKey` to continue after `key`. */
export function keyAfter(key: string): string {
  return key + "\u0000";
}
