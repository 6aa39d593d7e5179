// Where pod containers' cgroups go: under the node's own cgroup (so a node container's limits
// cover its pods), <own>/kubepods/pod<uid>/<container-id>. On cgroup v1 the kernel counts OOM
// kills in the victim's own memory cgroup without passing them up, and runc removes a
// container's cgroup when it exits, so that counter is gone when the kubelet looks. Instead the
// memory limit is put on <container-id> (ours, kept until we read it) with runc's own cgroup
// <container-id>/ctr below it: the limit's failure count (memory.failcnt) survives there, and a
// container that died of SIGKILL, not sent by us, after hitting its limit was OOM-killed.

import { promises as fs } from "node:fs";
import path from "node:path";
import { parseSelfCgroup } from "../proc.js";

export const CGROUP_ROOT = "/sys/fs/cgroup";

/** The node's own cgroup path (memory controller on v1, the unified path on v2). */
export async function ownCgroup(readFile = (f: string) => fs.readFile(f, "utf8")): Promise<{ path: string; v1: boolean }> {
  try {
    const parsed = parseSelfCgroup(await readFile("/proc/self/cgroup"));
    const v1 = parsed.v1.memory ?? parsed.v1.cpu;
    if (v1 !== undefined) return { path: v1, v1: true };
    return { path: parsed.v2 ?? "/", v1: false };
  } catch {
    return { path: "/", v1: true };
  }
}

export function podCgroup(own: string, podUid: string): string {
  return path.posix.join(own, "kubepods", `pod${podUid}`);
}

/** /proc/self/cgroup-relative to absolute memory-controller dir. */
const memoryDir = (root: string, cg: string) => path.join(root, "memory", cg);

/** Creates the container's memory cgroup with the limit; false when that is not possible (v2, no memory controller). */
export async function prepareMemoryCgroup(cg: string, limitBytes: number, root = CGROUP_ROOT): Promise<boolean> {
  try {
    const dir = memoryDir(root, cg);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "memory.limit_in_bytes"), String(limitBytes));
    return true;
  } catch {
    return false;
  }
}

/** memory.oom_control's oom_kill count, or undefined. */
export function parseOomKills(text: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export async function oomKills(cg: string, root = CGROUP_ROOT): Promise<number | undefined> {
  try {
    return parseOomKills(await fs.readFile(path.join(memoryDir(root, cg), "memory.oom_control"), "utf8"));
  } catch {
    return undefined;
  }
}

/** memory.failcnt: how often charging against this cgroup's limit failed (v1), or undefined. */
export async function memoryFailures(cg: string, root = CGROUP_ROOT): Promise<number | undefined> {
  try {
    const n = Number((await fs.readFile(path.join(memoryDir(root, cg), "memory.failcnt"), "utf8")).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a cgroup subtree in every hierarchy, deepest first (runc leaves the parents it made). */
export async function removeCgroupTree(cg: string, root = CGROUP_ROOT): Promise<void> {
  let hierarchies: string[];
  try {
    hierarchies = await fs.readdir(root);
  } catch {
    return;
  }
  const tops = hierarchies.map((h) => path.join(root, h, cg));
  tops.push(path.join(root, cg)); // v2
  await Promise.all(tops.map((t) => rmdirTree(t)));
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => rmdirTree(path.join(dir, e.name))));
  await fs.rmdir(dir).catch(() => {});
}
