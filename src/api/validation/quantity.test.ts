import { describe, expect, it } from "vitest";
import { isCIDR, isIPv4, isIPv6 } from "./net.js";
import { parseQuantity } from "./quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["500m", 0.5],
    ["1", 1],
    ["1.5", 1.5],
    ["128Mi", 128 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["2k", 2000],
    ["1e3", 1000],
    ["1E", 1e18],
    [".5", 0.5],
    ["-1", -1],
    [2, 2],
  ])("%j = %d", (q, v) => {
    expect(parseQuantity(q)).toBe(v);
  });

  it.each(["", "lots", "1.2.3", "1Gb", "Mi", "1 Gi"])("rejects %j", (q) => {
    expect(parseQuantity(q)).toBeUndefined();
  });
});

describe("IP syntax", () => {
  it("accepts what Go's ParseIP accepts", () => {
    expect(isIPv4("10.0.0.1")).toBe(true);
    expect(isIPv4("10.0.0.01")).toBe(false);
    expect(isIPv4("10.0.0.256")).toBe(false);
    expect(isIPv6("fd00::1")).toBe(true);
    expect(isCIDR("10.244.0.0/16")).toBe(true);
    expect(isCIDR("10.244.0.0/33")).toBe(false);
    expect(isCIDR("fd00::/64")).toBe(true);
  });
});
