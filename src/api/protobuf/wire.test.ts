import { describe, expect, it } from "vitest";
import { message } from "./pb-writer.test-helper.js";
import { ProtobufDecodeError, readFields, readPackedVarints, readVarint } from "./wire.js";

describe("readVarint", () => {
  it.each([
    ["00", 0n, 1],
    ["01", 1n, 1],
    ["ac02", 300n, 2],
    // int32 -1 is sign-extended to 64 bits: ten bytes.
    ["ffffffffffffffffff01", 0xffffffffffffffffn, 10],
  ])("%s → %s", (hex, value, next) => {
    expect(readVarint(Buffer.from(hex, "hex"), 0)).toEqual([value, next]);
  });

  it("rejects a truncated or overlong varint", () => {
    expect(() => readVarint(Buffer.from("ff", "hex"), 0)).toThrow(ProtobufDecodeError);
    expect(() => readVarint(Buffer.from("ffffffffffffffffffff01", "hex"), 0)).toThrow(/longer than 10 bytes/);
  });
});

describe("readFields", () => {
  it("splits a message into numbered fields in wire order", () => {
    const buf = message([
      [1, "string", "a"],
      [7, "varint", 5],
      [1, "string", "b"],
      [20, "double", 1.5],
    ]);
    const fields = readFields(buf);
    expect(fields.map((f) => [f.num, f.wire])).toEqual([[1, 2], [7, 0], [1, 2], [20, 1]]);
    expect(fields[2].bytes?.toString()).toBe("b");
    expect(fields[1].value).toBe(5n);
  });

  it("rejects truncated length-delimited data and group wire types", () => {
    const buf = message([[1, "string", "hello"]]);
    expect(() => readFields(buf.subarray(0, 4))).toThrow(/unexpected end/);
    expect(() => readFields(Buffer.from([0x0b]))).toThrow(/wire type 3/);
  });

  it("reads packed varints", () => {
    expect(readPackedVarints(Buffer.from("0102ac02", "hex"))).toEqual([1n, 2n, 300n]);
  });
});
