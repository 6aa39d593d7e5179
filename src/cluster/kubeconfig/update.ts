// Read-modify-write of a kubeconfig file under its lock, so concurrent `minicluster create`,
// `minicluster delete` and `kubectl config` runs cannot lose each other's entries.
import { withFileLock, type LockOptions } from "./lock.js";
import { mergeEntries, removeEntries, type MergeOptions } from "./merge.js";
import { readKubeconfig, writeKubeconfig } from "./file.js";
import type { Kubeconfig } from "./types.js";
import { promises as fs } from "node:fs";
import path from "node:path";

/** Adds or replaces (by name) the clusters, users and contexts of `entry` in `file`, creating it if needed. */
export async function mergeKubeconfig(
  file: string,
  entry: Kubeconfig,
  opts: MergeOptions & { lock?: LockOptions } = {},
): Promise<void> {
  // The lock lives beside the file, so its directory must exist before the first lock attempt.
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await withFileLock(
    file,
    async () => {
      const current = await readKubeconfig(file);
      await writeKubeconfig(file, mergeEntries(current, entry, opts));
    },
    opts.lock,
  );
}

/**
 * Removes the cluster, user and context called `name` from `file`, unsetting current-context if it
 * pointed there. A missing file is left missing. Returns whether anything was removed.
 */
export async function removeFromKubeconfig(file: string, name: string, opts: { lock?: LockOptions } = {}): Promise<boolean> {
  try {
    await fs.access(path.dirname(file));
  } catch {
    return false;
  }
  return withFileLock(
    file,
    async () => {
      const current = await readKubeconfig(file);
      const next = removeEntries(current, name);
      const changed =
        next.clusters.length !== current.clusters.length ||
        next.users.length !== current.users.length ||
        next.contexts.length !== current.contexts.length ||
        next["current-context"] !== current["current-context"];
      if (changed) await writeKubeconfig(file, next);
      return changed;
    },
    opts.lock,
  );
}
