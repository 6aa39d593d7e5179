import { describe, expect, it } from "vitest";
import { BackOff } from "./backoff.js";

describe("BackOff", () => {
  it("lets the first restart go at once, then waits 10 s doubling to 5 min", () => {
    const b = new BackOff();
    let t = 0;
    expect(b.remainingMs("k", t, t)).toBe(0);
    b.next("k", t);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      t += 1000; // the container ran 1 s and exited
      const wait = b.remainingMs("k", t, t);
      waits.push(wait);
      expect(b.remainingMs("k", t, t + wait)).toBe(0);
      b.next("k", t);
      t += wait;
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("counts the wait from when the container finished", () => {
    const b = new BackOff();
    b.next("k", 0);
    b.next("k", 5000); // step 20 s
    expect(b.remainingMs("k", 6000, 16_000)).toBe(10_000);
  });

  it("starts over after a run longer than twice the maximum", () => {
    const b = new BackOff();
    b.next("k", 0);
    b.next("k", 1000);
    b.next("k", 2000);
    expect(b.currentMs("k")).toBe(40_000);
    const late = 2000 + 600_001;
    expect(b.remainingMs("k", late, late)).toBe(0);
    b.next("k", late);
    expect(b.currentMs("k")).toBe(10_000);
  });

  it("keeps keys apart and forgets by prefix", () => {
    const b = new BackOff({ initialMs: 100, maxMs: 1000 });
    b.next("pod1/a", 0);
    b.next("pod2/a", 0);
    b.forget("pod1/");
    expect(b.currentMs("pod1/a")).toBe(0);
    expect(b.currentMs("pod2/a")).toBe(100);
  });
});
