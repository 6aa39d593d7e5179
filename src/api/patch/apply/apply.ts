// Server-side apply (PATCH with application/apply-patch+yaml): merge the applied configuration into
// the live object (or into nothing, for a create), make its fields the manager's Apply entry, drop
// fields the manager applied before and no longer does (unless someone else owns them), and refuse
// with 409 when the configuration changes a value another manager owns, unless forced — in which
// case ownership moves to the applier. Mirrors kube-apiserver's FieldManager.Apply and its
// decorators (version check, last-applied handling, before-first-apply, strip-meta).
import { badRequest } from "../../errors.js";
import type { KubeObject } from "../../registry/types.js";
import { unknownServerError } from "../errors.js";
import { deepEqual, goJsonKind, isObject, type JsonObject } from "../json.js";
import { conflictError } from "./conflict-error.js";
import {
  describeObject,
  dropNulls,
  engineOptions,
  gvkString,
  setManagedFields,
  withoutManagedFields,
  type FieldManagerOptions,
  type FieldManagerResult,
} from "./common.js";
import { allowedConflictsFromLastApplied, updateLastApplied } from "./last-applied.js";
import { decodeManagedFields, encodeManagedFields, formatTime, managerIdentifier, stripMeta, type Managed } from "./managed-fields.js";
import { TypedError } from "./typed.js";
import { recordUpdate } from "./update.js";
import { Conflicts, applyConfig } from "./updater.js";

export interface ApplyOptions extends FieldManagerOptions {
  /** --force-conflicts: take over conflicting fields instead of failing. */
  force: boolean;
  /** Kind served by the endpoint; when given, the applied object's kind must match. */
  kind?: string;
}

/** Manager that receives the fields of an object first applied to without any managed fields. */
export const BEFORE_FIRST_APPLY = "before-first-apply";

export function applyPatch(live: KubeObject | undefined, applied: unknown, opts: ApplyOptions): FieldManagerResult {
  if (!isObject(applied)) {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonKind(applied)} into Go value of type map[string]interface {}`);
  }
  checkType(applied, opts);
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw badRequest("metadata.managedFields must be nil");
  }

  const liveObj = withoutManagedFields(live ?? {});
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields);
  } catch (err) {
    throw unknownServerError(`failed to decode managed fields: ${(err as Error).message}`);
  }
  // Fields that exist before the first tracked write belong to a placeholder manager, so the first
  // applier neither silently owns nor silently deletes them.
  if (managed.size === 0) managed = recordUpdate({}, liveObj, managed, { ...opts, manager: BEFORE_FIRST_APPLY });

  const id = managerIdentifier({ manager: opts.manager, operation: "Apply", apiVersion: opts.apiVersion, subresource: opts.subresource });
  const previous = managed.get(id);
  const me = { id, manager: opts.manager, operation: "Apply" as const, apiVersion: opts.apiVersion, subresource: opts.subresource, time: previous?.time };
  const engine = engineOptions(opts);
  const run = (force: boolean) => {
    try {
      return applyConfig(liveObj, applied, managed, me, force, engine);
    } catch (err) {
      if (err instanceof TypedError) throw typedError(err, applied, liveObj);
      throw err;
    }
  };

  let result: { object: unknown; managed: Managed };
  try {
    result = run(opts.force);
  } catch (err) {
    if (!(err instanceof Conflicts)) throw err;
    let conflicts = err.conflicts;
    // kubectl taking over from client-side apply: fields still at their last-applied values may move.
    const allowed = opts.manager === "kubectl" ? allowedConflictsFromLastApplied(liveObj, opts.apiVersion, opts.schema) : undefined;
    if (allowed) conflicts = conflicts.filter((c) => !allowed.has(c.path));
    if (conflicts.length > 0) throw conflictError(conflicts);
    result = run(true);
  }

  const out = result.managed;
  const mine = out.get(id);
  const changed = !deepEqual(liveObj, result.object);
  if (mine) {
    const set = stripMeta(mine.set);
    if (set.isEmpty()) out.delete(id);
    // An apply that changes nothing keeps the entry's previous timestamp.
    else out.set(id, { ...mine, set, time: changed ? formatTime(opts.now) : mine.time });
  }

  const object = (changed ? dropNulls(result.object) : liveObj) as JsonObject;
  if (opts.manager === "kubectl") updateLastApplied(object, applied);
  const entries = encodeManagedFields(out);
  return { object: setManagedFields(object, entries), managedFields: entries };
}

function checkType(applied: JsonObject, opts: ApplyOptions): void {
  if (opts.kind !== undefined && (applied.apiVersion !== opts.apiVersion || applied.kind !== opts.kind)) {
    throw badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  if (applied.apiVersion !== opts.apiVersion) {
    const got = typeof applied.apiVersion === "string" ? applied.apiVersion : "";
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${got}, expected: ${opts.apiVersion}`);
  }
}

// Values that do not fit the schema are reported as kube-apiserver reports them: a plain error,
// hence a 500 naming the object, the path and the problem.
function typedError(err: TypedError, applied: JsonObject, live: JsonObject) {
  const what = err.inConfig ? "failed to create typed patch object" : "failed to create typed live object";
  return unknownServerError(`${what} (${describeObject(err.inConfig ? applied : live)}): ${err.message}`);
}
