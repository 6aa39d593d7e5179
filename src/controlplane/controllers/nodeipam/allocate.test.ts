import { describe, expect, it } from "vitest";
import { nextFreeCidr, nodeCidrAt, podCidrPlan } from "./allocate.js";

describe("podCidrPlan", () => {
  it("splits the subnet into node ranges", () => {
    expect(podCidrPlan("10.244.0.0/16").size).toBe(256);
    expect(podCidrPlan("10.244.0.0/24").size).toBe(1);
    expect(podCidrPlan("10.0.0.0/8", 16).size).toBe(256);
  });

  it.each([
    ["10.244.0.0/25", 24, "cannot be split into /24 node ranges"],
    ["10.244.1.0/16", 24, "has host bits set"],
    ["nonsense", 24, "is not an IPv4 CIDR"],
    ["10.244.0.0/16", 31, "cannot be split into /31"],
  ])("rejects %s with mask /%i", (subnet, mask, message) => {
    expect(() => podCidrPlan(subnet, mask)).toThrow(message);
  });

  it("numbers node ranges from the subnet's base", () => {
    const plan = podCidrPlan("10.244.0.0/16");
    expect(nodeCidrAt(plan, 0)).toBe("10.244.0.0/24");
    expect(nodeCidrAt(plan, 255)).toBe("10.244.255.0/24");
    expect(nodeCidrAt(podCidrPlan("192.168.16.0/20", 26), 5)).toBe("192.168.17.64/26");
  });
});

describe("nextFreeCidr", () => {
  const plan = podCidrPlan("10.244.0.0/16");
  it.each<[string, string[], string | undefined]>([
    ["the first range when nothing is held", [], "10.244.0.0/24"],
    ["the next in order", ["10.244.0.0/24", "10.244.1.0/24"], "10.244.2.0/24"],
    ["a gap left by a deleted node", ["10.244.0.0/24", "10.244.2.0/24"], "10.244.1.0/24"],
    ["past every range a larger held CIDR covers", ["10.244.0.0/23"], "10.244.2.0/24"],
    ["past a smaller held CIDR's range", ["10.244.0.128/25"], "10.244.1.0/24"],
    ["ignoring CIDRs outside the subnet", ["10.245.0.0/24", "192.168.0.0/16"], "10.244.0.0/24"],
    ["ignoring unparsable values", ["", "garbage", "10.244.0.0"], "10.244.0.0/24"],
    ["a held supernet takes everything", ["10.0.0.0/8"], undefined],
  ])("%s", (_what, held, want) => {
    expect(nextFreeCidr(plan, held)).toBe(want);
  });

  it("returns undefined when the subnet is full", () => {
    const small = podCidrPlan("10.244.0.0/23");
    expect(nextFreeCidr(small, ["10.244.0.0/24"])).toBe("10.244.1.0/24");
    expect(nextFreeCidr(small, ["10.244.0.0/24", "10.244.1.0/24"])).toBeUndefined();
  });

  it("handles a subnet at the top of the address space", () => {
    const top = podCidrPlan("255.255.254.0/23");
    expect(nextFreeCidr(top, ["255.255.254.0/24"])).toBe("255.255.255.0/24");
    expect(nextFreeCidr(top, ["255.255.255.0/24", "255.255.254.0/24"])).toBeUndefined();
  });
});
