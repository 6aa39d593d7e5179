// The OpenAPI v3 documents, one per group-version (/openapi/v3/api/v1, /openapi/v3/apis/apps/v1),
// as kube-apiserver publishes them: refs point at #/components/schemas, and a $ref used as a
// property, item or map value is wrapped in `allOf` so that the field's own description and
// x-kubernetes-* extensions can sit beside it (kubectl explain and client-side apply read both).

import type { ResourceDef } from "../registry/types.js";
import { definitions, refName, type JsonSchema } from "../schema/definitions.js";
import { allPaths, groupVersionPath, referencedDefinitions, type Operation, type PathItem } from "./operations.js";
import { PRETTY, type QueryParam } from "./params.js";
import { reachableDefinitions } from "./reachable.js";
import { META_DEFINITIONS, type OpenApiOptions } from "./v2.js";

const COMPONENT = "#/components/schemas/";
const ref = (name: string) => ({ $ref: `${COMPONENT}${name}` });

const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/** A v2 schema in v3 form. `nested`: a position where a bare $ref is wrapped in allOf. */
export function schemaV3(s: JsonSchema, nested: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "$ref") continue;
    if (k === "properties") out.properties = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, schemaV3(ps, true)]));
    else if (k === "items" || k === "additionalProperties") out[k] = schemaV3(v as JsonSchema, true);
    else out[k] = v;
  }
  if (s.$ref) {
    const target = ref(refName(s.$ref));
    if (!nested) return { ...target, ...out };
    out.allOf = [target];
  }
  return out;
}

/** Component schema of a definition; IntOrString and Quantity as kube publishes them in v3. */
function componentV3(name: string, def: JsonSchema): Record<string, unknown> {
  const base = schemaV3(def, false);
  if (name === INT_OR_STRING) {
    delete base.type;
    return { ...base, oneOf: [{ type: "integer" }, { type: "string" }] };
  }
  if (name === QUANTITY) {
    delete base.type;
    return { ...base, oneOf: [{ type: "string" }, { type: "number" }] };
  }
  return base;
}

function paramV3(q: { name: string; type: string; description: string }, where: "query" | "path"): Record<string, unknown> {
  const out: Record<string, unknown> = { name: q.name, in: where, description: q.description, schema: { type: q.type, uniqueItems: true } };
  if (where === "path") out.required = true;
  return out;
}

function operationV3(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { tags: [o.tag], description: o.description, operationId: o.operationId };
  if (o.query.length) out.parameters = o.query.map((q: QueryParam) => paramV3(q, "query"));
  if (o.body) {
    const definition = o.body.definition;
    out.requestBody = { content: Object.fromEntries(o.body.mediaTypes.map((m) => [m, { schema: ref(definition) }])), required: true };
  }
  const responses: Record<string, unknown> = {};
  for (const r of o.responses) {
    const schema = r.definition ? ref(r.definition) : r.type ? { type: r.type } : undefined;
    responses[r.code] = schema ? { description: r.description, content: Object.fromEntries(o.produces.map((m) => [m, { schema }])) } : { description: r.description };
  }
  out.responses = responses;
  out["x-kubernetes-action"] = o.action;
  if (o.gvk) out["x-kubernetes-group-version-kind"] = o.gvk;
  return out;
}

function pathItemV3(item: PathItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of item.operations) out[o.method] = operationV3(o);
  out.parameters = [...item.pathParams.map((p) => paramV3({ ...p, type: "string" }, "path")), paramV3(PRETTY, "query")];
  return out;
}

/** The v3 documents of all served group-versions, keyed "api/v1", "apis/apps/v1". */
export function buildOpenApiV3Documents(resources: readonly ResourceDef[], opts: OpenApiOptions = {}): Map<string, Record<string, unknown>> {
  const byGv = new Map<string, ResourceDef[]>();
  for (const r of resources) {
    const key = groupVersionPath(r.group, r.version);
    byGv.set(key, [...(byGv.get(key) ?? []), r]);
  }
  const all = definitions();
  const docs = new Map<string, Record<string, unknown>>();
  for (const [gv, list] of [...byGv].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const paths: Record<string, unknown> = {};
    const roots = new Set(META_DEFINITIONS);
    for (const item of allPaths(list)) {
      paths[item.path] = pathItemV3(item);
      for (const d of referencedDefinitions(item)) roots.add(d);
    }
    const schemas: Record<string, unknown> = {};
    for (const name of reachableDefinitions(roots)) schemas[name] = componentV3(name, all[name]);
    docs.set(gv, {
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: opts.version ?? "unversioned" },
      paths,
      components: { schemas, securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } } },
      security: [{ BearerToken: [] }],
    });
  }
  return docs;
}
