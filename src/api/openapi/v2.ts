// The OpenAPI v2 document served at /openapi/v2 (kubectl before 1.27 reads it for validation and
// explain; newer kubectl falls back to it when v3 is missing).

import type { ResourceDef } from "../registry/types.js";
import { definitions, type JsonSchema } from "../schema/definitions.js";
import { allPaths, referencedDefinitions, type Operation, type PathItem } from "./operations.js";
import { PRETTY, type QueryParam } from "./params.js";
import { reachableDefinitions } from "./reachable.js";

export interface OpenApiOptions {
  /** info.version, the server's git version, e.g. "v1.30.0". */
  version?: string;
}

/** Meta kinds every client may need even when no operation names them. */
export const META_DEFINITIONS = [
  "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
  "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
  "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
  "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
  "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
];

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

function queryParamV2(q: QueryParam): Record<string, unknown> {
  return { uniqueItems: true, type: q.type, description: q.description, name: q.name, in: "query" };
}

function operationV2(o: Operation): Record<string, unknown> {
  const parameters: unknown[] = [];
  if (o.body) parameters.push({ name: "body", in: "body", required: true, schema: ref(o.body.definition) });
  parameters.push(...o.query.map(queryParamV2));
  const responses: Record<string, unknown> = {};
  for (const r of o.responses) {
    responses[r.code] = r.definition ? { description: r.description, schema: ref(r.definition) } : r.type ? { description: r.description, schema: { type: r.type } } : { description: r.description };
  }
  const out: Record<string, unknown> = {
    description: o.description,
    consumes: o.body?.mediaTypes ?? ["*/*"],
    produces: o.produces,
    schemes: ["https"],
    tags: [o.tag],
    operationId: o.operationId,
  };
  if (parameters.length) out.parameters = parameters;
  out.responses = responses;
  out["x-kubernetes-action"] = o.action;
  if (o.gvk) out["x-kubernetes-group-version-kind"] = o.gvk;
  return out;
}

export function pathItemV2(item: PathItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of item.operations) out[o.method] = operationV2(o);
  out.parameters = [
    ...item.pathParams.map((p) => ({ uniqueItems: true, type: "string", description: p.description, name: p.name, in: "path", required: true })),
    queryParamV2(PRETTY),
  ];
  return out;
}

export function buildOpenApiV2(resources: readonly ResourceDef[], opts: OpenApiOptions = {}): Record<string, unknown> {
  const items = allPaths(resources);
  const paths: Record<string, unknown> = {};
  const roots = new Set(META_DEFINITIONS);
  for (const item of items) {
    paths[item.path] = pathItemV2(item);
    for (const d of referencedDefinitions(item)) roots.add(d);
  }
  const all = definitions();
  const defs: Record<string, JsonSchema> = {};
  for (const name of reachableDefinitions(roots)) defs[name] = all[name];
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: opts.version ?? "unversioned" },
    paths,
    definitions: defs,
    securityDefinitions: { BearerToken: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" } },
    security: [{ BearerToken: [] }],
  };
}
