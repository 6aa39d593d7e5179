// The generated OpenAPI v2 definitions (scripts/gen-schemas.mjs, from kubernetes-types plus the
// patch-meta and field-format tables). The JSON is imported, not read from disk, so the esbuild
// bundle carries it and no path has to survive bundling.

import generated from "../generated/definitions.json" with { type: "json" };

/** One OpenAPI v2 schema object as Kubernetes publishes it (the subset we generate). */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  description?: string;
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: string[];
  "x-kubernetes-group-version-kind"?: Array<{ group: string; version: string; kind: string }>;
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export const REF_PREFIX = "#/definitions/";

const defs = generated as unknown as Readonly<Record<string, JsonSchema>>;

/** All generated definitions keyed by canonical name. Shared and frozen in spirit: do not mutate. */
export function definitions(): Readonly<Record<string, JsonSchema>> {
  return defs;
}

/** The definition name a `$ref` points at ("#/definitions/io.k8s.api.core.v1.Pod" → "io.k8s.api.core.v1.Pod"). */
export function refName(ref: string): string {
  if (!ref.startsWith(REF_PREFIX)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(REF_PREFIX.length);
}

/** Canonical definition name of a served kind, found by its x-kubernetes-group-version-kind. */
export function definitionForKind(group: string, version: string, kind: string): string | undefined {
  return gvkIndex().get(`${group}/${version}/${kind}`);
}

let byGvk: Map<string, string> | undefined;
function gvkIndex(): Map<string, string> {
  if (!byGvk) {
    byGvk = new Map();
    for (const [name, def] of Object.entries(defs)) {
      for (const g of def["x-kubernetes-group-version-kind"] ?? []) byGvk.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
  }
  return byGvk;
}
