import { describe, expect, it } from "vitest";
import { StatusError } from "../errors.js";
import { mergePatch } from "./merge-patch.js";

describe("mergePatch (RFC 7386)", () => {
  it.each([
    ["merges nested objects", { a: { b: 1, c: 2 } }, { a: { c: 3, d: 4 } }, { a: { b: 1, c: 3, d: 4 } }],
    ["deletes with null", { a: { b: 1, c: 2 } }, { a: { b: null } }, { a: { c: 2 } }],
    ["replaces arrays wholesale", { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ["replaces a scalar by an object", { a: "x" }, { a: { b: 1 } }, { a: { b: 1 } }],
    ["drops nulls inside newly placed objects", {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ["ignores deleting a missing key", { a: 1 }, { z: null }, { a: 1 }],
    ["RFC example", { title: "Goodbye!", author: { givenName: "John", familyName: "Doe" }, tags: ["example", "sample"], content: "x" },
      { title: "Hello!", phoneNumber: "+01-123-456-7890", author: { familyName: null }, tags: ["example"] },
      { title: "Hello!", author: { givenName: "John" }, tags: ["example"], content: "x", phoneNumber: "+01-123-456-7890" }],
  ])("%s", (_name, target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  it("does not mutate its inputs", () => {
    const target = { a: { b: 1 } };
    const patch = { a: { b: 2 } };
    mergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { b: 2 } });
  });

  it("refuses a patch that is not an object with 400", () => {
    expect(() => mergePatch({}, null)).toThrowError(StatusError);
    try {
      mergePatch({}, "x");
    } catch (err) {
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe("Invalid JSON Patch");
    }
  });
});
