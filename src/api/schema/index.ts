// Package boundary of the schema layer: generated Kubernetes definitions, their SchemaNode view,
// and structural validation against them.

export type { SchemaNode, SchemaType } from "./types.js";
export { definitions, definitionForKind, refName, REF_PREFIX, type JsonSchema } from "./definitions.js";
export { schemaOf } from "./nodes.js";
export { validateStructure, pruneUnknown, unmarshalErrorMessage, type StructuralResult } from "./validate.js";
