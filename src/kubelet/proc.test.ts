import { describe, expect, it } from "vitest";
import {
  cgroupAncestors,
  cpuMillis,
  cpusFromQuota,
  defaultRouteInterface,
  formatCpu,
  goArch,
  parseCpuMax,
  parseMemTotalKi,
  parseMemoryLimit,
  parseOsRelease,
  parseRuncVersion,
  parseSelfCgroup,
  pickInternalIP,
  routeHexToIPv4,
  uuidFromHex,
} from "./proc.js";

const ROUTE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
  "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
  "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
  "down0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0",
  "",
].join("\n");

describe("/proc parsers", () => {
  it("reads MemTotal in KiB", () => {
    expect(parseMemTotalKi("MemTotal:       24684092 kB\nMemFree:  1 kB\n")).toBe(24684092);
    expect(parseMemTotalKi("nothing")).toBeUndefined();
  });

  it("finds the default route's interface: lowest metric among routes that are up", () => {
    expect(defaultRouteInterface(ROUTE)).toBe("eth0");
    expect(defaultRouteInterface(ROUTE.split("\n").filter((l) => !l.startsWith("eth0") && !l.startsWith("wlan0")).join("\n"))).toBeUndefined();
    expect(routeHexToIPv4("010200C0")).toBe("192.0.2.1");
  });

  it("picks the InternalIP from the default interface, else the first other IPv4", () => {
    const ifaces = {
      lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
      eth0: [
        { address: "fe80::1", family: "IPv6", internal: false },
        { address: "172.18.0.3", family: "IPv4", internal: false },
      ],
      br0: [{ address: "10.0.0.1", family: 4, internal: false }],
    };
    expect(pickInternalIP("eth0", ifaces)).toBe("172.18.0.3");
    expect(pickInternalIP("missing", ifaces)).toBe("10.0.0.1");
    expect(pickInternalIP(undefined, { lo: ifaces.lo })).toBeUndefined();
  });

  it("reads /etc/os-release with and without quotes", () => {
    const text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME=Debian\nID=debian\n# comment\nQ=\'single\'\n';
    expect(parseOsRelease(text)).toEqual({ PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)", NAME: "Debian", ID: "debian", Q: "single" });
  });
});

describe("cgroups", () => {
  it("parses /proc/self/cgroup for v1 controllers and the v2 path", () => {
    const cg = parseSelfCgroup("12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/\n0::/system.slice/x\n");
    expect(cg.v1).toEqual({ cpu: "/docker/abc", cpuacct: "/docker/abc", memory: "/docker/abc", "name=systemd": "/" });
    expect(cg.v2).toBe("/system.slice/x");
  });

  it("lists a cgroup and its ancestors", () => {
    expect(cgroupAncestors("/docker/abc")).toEqual(["/docker/abc", "/docker", "/"]);
    expect(cgroupAncestors("/")).toEqual(["/"]);
  });

  it("reads memory limits; 'max' and v1's near-2^63 value mean none", () => {
    expect(parseMemoryLimit("2147483648\n")).toBe(2147483648);
    expect(parseMemoryLimit("max\n")).toBeUndefined();
    expect(parseMemoryLimit("9223372036854771712\n")).toBeUndefined();
    expect(parseMemoryLimit("")).toBeUndefined();
  });

  it("reads CPU quotas (v2 cpu.max, v1 cfs) and applies them to the core count", () => {
    expect(parseCpuMax("max 100000\n")).toBeUndefined();
    expect(parseCpuMax("150000 100000\n")).toBe(1.5);
    expect(cpusFromQuota(-1, 100000)).toBeUndefined();
    expect(cpusFromQuota(200000, 100000)).toBe(2);
    expect(cpuMillis(8, undefined)).toBe(8000);
    expect(cpuMillis(8, 1.5)).toBe(1500);
    expect(cpuMillis(2, 4)).toBe(2000);
    expect(formatCpu(2000)).toBe("2");
    expect(formatCpu(1500)).toBe("1500m");
  });
});

describe("other facts", () => {
  it("reads the runc version", () => {
    expect(parseRuncVersion("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n")).toBe("1.1.5+ds1");
    expect(parseRuncVersion("something else")).toBeUndefined();
  });

  it("spells architectures as Go does", () => {
    expect(goArch("x64")).toBe("amd64");
    expect(goArch("arm64")).toBe("arm64");
    expect(goArch("ia32")).toBe("386");
  });

  it("formats 32 hex digits as a UUID", () => {
    expect(uuidFromHex("3d1219c7c4c5404aaa1f6d2a48adfda4")).toBe("3d1219c7-c4c5-404a-aa1f-6d2a48adfda4");
  });
});
