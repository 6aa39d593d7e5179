// An ordered set of keys for prefix and range scans. Kept as a list of sorted chunks (a flat
// B-tree of depth one): an insert or delete moves at most one chunk's elements, instead of the
// whole array, which keeps creates O(sqrt n)-ish cheap at 100k keys while scans stay a plain walk.

import { compareKeys } from "./keys.js";

const MAX_CHUNK = 512;

export class SortedKeySet {
  private chunks: string[][] = [];
  private count = 0;

  /** Builds a set from keys already in compareKeys order without duplicates. */
  static fromSorted(keys: readonly string[]): SortedKeySet {
    const set = new SortedKeySet();
    for (let i = 0; i < keys.length; i += MAX_CHUNK / 2) set.chunks.push(keys.slice(i, i + MAX_CHUNK / 2));
    set.count = keys.length;
    return set;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; returns false if it was already there. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    let c = this.chunkFor(key);
    if (c === this.chunks.length) c--; // larger than everything: append to the last chunk
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
    return true;
  }

  /** Removes the key; returns false if it was not there. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    if (c === this.chunks.length) return false;
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, key);
    if (i === chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  has(key: string): boolean {
    const c = this.chunkFor(key);
    if (c === this.chunks.length) return false;
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, key);
    return i < chunk.length && chunk[i] === key;
  }

  /** Keys k with from <= k < to (no upper bound when `to` is undefined), in order. */
  *range(from: string, to: string | undefined): Generator<string> {
    const first = this.chunkFor(from);
    for (let c = first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      for (let i = c === first ? lowerBound(chunk, from) : 0; i < chunk.length; i++) {
        const key = chunk[i];
        if (to !== undefined && compareKeys(key, to) >= 0) return;
        yield key;
      }
    }
  }

  /** Index of the first chunk whose last key is >= key (chunks.length if none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid];
      if (compareKeys(chunk[chunk.length - 1], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
