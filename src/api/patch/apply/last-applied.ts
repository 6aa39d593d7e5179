// Interplay with client-side apply's kubectl.kubernetes.io/last-applied-configuration annotation,
// which lets `kubectl apply --server-side` take over objects managed by `kubectl apply`:
//  - a conflict met by manager "kubectl" is forgiven for fields whose live value still equals the
//    last client-side applied value (lastAppliedManager);
//  - after a "kubectl" apply, an existing annotation is rewritten to the new configuration, so a
//    later client-side apply computes its patch from it (lastAppliedUpdater).
import type { SchemaNode } from "../../schema/types.js";
import { goJson, isObject, type JsonObject } from "../json.js";
import type { FieldSet } from "./fieldpath.js";
import { compare, toFieldSet } from "./typed.js";

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

function annotationOf(obj: unknown): string | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || !isObject(obj.metadata.annotations)) return undefined;
  const v = obj.metadata.annotations[LAST_APPLIED_ANNOTATION];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** Fields a "kubectl" server-side apply may take over without --force-conflicts; undefined if none. */
export function allowedConflictsFromLastApplied(live: unknown, apiVersion: string, schema: SchemaNode | undefined): FieldSet | undefined {
  const raw = annotationOf(live);
  if (!raw) return undefined;
  try {
    const lastApplied = JSON.parse(raw) as unknown;
    if (!isObject(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
    const set = toFieldSet(lastApplied, schema);
    const cmp = compare(lastApplied, live, schema);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

/** Rewrites an existing last-applied annotation of `result` to the applied configuration. */
export function updateLastApplied(result: JsonObject, applied: JsonObject): void {
  if (!annotationOf(result)) return;
  const config = structuredClone(applied);
  if (isObject(config.metadata) && isObject(config.metadata.annotations)) {
    delete config.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(config.metadata.annotations).length === 0) delete config.metadata.annotations;
  }
  // The apiserver encodes with Go's json.Encoder: sorted keys and a trailing newline.
  ((result.metadata as JsonObject).annotations as JsonObject)[LAST_APPLIED_ANNOTATION] = `${goJson(config)}\n`;
}
