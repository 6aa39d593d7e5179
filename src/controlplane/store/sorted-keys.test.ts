import { describe, expect, it } from "vitest";
import { compareKeys } from "./keys.js";
import { SortedKeySet } from "./sorted-keys.js";

// A small deterministic generator so failures reproduce.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe("SortedKeySet", () => {
  it("matches a sorted array model under random adds and deletes across chunk splits", () => {
    const set = new SortedKeySet();
    const model = new Set<string>();
    const rand = rng(7);
    for (let i = 0; i < 6000; i++) {
      const key = `/k/${Math.floor(rand() * 3000).toString(36)}`;
      if (rand() < 0.7) {
        expect(set.add(key)).toBe(!model.has(key));
        model.add(key);
      } else {
        expect(set.delete(key)).toBe(model.has(key));
        model.delete(key);
      }
      expect(set.has(key)).toBe(model.has(key));
    }
    const sorted = [...model].sort(compareKeys);
    expect(set.size).toBe(sorted.length);
    expect([...set.range("", undefined)]).toEqual(sorted);
    const from = "/k/a";
    const to = "/k/m";
    expect([...set.range(from, to)]).toEqual(sorted.filter((k) => compareKeys(k, from) >= 0 && compareKeys(k, to) < 0));
  });

  it("builds from sorted keys and keeps accepting inserts", () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, "0")}`);
    const set = SortedKeySet.fromSorted(keys);
    expect(set.add("k0500x")).toBe(true);
    expect(set.add("k0500")).toBe(false);
    expect([...set.range("k0499", "k0501")]).toEqual(["k0499", "k0500", "k0500x"]);
    expect(set.size).toBe(1001);
  });

  it("returns nothing past the end and handles an empty set", () => {
    const set = new SortedKeySet();
    expect([...set.range("a", undefined)]).toEqual([]);
    expect(set.delete("a")).toBe(false);
    set.add("a");
    expect([...set.range("b", undefined)]).toEqual([]);
  });
});
