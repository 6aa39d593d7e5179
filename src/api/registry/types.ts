// The contracts between the API server core and the per-kind knowledge (defaulting, validation,
// tables, field selectors). Per-kind maps are keyed by `gvkKey(apiVersion, kind)`, for example
// "v1/Pod" or "apps/v1/Deployment".

import type { FieldError } from "../errors.js";

/** Any Kubernetes object as decoded JSON. Typed views come from `kubernetes-types`. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  [key: string]: unknown;
}

export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** What the API server serves for one resource (one REST collection). */
export interface ResourceDef {
  group: string; // "" for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  verbs: string[];
  /** Subresources served, e.g. ["status", "scale"] or ["binding", "status"]. */
  subresources: string[];
  /** OpenAPI definition name of the kind, e.g. "io.k8s.api.core.v1.Pod". */
  definition: string;
}

/** Per-kind behaviour, as Kubernetes' registry strategies define it. All functions are pure. */
export interface TypeStrategy {
  /** Fill defaults in place, as Kubernetes' SetDefaults_* do. Called before validation on writes. */
  defaults?(obj: KubeObject): void;
  /** Validate a new object's kind-specific fields (metadata is validated generically). */
  validate?(obj: KubeObject): FieldError[];
  /** Validate an update (immutable fields and the like); `validate` also runs on the new object. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Whether `generation` follows spec changes (true for most kinds with a spec). */
  tracksGeneration?: boolean;
}

/** Server-side table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string; // "name" for the NAME column, "" otherwise
  description: string;
  /** 0 = always shown, 1 = only with -o wide. */
  priority: number;
}

export interface TableDef {
  columns: TableColumn[];
  /** One row's cells in column order. `now` is injected so rows are testable. */
  cells(obj: KubeObject, now: Date): unknown[];
}

/** Getter for one field-selector field of a kind, e.g. "spec.nodeName". */
export type FieldGetter = (obj: KubeObject) => string | undefined;
