// Mount helpers over the `mount`/`umount` commands (util-linux, in the node image) and
// /proc/self/mountinfo, shared by the rootfs overlay and the volume manager.

import { readFile } from "node:fs/promises";
import { execa } from "execa";

/** Undo mountinfo's octal escapes (\040 for a space, \011, \012, \134). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Mount points listed in a mountinfo text, in mount order. */
export function parseMountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f.length > 4) out.push(unescape(f[4]));
  }
  return out;
}

export async function mountPoints(): Promise<string[]> {
  return parseMountPoints(await readFile("/proc/self/mountinfo", "utf8"));
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

/** Mount points at or below `dir`, deepest first (the order to unmount them). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  const found = (await mountPoints()).filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(found)].sort((a, b) => b.split("/").length - a.split("/").length || b.length - a.length);
}

export async function mount(type: string, source: string, target: string, options: string[], cwd?: string): Promise<void> {
  const args = ["-t", type, source, target];
  if (options.length) args.splice(2, 0, "-o", options.join(","));
  const r = await execa("mount", args, { reject: false, ...(cwd ? { cwd } : {}) });
  if (r.exitCode !== 0) throw new Error(`mount -t ${type} on ${target}: ${(r.stderr || r.stdout || `exit ${r.exitCode}`).trim()}`);
}

/** Unmounts every mount at `target` (stacked mounts too); a busy one is detached lazily. */
export async function unmount(target: string): Promise<void> {
  for (let i = 0; i < 16 && (await isMountPoint(target)); i++) {
    const r = await execa("umount", [target], { reject: false });
    if (r.exitCode !== 0) {
      const lazy = await execa("umount", ["-l", target], { reject: false });
      if (lazy.exitCode !== 0 && (await isMountPoint(target))) throw new Error(`umount ${target}: ${(lazy.stderr || r.stderr).trim()}`);
    }
  }
}
