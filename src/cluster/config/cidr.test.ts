import { describe, expect, it } from "vitest";
import { blocksIn, cidrsOverlap, firstServiceIP, parseIPv4Cidr, type IPv4Cidr } from "./cidr.js";

const cidr = (s: string): IPv4Cidr => {
  const c = parseIPv4Cidr(s);
  if (typeof c === "string") throw new Error(c);
  return c;
};

describe("IPv4 CIDRs", () => {
  it("parses network addresses", () => {
    expect(parseIPv4Cidr("10.244.0.0/16")).toEqual({ base: 0x0af40000, prefix: 16 });
    expect(parseIPv4Cidr("0.0.0.0/0")).toEqual({ base: 0, prefix: 0 });
    expect(parseIPv4Cidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
  });

  it.each<[string, string]>([
    ["10.244.0.0", "is not an IPv4 CIDR such as 10.244.0.0/16"],
    ["10.244.0.0/33", "is not an IPv4 CIDR"],
    ["10.244.0.0/", "is not an IPv4 CIDR"],
    ["10.244.0.0/016", "is not an IPv4 CIDR"],
    ["10.244.0/16", "is not an IPv4 CIDR"],
    ["010.244.0.0/16", "is not an IPv4 CIDR"],
    ["fd00::/64", "is IPv6; IPv6 subnets are not supported yet"],
    ["10.244.3.0/16", "has host bits set; did you mean 10.244.0.0/16?"],
    ["10.96.0.1/12", "did you mean 10.96.0.0/12?"],
  ])("rejects %s", (text, message) => {
    expect(parseIPv4Cidr(text)).toContain(message);
  });

  it.each<[string, string, boolean]>([
    ["10.244.0.0/16", "10.96.0.0/16", false],
    ["10.96.0.0/12", "10.96.0.0/16", true],
    ["10.96.0.0/16", "10.96.0.0/12", true],
    ["10.96.0.0/16", "10.97.0.0/16", false],
    ["10.96.0.0/15", "10.97.0.0/16", true],
    ["10.0.0.0/8", "10.255.255.0/24", true],
    ["10.0.0.0/8", "11.0.0.0/24", false],
  ])("%s and %s overlap: %s", (a, b, overlap) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(overlap);
  });

  it("counts /24 blocks", () => {
    expect(blocksIn(cidr("10.244.0.0/16"))).toBe(256);
    expect(blocksIn(cidr("10.244.0.0/24"))).toBe(1);
    expect(blocksIn(cidr("10.244.0.0/25"))).toBe(0);
  });

  it("gives the kubernetes Service IP: the subnet's first address", () => {
    expect(firstServiceIP("10.96.0.0/16")).toBe("10.96.0.1");
    expect(firstServiceIP("172.16.0.0/12")).toBe("172.16.0.1");
    expect(() => firstServiceIP("nonsense")).toThrow('service subnet "nonsense" is not an IPv4 CIDR');
  });
});
