// metadata.managedFields: decoding entries into per-manager field sets and encoding them back, as
// k8s.io/apimachinery/pkg/util/managedfields does. A manager is identified by (manager, operation,
// subresource) plus apiVersion for Update entries; Apply entries keep one entry per manager across
// API versions.
import { isObject } from "../json.js";
import { FieldSet } from "./fieldpath.js";

export type ManagedFieldsOperation = "Apply" | "Update";

/** One metadata.managedFields entry as served (keys in Kubernetes' field order). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  time?: string;
  fieldsType: "FieldsV1";
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface ManagerFields {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Field sets keyed by manager identifier. */
export type Managed = Map<string, ManagerFields>;

/**
 * The identifier Kubernetes builds for a manager: the JSON of the entry without time and fields,
 * and without apiVersion for Apply. Conflict messages are grouped and sorted by it.
 */
export function managerIdentifier(m: { manager: string; operation: ManagedFieldsOperation; apiVersion: string; subresource?: string }): string {
  const id: Record<string, string> = { manager: m.manager, operation: m.operation };
  if (m.operation === "Update") id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** Decodes entries; throws on the problems Kubernetes rejects (unknown operation, missing apiVersion or fieldsType). */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error("managedFields must be a list");
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw new Error(`managed fields entry ${i} must be an object`);
    const operation = raw.operation;
    if (operation !== "Apply" && operation !== "Update") throw new Error("operation must be `Apply` or `Update`");
    if (typeof raw.apiVersion !== "string" || raw.apiVersion.length < 1) throw new Error("apiVersion must not be empty");
    if (raw.fieldsType === undefined || raw.fieldsType === "") throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (raw.fieldsType !== "FieldsV1") throw new Error(`invalid fieldsType ${JSON.stringify(raw.fieldsType)} in managed fields entry ${i}`);
    const manager = typeof raw.manager === "string" ? raw.manager : "";
    const subresource = typeof raw.subresource === "string" && raw.subresource ? raw.subresource : undefined;
    const m: ManagerFields = {
      manager,
      operation,
      apiVersion: raw.apiVersion,
      subresource,
      time: typeof raw.time === "string" ? raw.time : undefined,
      set: FieldSet.fromFieldsV1(raw.fieldsV1 ?? {}),
    };
    managed.set(managerIdentifier(m), m);
  });
  return managed;
}

/** Encodes field sets back to entries, sorted as Kubernetes sorts them; undefined when empty. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [...managed.values()].map((m) => {
    // Built key by key to keep Kubernetes' field order in the served JSON.
    const e: Partial<ManagedFieldsEntry> = {};
    if (m.manager) e.manager = m.manager;
    e.operation = m.operation;
    e.apiVersion = m.apiVersion;
    if (m.time) e.time = m.time;
    e.fieldsType = "FieldsV1";
    e.fieldsV1 = m.set.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e as ManagedFieldsEntry;
  });
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager ?? "", q.manager ?? "") ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? "", q.subresource ?? ""),
  );
}

/**
 * An explicit request to clear managedFields: an empty list, or a list holding one empty entry
 * (`[{}]`), which is how clients reset them.
 */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Paths the API server never tracks ownership of (stripMetaManager). */
export const STRIPPED_PATHS: string[][] = [
  ["apiVersion"],
  ["kind"],
  ["metadata"],
  ["metadata", "name"],
  ["metadata", "namespace"],
  ["metadata", "creationTimestamp"],
  ["metadata", "selfLink"],
  ["metadata", "uid"],
  ["metadata", "clusterName"],
  ["metadata", "generation"],
  ["metadata", "managedFields"],
  ["metadata", "resourceVersion"],
];

const STRIP_SET = FieldSet.of(...STRIPPED_PATHS.map((p) => p.map((name) => ({ kind: "field" as const, name }))));

export function stripMeta(set: FieldSet): FieldSet {
  return set.difference(STRIP_SET);
}
