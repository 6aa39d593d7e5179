// Ownership tracking for ordinary writes (create, update, every non-apply patch): the writing
// manager gets an Update entry holding the fields it changed, those fields leave every other
// manager's set, and emptied entries disappear. Mirrors kube-apiserver's FieldManager.Update with
// its decorators (skip-non-applied, managed-fields updater, strip-meta, cap-managers).
import type { KubeObject } from "../../registry/types.js";
import { isObject } from "../json.js";
import { capUpdateManagers } from "./cap-managers.js";
import { engineOptions, setManagedFields, withoutManagedFields, type FieldManagerOptions, type FieldManagerResult } from "./common.js";
import {
  decodeManagedFields,
  encodeManagedFields,
  formatTime,
  isResetManagedFields,
  managerIdentifier,
  stripMeta,
  type Managed,
} from "./managed-fields.js";
import { update } from "./updater.js";

export interface UpdateManagedFieldsOptions extends FieldManagerOptions {
  operation?: "Update";
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

function managedFieldsOf(obj: unknown): unknown {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
}

/**
 * Records a write of `next` over `old` (undefined for a create) by `opts.manager`. The managed
 * fields come from `next` when the client sent valid ones (an empty list, or `[{}]`, clears them),
 * else from `old`; subresource writes always start from `old`'s.
 */
export function updateManagedFields(old: KubeObject | undefined, next: KubeObject, opts: UpdateManagedFieldsOptions): FieldManagerResult {
  let managed: Managed;
  const sent = managedFieldsOf(next);
  if (opts.subresource) managed = decodeOrEmpty(managedFieldsOf(old));
  else if (isResetManagedFields(sent)) managed = new Map();
  else {
    managed = decodeOrEmpty(sent);
    if (managed.size === 0) managed = decodeOrEmpty(managedFieldsOf(old));
  }

  const object = withoutManagedFields(next);
  // Objects that exist without any managed fields (created before tracking, or explicitly reset)
  // are not tracked again by ordinary writes; creates always are.
  if (managed.size === 0 && old?.metadata?.uid) return { object: setManagedFields(object, undefined), managedFields: undefined };

  managed = recordUpdate(withoutManagedFields(old), object, managed, opts);
  const entries = encodeManagedFields(managed);
  return { object: setManagedFields(object, entries), managedFields: entries };
}

/** The Update step on decoded sets; shared with apply's "before-first-apply" bookkeeping. */
export function recordUpdate(live: unknown, next: unknown, managed: Managed, opts: FieldManagerOptions): Managed {
  const engine = engineOptions(opts);
  const id = managerIdentifier({ manager: opts.manager, operation: "Update", apiVersion: opts.apiVersion, subresource: opts.subresource });
  // The write is first recorded under a throw-away identity so the manager's own previous set is
  // treated like everyone else's (changed and removed fields leave it), then folded back in.
  const { managed: out, comparison } = update(live, next, managed, "\u0000current-operation", true, engine);
  const changed = stripMeta(comparison.modified.union(comparison.added).recursiveDifference(engine.ignored));
  if (!changed.isEmpty()) {
    const previous = out.get(id)?.set;
    out.set(id, {
      manager: opts.manager,
      operation: "Update",
      apiVersion: opts.apiVersion,
      subresource: opts.subresource,
      time: formatTime(opts.now),
      set: previous ? changed.union(previous) : changed,
    });
  }
  return capUpdateManagers(out);
}
