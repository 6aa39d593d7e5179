import { describe, expect, it } from "vitest";
import { formatDuration, MAX_DURATION_MS, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each<[string, number]>([
    ["0", 0],
    ["0s", 0],
    ["-0", 0],
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1_500],
    [".5s", 500],
    ["5.s", 5_000],
    ["1.5h", 5_400_000],
    ["+5s", 5_000],
    [" 10s ", 10_000],
    ["2000us", 2],
    ["2000µs", 2],
    ["2000μs", 2],
    ["1500us", 2], // sub-millisecond remainders round up ...
    ["1ns", 1], // ... so nothing non-zero becomes 0 ("do not wait")
    ["0.3s", 300], // exact decimal arithmetic: no 300.00000000000006 rounded up to 301
    ["30", 30_000], // a bare number is seconds
    ["2.5", 2_500],
    ["596h", 596 * 3_600_000],
  ])("%j → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each<[string, string]>([
    ["", "invalid duration \"\": use a number with a unit, e.g. 30s, 1m30s, 500ms, 2m or 1h (a bare number means seconds)"],
    ["abc", 'invalid duration "abc": use a number with a unit'],
    ["s", 'invalid duration "s": use a number with a unit'],
    [".", 'invalid duration ".": use a number with a unit'],
    ["-", 'invalid duration "-": use a number with a unit'],
    ["--5s", 'invalid duration "--5s"'],
    ["-5s", 'invalid duration "-5s": must not be negative'],
    ["-1", 'invalid duration "-1": must not be negative'],
    ["1m-5s", 'invalid duration "1m-5s": unknown unit "m-"'],
    ["1d", 'invalid duration "1d": unknown unit "d"; use h (24h is a day)'],
    ["5x", 'invalid duration "5x": unknown unit "x"; units are ns, us, ms, s, m, h'],
    ["5S", 'unknown unit "S"'],
    ["1m 30s", 'unknown unit "m "'],
    ["1m30", 'invalid duration "1m30": missing unit after 30'],
    ["1e3s", 'unknown unit "e"'],
    ["597h", 'invalid duration "597h": too long: at most 596h'],
    ["1000000000000000000000h", "too long"],
  ])("rejects %j", (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  it("accepts exactly the longest timer Node.js supports", () => {
    expect(parseDuration(`${MAX_DURATION_MS}ms`)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(`${MAX_DURATION_MS + 1}ms`)).toThrow("too long");
  });
});

describe("formatDuration", () => {
  it.each<[number, string]>([
    [0, "0s"],
    [500, "500ms"],
    [1_500, "1.5s"],
    [30_000, "30s"],
    [90_000, "1m30s"],
    [300_000, "5m"],
    [3_600_000, "1h"],
    [3_723_004, "1h2m3.004s"],
  ])("%d ms → %s, which parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
