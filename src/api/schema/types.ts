// The schema view shared by structural validation, patching and OpenAPI: one node per schema
// position, resolved from the generated Kubernetes definitions (see scripts/gen-schemas.mjs).

export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean" | "int-or-string" | "any";

export interface SchemaNode {
  type: SchemaType;
  /** OpenAPI definition name when this node is a named type, e.g. "io.k8s.api.core.v1.PodSpec". */
  ref?: string;
  description?: string;
  /** Known properties of an object (undefined for free-form maps). */
  properties?: Record<string, SchemaNode>;
  /** Value schema of a map (`additionalProperties`), e.g. labels: string. */
  additionalProperties?: SchemaNode;
  /** Element schema of an array. */
  items?: SchemaNode;
  required?: string[];
  format?: string;
  enum?: string[];
  /** x-kubernetes-patch-strategy: "merge", "replace", "retainKeys", "merge,retainKeys". */
  patchStrategy?: string;
  /** x-kubernetes-patch-merge-key. */
  patchMergeKey?: string;
  /** x-kubernetes-list-type. */
  listType?: "atomic" | "set" | "map";
  /** x-kubernetes-list-map-keys. */
  listMapKeys?: string[];
  /** x-kubernetes-map-type. */
  mapType?: "atomic" | "granular";
  /** The value the server defaults this field to (server-side apply matches list keys with it). */
  default?: unknown;
  /** x-kubernetes-preserve-unknown-fields / free-form object (RawExtension, JSON). */
  preserveUnknownFields?: boolean;
}
