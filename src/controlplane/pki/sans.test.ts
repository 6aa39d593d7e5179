import { describe, expect, it } from "vitest";
import { normalizeIp, sameSans, servingSans } from "./sans.js";

describe("normalizeIp", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["[::1]", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["localhost", undefined],
    ["1.2.3", undefined],
    ["example.com", undefined],
  ])("%s -> %s", (input, want) => {
    expect(normalizeIp(input)).toBe(want);
  });
});

describe("servingSans", () => {
  it("includes the defaults and the host name", () => {
    expect(servingSans([], "node-1")).toEqual({
      dns: [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
        "node-1",
      ],
      ips: ["10.96.0.1", "127.0.0.1"],
    });
  });

  it("classifies extra names as IP or DNS, de-duplicates and ignores blanks", () => {
    const s = servingSans(["192.168.1.5", "API.Example.com", "fd00::0001", "127.0.0.1", " ", "localhost"], undefined);
    expect(s.ips).toEqual(["10.96.0.1", "127.0.0.1", "192.168.1.5", "fd00::1"]);
    expect(s.dns).toContain("api.example.com");
    expect(s.dns.filter((d) => d === "localhost")).toHaveLength(1);
  });

  it("is independent of flag order", () => {
    expect(sameSans(servingSans(["a.test", "10.0.0.1"], "h"), servingSans(["10.0.0.1", "a.test"], "h"))).toBe(true);
    expect(sameSans(servingSans(["a.test"], "h"), servingSans(["b.test"], "h"))).toBe(false);
    expect(sameSans(servingSans([], "h"), servingSans([], "other"))).toBe(false);
  });
});
