import { describe, expect, it } from "vitest";
import { collectHostInfo, type HostReaders } from "./host-info.js";

function readers(files: Record<string, string>, extra: Partial<HostReaders> = {}): HostReaders {
  return {
    readFile: async (f) => files[f],
    fsSize: async (d) => (d === "/var/lib/minicluster" ? 100 * 1024 * 1024 * 1024 : undefined),
    run: async (cmd) => (cmd === "runc" ? "runc version 1.1.5\ncommit: x\n" : undefined),
    networkInterfaces: () => ({ eth0: [{ address: "172.18.0.2", family: "IPv4", internal: false }] }),
    cpuCount: () => 8,
    kernelRelease: () => "6.1.0-test",
    arch: () => "x64",
    ...extra,
  };
}

const BASE = {
  "/proc/meminfo": "MemTotal:       16384000 kB\n",
  "/proc/net/route": "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nlo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\neth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\n",
  "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
  "/proc/sys/kernel/random/boot_id": "48f6f65b-39c9-462d-83a7-5e9d90f89ecf\n",
};

describe("collectHostInfo", () => {
  it("describes a machine without cgroup limits", async () => {
    const info = await collectHostInfo({ nodeName: "n1", stateDir: "/var/lib/minicluster", readers: readers({ ...BASE, "/etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n" }) });
    expect(info).toEqual({
      internalIP: "172.18.0.2",
      cpuMillis: 8000,
      memoryKi: 16384000,
      ephemeralStorageKi: 100 * 1024 * 1024,
      osImage: "Debian GNU/Linux 12 (bookworm)",
      kernelVersion: "6.1.0-test",
      operatingSystem: "linux",
      architecture: "amd64",
      machineID: "3d1219c7c4c5404aaa1f6d2a48adfda4",
      systemUUID: "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4",
      bootID: "48f6f65b-39c9-462d-83a7-5e9d90f89ecf",
      containerRuntimeVersion: "runc://1.1.5",
    });
  });

  it("honours cgroup v1 limits of the own cgroup and its ancestors (host cgroup namespace)", async () => {
    const files = {
      ...BASE,
      "/proc/self/cgroup": "5:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n",
      "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
      "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes": String(2 * 1024 * 1024 * 1024),
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us": "250000\n",
      "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us": "100000\n",
      "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
    };
    const info = await collectHostInfo({ nodeName: "n1", readers: readers(files) });
    expect(info.memoryKi).toBe(2 * 1024 * 1024);
    expect(info.cpuMillis).toBe(2500);
  });

  it("honours cgroup v2 limits, never above the machine's", async () => {
    const files = {
      ...BASE,
      "/proc/self/cgroup": "0::/kubepods/pod1\n",
      "/sys/fs/cgroup/kubepods/pod1/memory.max": "max\n",
      "/sys/fs/cgroup/kubepods/memory.max": String(64 * 1024 * 1024 * 1024),
      "/sys/fs/cgroup/kubepods/pod1/cpu.max": "50000 100000\n",
    };
    const info = await collectHostInfo({ nodeName: "n1", readers: readers(files) });
    expect(info.memoryKi).toBe(16384000); // the 64 GiB limit is above MemTotal
    expect(info.cpuMillis).toBe(500);
  });

  it("falls back when files and runc are missing: stable machine ID from the node name, unknown runtime", async () => {
    const r = readers({ "/proc/meminfo": BASE["/proc/meminfo"] }, { run: async () => undefined, fsSize: async (d) => (d === "/var" ? 4096 : undefined), networkInterfaces: () => ({}) });
    const a = await collectHostInfo({ nodeName: "node-a", readers: r });
    const again = await collectHostInfo({ nodeName: "node-a", readers: r });
    const b = await collectHostInfo({ nodeName: "node-b", readers: r });
    expect(a.machineID).toMatch(/^[0-9a-f]{32}$/);
    expect(again.machineID).toBe(a.machineID);
    expect(b.machineID).not.toBe(a.machineID);
    expect(a.systemUUID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(a.containerRuntimeVersion).toBe("runc://unknown");
    expect(a.internalIP).toBeUndefined();
    expect(a.ephemeralStorageKi).toBe(4);
    expect(a.osImage).toBe("Linux");
  });
});
