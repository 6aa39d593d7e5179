import { describe, expect, it } from "vitest";
import {
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  makeQuantity,
  parseQuantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  quantityMilliValue,
  quantityValue,
  subtractQuantities,
} from "./quantity.js";

describe("canonical quantity strings (Quantity.String)", () => {
  it.each([
    ["0", "0"],
    ["0Gi", "0"],
    ["100m", "100m"],
    ["1000m", "1"],
    ["1500m", "1500m"],
    ["1.5", "1500m"],
    ["0.5", "500m"],
    ["1", "1"],
    ["1500", "1500"],
    ["15000", "15k"],
    ["1k", "1k"],
    ["1000k", "1M"],
    ["500Mi", "500Mi"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["1.5Gi", "1536Mi"],
    ["0.5Ki", "512"],
    ["0.1Ki", "102400m"],
    ["2000Ki", "2000Ki"],
    ["1e3", "1e3"],
    ["1.5e3", "1500"],
    ["1E6", "1e6"],
    ["1e-3", "1e-3"],
    ["+5", "5"],
    ["-100m", "-100m"],
    ["007", "7"],
    ["0.0000000001", "1n"],
    ["1.0000000001", "1000000001n"],
    ["12Ei", "9223372036854775807"],
    [2, "2"],
  ])("%j → %j", (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });
});

describe("quantity parse errors", () => {
  it.each([
    ["", QUANTITY_FORMAT_ERROR],
    ["abc", QUANTITY_FORMAT_ERROR],
    ["1.2.3", QUANTITY_FORMAT_ERROR],
    ["1 Gi", QUANTITY_FORMAT_ERROR],
    ["1e", QUANTITY_SUFFIX_ERROR],
    ["1Gb", QUANTITY_FORMAT_ERROR],
    ["1iK", QUANTITY_SUFFIX_ERROR],
    ["1Ki5", QUANTITY_SUFFIX_ERROR],
  ])("%j", (input, message) => {
    expect(() => parseQuantity(input)).toThrow(message);
  });
});

describe("quantity arithmetic", () => {
  it("converts to milli units and bytes, rounding up", () => {
    expect(quantityMilliValue(parseQuantity("250m"))).toBe(250n);
    expect(quantityMilliValue(parseQuantity("2"))).toBe(2000n);
    expect(quantityMilliValue(parseQuantity("1n"))).toBe(1n);
    expect(parseQuantity("1.5").milli).toBe(1500n);
    expect(quantityValue(parseQuantity("1Gi"))).toBe(1073741824n);
    expect(quantityValue(parseQuantity("100m"))).toBe(1n);
  });

  it("compares across formats", () => {
    expect(compareQuantities(parseQuantity("1Gi"), parseQuantity("1073741824"))).toBe(0);
    expect(compareQuantities(parseQuantity("1G"), parseQuantity("1Gi"))).toBe(-1);
    expect(compareQuantities(parseQuantity("2"), parseQuantity("1999m"))).toBe(1);
  });

  it("adds and subtracts, keeping the receiver's format", () => {
    expect(canonicalQuantity("0")).toBe("0");
    const sum = addQuantities(parseQuantity("512Mi"), parseQuantity("512Mi"));
    expect(sum.format).toBe("BinarySI");
    expect(addQuantities(makeQuantity(0), parseQuantity("1Gi")).format).toBe("BinarySI");
    expect(subtractQuantities(parseQuantity("1"), parseQuantity("250m")).milli).toBe(750n);
  });
});
