// Resolves the generated JSON definitions into SchemaNode graphs. Every named definition becomes
// exactly one shared node (so cycles such as JSON-like recursive types are fine and identity
// comparisons work); a property that adds patch metadata on top of a $ref gets its own node that
// shares the target's properties/items objects.

import type { SchemaNode, SchemaType } from "./types.js";
import { definitions, refName, type JsonSchema } from "./definitions.js";

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";

const cache = new Map<string, SchemaNode>();

/** The shared node of a definition, e.g. schemaOf("io.k8s.api.core.v1.Pod"). Throws if unknown. */
export function schemaOf(definitionName: string): SchemaNode {
  const cached = cache.get(definitionName);
  if (cached) return cached;
  const def = definitions()[definitionName];
  if (!def) throw new Error(`no schema definition ${definitionName}`);
  // Register the (still empty) node before filling it so that recursive references resolve to it.
  const node = { type: "any" } as SchemaNode;
  cache.set(definitionName, node);
  Object.assign(node, convert(def), { ref: definitionName });
  if (definitionName === QUANTITY) node.format = "quantity";
  return node;
}

function nodeType(s: JsonSchema): SchemaType {
  if (s.format === "int-or-string") return "int-or-string";
  return s.type ?? "any";
}

function convert(s: JsonSchema): SchemaNode {
  if (s.$ref) {
    const target = schemaOf(refName(s.$ref));
    const extra = metaOf(s);
    if (Object.keys(extra).length === 0) return target;
    return withTarget(target, extra);
  }
  const node: SchemaNode = { type: nodeType(s) };
  if (s.description) node.description = s.description;
  if (s.format && node.type !== "int-or-string") node.format = s.format;
  if (s.enum) node.enum = s.enum;
  if (s.required) node.required = s.required;
  if (s.properties) {
    node.properties = {};
    for (const [k, v] of Object.entries(s.properties)) node.properties[k] = convert(v);
  }
  if (s.additionalProperties) node.additionalProperties = convert(s.additionalProperties);
  if (s.items) node.items = convert(s.items);
  // An object with neither known properties nor a value schema is free-form JSON (RawExtension,
  // FieldsV1, Patch): Kubernetes keeps whatever it holds.
  if (node.type === "object" && !s.properties && !s.additionalProperties) node.preserveUnknownFields = true;
  if (s["x-kubernetes-preserve-unknown-fields"]) node.preserveUnknownFields = true;
  Object.assign(node, metaOf(s));
  return node;
}

function metaOf(s: JsonSchema): Partial<SchemaNode> {
  const out: Partial<SchemaNode> = {};
  if (s["x-kubernetes-patch-strategy"]) out.patchStrategy = s["x-kubernetes-patch-strategy"];
  if (s["x-kubernetes-patch-merge-key"]) out.patchMergeKey = s["x-kubernetes-patch-merge-key"];
  if (s["x-kubernetes-list-type"]) out.listType = s["x-kubernetes-list-type"];
  if (s["x-kubernetes-list-map-keys"]) out.listMapKeys = s["x-kubernetes-list-map-keys"];
  if (s["x-kubernetes-map-type"]) out.mapType = s["x-kubernetes-map-type"];
  return out;
}

/**
 * A node that behaves as `target` plus field-level metadata (DeploymentSpec.strategy's retainKeys).
 * The target may still be under construction when a cycle passes through it, so its members are
 * read through getters instead of being copied.
 */
function withTarget(target: SchemaNode, extra: Partial<SchemaNode>): SchemaNode {
  const node = {} as SchemaNode;
  for (const key of ["type", "ref", "description", "properties", "additionalProperties", "items", "required", "format", "enum", "mapType", "preserveUnknownFields"] as const) {
    Object.defineProperty(node, key, { get: () => target[key], enumerable: true, configurable: true });
  }
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(node, k, { value: v, enumerable: true, writable: true, configurable: true });
  return node;
}
