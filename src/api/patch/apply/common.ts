// Pieces shared by the apply and update entry points.
import type { KubeObject } from "../../registry/types.js";
import type { SchemaNode } from "../../schema/types.js";
import { isObject, type JsonObject } from "../json.js";
import { FieldSet, field } from "./fieldpath.js";
import type { ManagedFieldsEntry } from "./managed-fields.js";
import type { EngineOptions } from "./updater.js";

export interface FieldManagerOptions {
  /** Manager name (the fieldManager parameter, or defaultManagerName(User-Agent)). */
  manager: string;
  /** API version of the endpoint written through, e.g. "apps/v1" or "v1". */
  apiVersion: string;
  /** Schema of the kind (undefined: schemaless, treated like an unknown CRD). */
  schema: SchemaNode | undefined;
  /** Clock, for entry timestamps. */
  now: Date;
  /** "status", "scale" ... when writing through a subresource. */
  subresource?: string;
  /**
   * Field paths this endpoint resets and whose ownership is therefore never recorded, as
   * Kubernetes' per-resource ResetFields: e.g. [["status"]] for the main resource of kinds with a
   * status subresource, [["spec"], ["metadata"]] for their status subresource.
   */
  resetFields?: string[][];
}

export interface FieldManagerResult {
  /** The resulting object, metadata.managedFields set (or removed when empty). */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
}

export function engineOptions(opts: FieldManagerOptions): EngineOptions {
  return {
    schema: opts.schema,
    ignored: FieldSet.of(...(opts.resetFields ?? []).map((p) => p.map(field))),
  };
}

/** A copy without metadata.managedFields (ownership is never compared as data). */
export function withoutManagedFields(obj: unknown): JsonObject {
  const copy = isObject(obj) ? (structuredClone(obj) as JsonObject) : {};
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

export function setManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[] | undefined): KubeObject {
  if (entries) {
    if (!isObject(obj.metadata)) obj.metadata = {};
    (obj.metadata as JsonObject).managedFields = entries;
  } else if (isObject(obj.metadata)) {
    delete obj.metadata.managedFields;
  }
  return obj as KubeObject;
}

/** Go's schema.GroupVersionKind String(): "apps/v1, Kind=Deployment", "/v1, Kind=Pod". */
export function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === "string" ? apiVersion : "";
  const slash = av.indexOf("/");
  const group = slash >= 0 ? av.slice(0, slash) : "";
  const version = slash >= 0 ? av.slice(slash + 1) : av;
  return `${group}/${version}, Kind=${typeof kind === "string" ? kind : ""}`;
}

/** "namespace/name; gvk", how field manager errors name an object. */
export function describeObject(obj: unknown): string {
  const meta = isObject(obj) && isObject(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === "string" ? meta.namespace : "";
  const name = typeof meta.name === "string" ? meta.name : "";
  const o = isObject(obj) ? obj : {};
  return `${ns}/${name}; ${gvkString(o.apiVersion, o.kind)}`;
}

/** Drops null members of objects: what decoding into typed objects does to applied nulls. */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
    return out;
  }
  return v;
}
