import { describe, expect, it } from "vitest";
import { parseResolvConf, parseUpstream } from "./forward.js";

describe("upstream resolvers", () => {
  it("reads the nameservers of resolv.conf", () => {
    const text = "# generated\nsearch example.com\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\nnameserver not-an-ip\noptions ndots:0\n";
    expect(parseResolvConf(text)).toEqual([
      { host: "127.0.0.11", port: 53 },
      { host: "fe80::1", port: 53 },
    ]);
  });
  it("parses upstream addresses with and without ports", () => {
    expect(parseUpstream("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 53 });
    expect(parseUpstream("10.0.0.2:5353")).toEqual({ host: "10.0.0.2", port: 5353 });
    expect(parseUpstream("[fd00::2]:5353")).toEqual({ host: "fd00::2", port: 5353 });
    expect(parseUpstream("fd00::2")).toEqual({ host: "fd00::2", port: 53 });
    expect(() => parseUpstream("dns.example:53")).toThrow(/bad upstream/);
  });
});
