import { describe, expect, it } from "vitest";
import { compareKeys, keyAfter, prefixEnd } from "./keys.js";

const utf8 = (s: string) => Buffer.from(s, "utf8");

describe("compareKeys", () => {
  const cases: Array<[string, string]> = [
    ["a", "b"],
    ["/registry/pods/default/", "/registry/pods/default2/"],
    ["/registry/pods/default/x", "/registry/pods/default0"],
    ["abc", "abcd"],
    ["\uffff", "\u{1f600}"], // UTF-16 order says the emoji is smaller; UTF-8 says larger
    ["\ue000", "\u{10000}"],
    ["z", "\u00e9"],
    ["", "\u0000"],
  ];
  it.each(cases)("orders %j against %j like UTF-8 bytes", (a, b) => {
    const want = Math.sign(Buffer.compare(utf8(a), utf8(b)));
    expect(Math.sign(compareKeys(a, b))).toBe(want);
    expect(Math.sign(compareKeys(b, a))).toBe(-want);
  });
  it("is zero for equal keys", () => {
    expect(compareKeys("/registry/x", "/registry/x")).toBe(0);
  });
});

describe("prefixEnd", () => {
  it.each([
    ["/registry/pods/default/", "/registry/pods/default0"],
    ["a", "b"],
    ["a\u{10ffff}", "b"],
    ["\ud7ff", "\ue000"],
    ["x\uffff", "x\u{10000}"],
  ])("%j -> %j", (prefix, end) => {
    expect(prefixEnd(prefix)).toBe(end);
  });
  it("has no end for the empty prefix or only U+10FFFF", () => {
    expect(prefixEnd("")).toBeUndefined();
    expect(prefixEnd("\u{10ffff}")).toBeUndefined();
  });
  it("bounds every key with the prefix and nothing else", () => {
    const prefix = "/registry/pods/default/";
    const end = prefixEnd(prefix)!;
    for (const k of [prefix, prefix + "\u{10ffff}", prefix + "zzz"]) expect(compareKeys(k, end)).toBeLessThan(0);
    expect(compareKeys("/registry/pods/default0", end)).toBe(0);
  });
});

describe("keyAfter", () => {
  it("is the immediate successor", () => {
    expect(compareKeys(keyAfter("a"), "a")).toBeGreaterThan(0);
    expect(compareKeys(keyAfter("a"), "a\u0001")).toBeLessThan(0);
    expect(compareKeys(keyAfter("a"), "b")).toBeLessThan(0);
  });
});
