// The ownership engine (structured-merge-diff's merge.Updater) for a single API version:
//  - update: a change from `live` to `next` takes the changed fields away from every other
//    manager; with force=false a change to a field someone else owns is a conflict instead;
//  - applyConfig: merge a configuration, make its fields the applier's set, and drop fields the
//    applier set before, no longer sets, and nobody else owns.
import type { SchemaNode } from "../../schema/types.js";
import { FieldSet, type Path } from "./fieldpath.js";
import type { Managed, ManagerFields } from "./managed-fields.js";
import { TypedError, compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from "./typed.js";

export interface Conflict {
  /** Manager identifier (see managerIdentifier). */
  manager: string;
  path: Path;
}

export class Conflicts extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} apply conflict(s)`);
  }
}

export interface EngineOptions {
  schema: SchemaNode | undefined;
  /** Paths (with everything below them) that this endpoint resets and so never tracks, e.g. status. */
  ignored: FieldSet;
}

function cloneManaged(managed: Managed): Managed {
  return new Map([...managed].map(([k, v]) => [k, { ...v }]));
}

function filterComparison(c: Comparison, ignored: FieldSet): Comparison {
  if (ignored.isEmpty()) return c;
  return {
    added: c.added.recursiveDifference(ignored),
    modified: c.modified.recursiveDifference(ignored),
    removed: c.removed.recursiveDifference(ignored),
  };
}

/** Takes changed fields from the other managers; returns the new sets and the comparison. */
export function update(
  live: unknown,
  next: unknown,
  managed: Managed,
  workflow: string,
  force: boolean,
  opts: EngineOptions,
): { managed: Managed; comparison: Comparison } {
  const comparison = filterComparison(compare(live, next, opts.schema), opts.ignored);
  const changed = comparison.modified.union(comparison.added);
  const out = cloneManaged(managed);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [id, m] of out) {
    if (id === workflow) continue;
    const overlap = m.set.intersection(changed);
    if (!overlap.isEmpty()) {
      taken.set(id, overlap);
      for (const path of overlap.paths()) conflicts.push({ manager: id, path });
    }
  }
  if (!force && conflicts.length) throw new Conflicts(conflicts);
  for (const [id, m] of out) {
    if (id === workflow) continue;
    let set = m.set;
    const t = taken.get(id);
    if (t) set = set.difference(t);
    if (!comparison.removed.isEmpty()) set = set.difference(comparison.removed);
    m.set = set;
  }
  for (const [id, m] of [...out]) if (m.set.isEmpty()) out.delete(id);
  return { managed: out, comparison };
}

/**
 * merge.Updater.Apply. Returns the new object (undefined when applying changed nothing) and the
 * new field sets; throws Conflicts unless `force`.
 */
export function applyConfig(
  live: unknown,
  config: unknown,
  managed: Managed,
  manager: Omit<ManagerFields, "set"> & { id: string },
  force: boolean,
  opts: EngineOptions,
): { object: unknown; managed: Managed } {
  // Validates the configuration (list keys present, no duplicates) before anything else.
  let configSet: FieldSet;
  try {
    configSet = toFieldSet(config, opts.schema).recursiveDifference(opts.ignored);
  } catch (err) {
    if (err instanceof TypedError) err.inConfig = true;
    throw err;
  }
  const merged = merge(live, config, opts.schema);
  const lastSet = managed.get(manager.id)?.set;
  const withApplier = cloneManaged(managed);
  const { id, ...fields } = manager;
  withApplier.set(id, { ...fields, set: configSet });
  const pruned = prune(merged, withApplier, lastSet, opts.schema);
  const { managed: out } = update(live, pruned, withApplier, id, force, opts);
  return { object: pruned, managed: out };
}

// Removes what the applier owned last time, no longer applies, and nobody else owns. Named struct
// fields count as owned when something below them is, so an emptied struct goes away as a whole.
function prune(merged: unknown, managed: Managed, lastSet: FieldSet | undefined, schema: SchemaNode | undefined): unknown {
  if (!lastSet || lastSet.isEmpty()) return merged;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, schema);
  const fieldsOf = (v: unknown) => named(toFieldSet(v, schema, { allowDuplicates: true }));
  const last = named(lastSet);
  let pruned = removeItems(merged, last, schema) ?? {};

  let owned = new FieldSet();
  for (const m of managed.values()) owned = owned.union(m.set);
  const mergedSet = fieldsOf(merged);
  pruned = removeItems(merged, mergedSet.difference(fieldsOf(pruned).union(named(owned))), schema) ?? {};

  return removeItems(merged, mergedSet.difference(fieldsOf(pruned)).intersection(last), schema) ?? {};
}
