// Pure merging of kubeconfig entries, with the semantics of kind's kubeconfig handling: entries
// are keyed by name per list (clusters, users, contexts); an entry with the same name is replaced
// in place so the file keeps its order, new entries go at the end, and everything else in the file
// is left as it was.
import type { Kubeconfig } from "./types.js";

type Named = { name: string };

function upsertAll<T extends Named>(existing: readonly T[], incoming: readonly T[]): T[] {
  const out = [...existing];
  for (const item of incoming) {
    const at = out.findIndex((e) => e.name === item.name);
    if (at >= 0) out[at] = item;
    else out.push(item);
  }
  return out;
}

export interface MergeOptions {
  /** Make the entry's context the current one (default true, as `kind create cluster` does). */
  setCurrent?: boolean;
}

/** `base` with every cluster, user and context of `entry` added or replaced by name. */
export function mergeEntries(base: Kubeconfig, entry: Kubeconfig, opts: MergeOptions = {}): Kubeconfig {
  const merged: Kubeconfig = {
    ...base,
    clusters: upsertAll(base.clusters, entry.clusters),
    users: upsertAll(base.users, entry.users),
    contexts: upsertAll(base.contexts, entry.contexts),
  };
  if (opts.setCurrent ?? true) {
    const current = entry["current-context"] || entry.contexts[0]?.name;
    if (current) merged["current-context"] = current;
  }
  return merged;
}

/**
 * `base` without the cluster, user and context called `name`. If the current context was that
 * context it is unset (""), as kubectl does, rather than pointing at something that is gone.
 */
export function removeEntries(base: Kubeconfig, name: string): Kubeconfig {
  const keep = <T extends Named>(list: readonly T[]): T[] => list.filter((e) => e.name !== name);
  return {
    ...base,
    clusters: keep(base.clusters),
    users: keep(base.users),
    contexts: keep(base.contexts),
    "current-context": base["current-context"] === name ? "" : base["current-context"],
  };
}
