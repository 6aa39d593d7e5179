// The node's devices, for privileged containers (as containerd's WithHostDevices): every
// character and block device under /dev except the pseudo-terminal and the container's own mounts.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LinuxDevice } from "./spec.js";

const SKIP = new Set(["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/dev/ptmx", "/dev/termination-log"]);

/** Linux dev_t → major/minor (glibc's gnu_dev_major/minor). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const u32 = 0xffffffffn;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & u32 & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & u32 & ~0xffn));
  return { major, minor };
}

export async function listHostDevices(root = "/dev"): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (SKIP.has(p)) continue;
      if (e.isDirectory()) {
        await walk(p);
      } else if (e.isCharacterDevice() || e.isBlockDevice()) {
        const st = await stat(p, { bigint: true }).catch(() => undefined);
        if (!st) continue;
        out.push({
          path: p,
          type: e.isCharacterDevice() ? "c" : "b",
          ...splitDev(st.rdev),
          fileMode: Number(st.mode & 0o777n),
          uid: Number(st.uid),
          gid: Number(st.gid),
        });
      }
    }
  };
  await walk(root);
  return out;
}
