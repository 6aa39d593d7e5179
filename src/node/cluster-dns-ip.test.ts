import { describe, expect, it } from "vitest";
import { clusterDnsIP } from "./run.js";

describe("clusterDnsIP", () => {
  it("is the 10th IP of the service subnet", () => {
    expect(clusterDnsIP("10.96.0.0/16")).toBe("10.96.0.10");
    expect(clusterDnsIP("172.20.5.0/24")).toBe("172.20.5.10");
    expect(clusterDnsIP("10.100.7.9/12")).toBe("10.96.0.10");
  });
  it("refuses what is not an IPv4 CIDR", () => {
    expect(() => clusterDnsIP("fd00::/108")).toThrow(/not an IPv4 CIDR/);
  });
});
