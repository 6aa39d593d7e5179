// What the kubelet reports about its machine: addresses, capacity, and the facts of nodeInfo.
// Everything is read once at start (a node container's IP changes only across restarts, and the
// kubelet starts again then). The readers are injectable so tests can describe any machine.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  cgroupAncestors,
  cpuMillis,
  cpusFromQuota,
  defaultRouteInterface,
  goArch,
  parseCpuMax,
  parseMemTotalKi,
  parseMemoryLimit,
  parseOsRelease,
  parseRuncVersion,
  parseSelfCgroup,
  pickInternalIP,
  uuidFromHex,
  type InterfaceAddress,
} from "./proc.js";

export interface HostInfo {
  internalIP?: string;
  /** CPU capacity in millicores (cores, or less under a cgroup quota). */
  cpuMillis: number;
  /** Memory capacity in KiB (MemTotal, or less under a cgroup limit). */
  memoryKi: number;
  /** Size of the filesystem holding node state, in KiB. */
  ephemeralStorageKi?: number;
  osImage: string;
  kernelVersion: string;
  operatingSystem: string;
  /** GOARCH spelling: amd64, arm64 ... */
  architecture: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  containerRuntimeVersion: string;
}

export interface HostReaders {
  /** File text, or undefined when it cannot be read. */
  readFile(file: string): Promise<string | undefined>;
  /** Size in bytes of the filesystem holding `dir`, or undefined. */
  fsSize(dir: string): Promise<number | undefined>;
  /** stdout of a command, or undefined when it is missing or fails. */
  run(cmd: string, args: string[]): Promise<string | undefined>;
  networkInterfaces(): Record<string, InterfaceAddress[] | undefined>;
  cpuCount(): number;
  kernelRelease(): string;
  arch(): string;
}

export const systemReaders: HostReaders = {
  async readFile(file) {
    try {
      return await fs.readFile(file, "utf8");
    } catch {
      return undefined;
    }
  },
  async fsSize(dir) {
    try {
      const s = await fs.statfs(dir);
      return s.blocks * s.bsize;
    } catch {
      return undefined;
    }
  },
  run(cmd, args) {
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
    });
  },
  networkInterfaces: () => os.networkInterfaces() as Record<string, InterfaceAddress[] | undefined>,
  cpuCount: () => os.availableParallelism(),
  kernelRelease: () => os.release(),
  arch: () => process.arch,
};

export interface CollectOptions {
  nodeName: string;
  /** Where node state lives; its filesystem is the ephemeral-storage capacity (falls back to /var, /). */
  stateDir?: string;
  readers?: HostReaders;
  /** Root of the cgroup filesystems (default /sys/fs/cgroup). */
  cgroupRoot?: string;
}

export async function collectHostInfo(opts: CollectOptions): Promise<HostInfo> {
  const r = opts.readers ?? systemReaders;
  const cgRoot = opts.cgroupRoot ?? "/sys/fs/cgroup";
  const [meminfo, route, osRelease, machineIdText, productUuid, bootId, selfCgroup, runc, storage] = await Promise.all([
    r.readFile("/proc/meminfo"),
    r.readFile("/proc/net/route"),
    r.readFile("/etc/os-release"),
    r.readFile("/etc/machine-id"),
    r.readFile("/sys/class/dmi/id/product_uuid"),
    r.readFile("/proc/sys/kernel/random/boot_id"),
    r.readFile("/proc/self/cgroup"),
    r.run("runc", ["--version"]),
    ephemeralStorage(r, opts.stateDir),
  ]);
  const cgroups = parseSelfCgroup(selfCgroup ?? "");
  const [memLimit, cpuQuota] = await Promise.all([memoryLimitBytes(r, cgRoot, cgroups), cpuQuotaCpus(r, cgRoot, cgroups)]);

  const memTotalKi = parseMemTotalKi(meminfo ?? "") ?? Math.floor(os.totalmem() / 1024);
  const memoryKi = memLimit === undefined ? memTotalKi : Math.min(memTotalKi, Math.floor(memLimit / 1024));
  // An image may ship without /etc/machine-id (minbase has no systemd): derive a stable one from the node name.
  const machineID = machineIdText?.trim() || createHash("sha256").update(`minicluster-node:${opts.nodeName}`).digest("hex").slice(0, 32);
  const runcVersion = runc !== undefined ? parseRuncVersion(runc) : undefined;
  const internalIP = pickInternalIP(route !== undefined ? defaultRouteInterface(route) : undefined, r.networkInterfaces());
  return {
    ...(internalIP ? { internalIP } : {}),
    cpuMillis: cpuMillis(r.cpuCount(), cpuQuota),
    memoryKi,
    ...(storage !== undefined ? { ephemeralStorageKi: Math.floor(storage / 1024) } : {}),
    osImage: parseOsRelease(osRelease ?? "").PRETTY_NAME || "Linux",
    kernelVersion: r.kernelRelease(),
    operatingSystem: "linux",
    architecture: goArch(r.arch()),
    machineID,
    systemUUID: productUuid?.trim().toLowerCase() || uuidFromHex(machineID),
    bootID: bootId?.trim() ?? "",
    containerRuntimeVersion: `runc://${runcVersion ?? "unknown"}`,
  };
}

async function ephemeralStorage(r: HostReaders, stateDir: string | undefined): Promise<number | undefined> {
  for (const dir of [stateDir, "/var", "/"]) {
    if (!dir) continue;
    const size = await r.fsSize(dir);
    if (size !== undefined && size > 0) return size;
  }
  return undefined;
}

/** The files that may hold a limit for `controller`: the own cgroup and every ancestor, v1 and v2. */
function limitFiles(cgRoot: string, cg: ReturnType<typeof parseSelfCgroup>, v1Controller: string, v1Files: string[], v2File: string): string[][] {
  const out: string[][] = [];
  const v1Path = cg.v1[v1Controller];
  if (v1Path !== undefined) {
    // With a private cgroup namespace the own cgroup is the mount root ("/"); with the host's, it is
    // a path below it. Either way the mount root itself is the last candidate.
    for (const p of cgroupAncestors(v1Path)) out.push(v1Files.map((f) => path.join(cgRoot, v1Controller, p, f)));
  }
  if (cg.v2 !== undefined) for (const p of cgroupAncestors(cg.v2)) out.push([path.join(cgRoot, p, v2File)]);
  return out;
}

async function memoryLimitBytes(r: HostReaders, cgRoot: string, cg: ReturnType<typeof parseSelfCgroup>): Promise<number | undefined> {
  const candidates = limitFiles(cgRoot, cg, "memory", ["memory.limit_in_bytes"], "memory.max");
  const values = await Promise.all(candidates.map(async ([f]) => parseMemoryLimit((await r.readFile(f)) ?? "")));
  const limits = values.filter((v): v is number => v !== undefined);
  return limits.length ? Math.min(...limits) : undefined;
}

async function cpuQuotaCpus(r: HostReaders, cgRoot: string, cg: ReturnType<typeof parseSelfCgroup>): Promise<number | undefined> {
  const candidates = limitFiles(cgRoot, cg, "cpu", ["cpu.cfs_quota_us", "cpu.cfs_period_us"], "cpu.max");
  const values = await Promise.all(
    candidates.map(async (files) => {
      if (files.length === 1) return parseCpuMax((await r.readFile(files[0])) ?? "");
      const [q, p] = await Promise.all(files.map((f) => r.readFile(f)));
      return q !== undefined && p !== undefined ? cpusFromQuota(Number(q.trim()), Number(p.trim())) : undefined;
    }),
  );
  const quotas = values.filter((v): v is number => v !== undefined);
  return quotas.length ? Math.min(...quotas) : undefined;
}
