// How the patch engines read the shared SchemaNode: child lookup, strategic-merge strategies, and
// the list/map semantics server-side apply uses (the rules of kube-openapi's schemaconv, which turns
// the OpenAPI extensions into structured-merge-diff schemas). An undefined node means "unknown
// position": strategic merge then falls back to JSON-merge behaviour, and apply treats maps as
// granular and lists as atomic (schemaconv's "deduced" type).
import type { SchemaNode } from "../schema/types.js";

/** Schema of `key` inside an object node: a declared property, else the map value schema. */
export function childSchema(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  return node.properties?.[key] ?? node.additionalProperties;
}

export function itemSchema(node: SchemaNode | undefined): SchemaNode | undefined {
  return node?.items;
}

/** True when `key` is a declared (struct) field of the node, not an entry of a free-form map. */
export function isNamedField(node: SchemaNode | undefined, key: string): boolean {
  return !!node?.properties && Object.prototype.hasOwnProperty.call(node.properties, key);
}

/** A struct-like node: declared properties (as opposed to a free-form map). */
export function isStruct(node: SchemaNode | undefined): boolean {
  return !!node?.properties;
}

/** The non-retainKeys strategy of x-kubernetes-patch-strategy ("merge", "replace" or ""). */
export function smpStrategy(node: SchemaNode | undefined): string {
  const parts = (node?.patchStrategy ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return parts.find((p) => p !== "retainKeys") ?? "";
}

export type ListSemantics = { kind: "atomic" } | { kind: "set" } | { kind: "map"; keys: string[] };

/** Server-side apply list semantics: x-kubernetes-list-type first, then the patch strategy. */
export function listSemantics(node: SchemaNode | undefined): ListSemantics {
  if (!node) return { kind: "atomic" };
  if (node.listType === "atomic") return { kind: "atomic" };
  if (node.listType === "set") return { kind: "set" };
  if (node.listType === "map") return { kind: "map", keys: node.listMapKeys ?? [] };
  const strategy = node.patchStrategy;
  if (strategy === "merge" || strategy === "merge,retainKeys") {
    return node.patchMergeKey ? { kind: "map", keys: [node.patchMergeKey] } : { kind: "set" };
  }
  return { kind: "atomic" };
}

export function isAtomicMap(node: SchemaNode | undefined): boolean {
  return node?.mapType === "atomic";
}

/**
 * Default of a list-map key field (e.g. ports' protocol defaults to "TCP"), so an applied item that
 * omits it still matches the defaulted live item. The shared SchemaNode has no `default` yet; a
 * loader that adds one is honoured.
 */
export function keyDefault(item: SchemaNode | undefined, key: string): unknown {
  const field = item?.properties?.[key] as (SchemaNode & { default?: unknown }) | undefined;
  return field?.default;
}
