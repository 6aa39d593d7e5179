import { describe, expect, it } from "vitest";
import { LineSplitter } from "./ndjson.js";

describe("LineSplitter", () => {
  it("joins lines cut across chunks and drops blank lines", () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(":2}\n\n")).toEqual(['{"b":2}']);
    expect(s.push('{"c":3}')).toEqual([]);
    expect(s.end()).toEqual(['{"c":3}']);
    expect(s.end()).toEqual([]);
  });

  it("keeps a multi-byte character split between buffers intact", () => {
    const bytes = Buffer.from('{"n":"é"}\n', "utf8");
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
    const s = new LineSplitter();
    expect(s.push(bytes.subarray(0, cut))).toEqual([]);
    expect(s.push(bytes.subarray(cut))).toEqual(['{"n":"é"}']);
  });
});
