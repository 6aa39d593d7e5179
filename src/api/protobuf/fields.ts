// The field-number table: for every protobuf message reachable from the served kinds, which JSON
// field each field number carries. fields.json was derived from the `protobuf:"…"` and `json:"…"`
// struct tags of k8s.io/api and k8s.io/apimachinery (the source of their generated.proto), keyed
// by OpenAPI definition name. Entry syntax:
//   "name"      the JSON field; value type comes from our schema
//   "name?"     a non-pointer Go field tagged omitempty: gogo protobuf always writes it, JSON omits
//               it when zero — so "", 0 and false mean "absent" (pointer fields keep explicit zeros)
//   ">Def"      an embedded struct that JSON inlines (Volume.volumeSource, Probe.handler): its
//               fields are decoded with table Def into the enclosing object

import table from "./fields.json" with { type: "json" };

export interface FieldSpec {
  /** JSON property name; empty for inlined structs. */
  name: string;
  omitZero: boolean;
  /** Table of an inlined embedded struct. */
  inline?: string;
}

const raw = table as unknown as Readonly<Record<string, Readonly<Record<string, string>>>>;
const parsed = new Map<string, Map<number, FieldSpec>>();

/** Field specs of a message by definition name, or undefined when the table has none. */
export function messageFields(definition: string): Map<number, FieldSpec> | undefined {
  const cached = parsed.get(definition);
  if (cached) return cached;
  const entry = raw[definition];
  if (!entry) return undefined;
  const fields = new Map<number, FieldSpec>();
  for (const [num, spec] of Object.entries(entry)) fields.set(Number(num), parseSpec(spec));
  parsed.set(definition, fields);
  return fields;
}

function parseSpec(spec: string): FieldSpec {
  if (spec.startsWith(">")) return { name: "", omitZero: false, inline: spec.slice(1) };
  if (spec.endsWith("?")) return { name: spec.slice(0, -1), omitZero: true };
  return { name: spec, omitZero: false };
}
