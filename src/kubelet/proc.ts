// Parsers for the kernel and system files the kubelet reads to describe its machine. Pure: each
// takes the file's text and returns what it means; host-info.ts does the reading.

/** /proc/meminfo: MemTotal in KiB (the kernel's "kB" are KiB). */
export function parseMemTotalKi(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB$/m.exec(meminfo);
  return m ? Number(m[1]) : undefined;
}

/** Converts a little-endian hex IPv4 as /proc/net/route prints it ("0100A8C0" → 192.168.0.1). */
export function routeHexToIPv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join(".");
}

/**
 * /proc/net/route: the interface of the default route (destination and mask 0), the one with the
 * lowest metric when there are several; undefined without a default route.
 */
export function defaultRouteInterface(route: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of route.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flags, , , metric, mask] = f;
    const up = (Number.parseInt(flags, 16) & 0x1) !== 0;
    if (!up || dest !== "00000000" || mask !== "00000000") continue;
    const m = Number(metric);
    if (!best || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

export interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}

/**
 * The node's InternalIP: the first IPv4 of the default-route interface; without one, the first
 * non-loopback IPv4 of any interface (sorted by name, so the choice is stable).
 */
export function pickInternalIP(defaultIface: string | undefined, interfaces: Record<string, InterfaceAddress[] | undefined>): string | undefined {
  const v4 = (addrs: InterfaceAddress[] | undefined) => (addrs ?? []).find((a) => (a.family === "IPv4" || a.family === 4) && !a.internal)?.address;
  if (defaultIface) {
    const ip = v4(interfaces[defaultIface]);
    if (ip) return ip;
  }
  for (const name of Object.keys(interfaces).sort()) {
    const ip = v4(interfaces[name]);
    if (ip) return ip;
  }
  return undefined;
}

/** /etc/os-release: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(["'\\$`])/g, "$1");
    out[m[1]] = v;
  }
  return out;
}

export interface SelfCgroups {
  /** cgroup v1: controller → path (a line "4:cpu,cpuacct:/docker/abc" gives cpu and cpuacct). */
  v1: Record<string, string>;
  /** cgroup v2 path (the "0::/path" line), if any. */
  v2?: string;
}

/** /proc/self/cgroup. */
export function parseSelfCgroup(text: string): SelfCgroups {
  const out: SelfCgroups = { v1: {} };
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "0" && m[2] === "") out.v2 = m[3];
    else for (const c of m[2].split(",")) if (c) out.v1[c] = m[3];
  }
  return out;
}

/** "/a/b/c" → ["/a/b/c", "/a/b", "/a", "/"]: a cgroup and its ancestors, whose limits all apply. */
export function cgroupAncestors(p: string): string[] {
  const parts = p.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push("/" + parts.slice(0, i).join("/"));
  return out;
}

/** Limits at or above this mean "no limit" (v1 writes PAGE_COUNTER_MAX rounded to pages, ~2^63). */
const UNLIMITED_BYTES = 2 ** 60;

/** memory.limit_in_bytes (v1) or memory.max (v2): bytes, or undefined for "no limit". */
export function parseMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === "" || t === "max") return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n > 0 && n < UNLIMITED_BYTES ? n : undefined;
}

/** cpu.max (v2, "max 100000" or "50000 100000"): the quota in CPUs, or undefined for "no limit". */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (!quota || quota === "max") return undefined;
  return cpusFromQuota(Number(quota), Number(period || "100000"));
}

/** cpu.cfs_quota_us / cpu.cfs_period_us (v1; quota -1 = no limit): CPUs, or undefined. */
export function cpusFromQuota(quotaUs: number, periodUs: number): number | undefined {
  if (!Number.isFinite(quotaUs) || !Number.isFinite(periodUs) || quotaUs <= 0 || periodUs <= 0) return undefined;
  return quotaUs / periodUs;
}

/** Millicores from a CPU count and an optional quota: the smaller, rounded up to whole millicores. */
export function cpuMillis(cores: number, quotaCpus: number | undefined): number {
  const all = Math.max(1, cores) * 1000;
  return quotaCpus === undefined ? all : Math.max(1, Math.min(all, Math.ceil(quotaCpus * 1000)));
}

/** A CPU quantity as the kubelet writes it: whole cores ("2"), else millicores ("1500m"). */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** `runc --version` output ("runc version 1.1.5+ds1\ncommit: ...") → "1.1.5+ds1". */
export function parseRuncVersion(stdout: string): string | undefined {
  return /^runc version (\S+)/m.exec(stdout)?.[1];
}

const GO_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64", mips: "mips", mipsel: "mipsle" };

/** Node's process.arch in Go's GOARCH spelling, as Kubernetes labels and nodeInfo use it. */
export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}

/** A UUID-shaped string from 32 hex digits (for systemUUID when the firmware gives none). */
export function uuidFromHex(hex: string): string {
  const h = hex.padEnd(32, "0").slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
