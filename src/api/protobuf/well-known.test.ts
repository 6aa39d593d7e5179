import { describe, expect, it } from "vitest";
import { message } from "./pb-writer.test-helper.js";
import { decodeIntOrString, decodeQuantity, decodeRawJson, decodeTime } from "./well-known.js";

describe("Time and MicroTime", () => {
  it("renders a zero (empty) time as null, like creationTimestamp: null in JSON", () => {
    expect(decodeTime(Buffer.alloc(0), false)).toBeNull();
    expect(decodeTime(Buffer.alloc(0), true)).toBeNull();
  });

  it("renders Time with whole seconds and ignores nanos, as Go does", () => {
    const t = message([[1, "int64", 1700000000], [2, "varint", 999999999]]);
    expect(decodeTime(t, false)).toBe("2023-11-14T22:13:20Z");
  });

  it("renders MicroTime with six fractional digits", () => {
    expect(decodeTime(message([[1, "int64", 1700000000], [2, "varint", 1234567]]), true)).toBe("2023-11-14T22:13:20.001234Z");
    expect(decodeTime(message([[1, "int64", 1700000000]]), true)).toBe("2023-11-14T22:13:20.000000Z");
  });

  it("handles times before the epoch", () => {
    expect(decodeTime(message([[1, "int64", -86400]]), false)).toBe("1969-12-31T00:00:00Z");
  });
});

describe("Quantity", () => {
  it.each([
    ["500m", "500m"],
    ["1Gi", "1Gi"],
    ["", "0"],
  ])("%j → %j", (s, want) => {
    expect(decodeQuantity(message([[1, "string", s]]))).toBe(want);
  });
});

describe("IntOrString", () => {
  it("reads the int form (type 0, possibly omitted)", () => {
    expect(decodeIntOrString(message([[1, "int64", 0], [2, "varint", 8080], [3, "string", ""]]))).toBe(8080);
    expect(decodeIntOrString(message([[2, "varint", -1]]))).toBe(-1);
  });

  it("reads the string form (type 1)", () => {
    expect(decodeIntOrString(message([[1, "int64", 1], [2, "varint", 0], [3, "string", "50%"]]))).toBe("50%");
  });
});

describe("RawExtension / FieldsV1", () => {
  it("parses the embedded JSON", () => {
    expect(decodeRawJson(message([[1, "bytes", Buffer.from('{"f:data":{".":{}}}')]]))).toEqual({ "f:data": { ".": {} } });
    expect(decodeRawJson(Buffer.alloc(0))).toBeNull();
  });

  it("rejects raw bytes that are not JSON", () => {
    expect(() => decodeRawJson(message([[1, "bytes", Buffer.from([0x6b, 0x38, 0x73, 0])]]))).toThrow(/not JSON/);
  });
});
