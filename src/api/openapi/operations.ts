// The REST operations of served resources, in one neutral form that the v2 and v3 writers both
// render. Paths, actions, operation ids and parameters follow what kube-apiserver publishes,
// because clients read them: kubectl decides whether the server validates fields by finding a
// `fieldValidation` query parameter on the PATCH operation carrying the kind's
// x-kubernetes-group-version-kind (cli-runtime queryParamVerifierV3), and kubectl explain and
// client-side apply read the definitions those operations reference.

import type { ResourceDef } from "../registry/types.js";
import { definitions } from "../schema/definitions.js";
import { QUERY_PARAMS, type QueryParam } from "./params.js";

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export type Action = "get" | "list" | "watch" | "watchlist" | "post" | "put" | "patch" | "delete" | "deletecollection" | "connect";

export interface Operation {
  method: "get" | "put" | "post" | "patch" | "delete";
  action: Action;
  operationId: string;
  description: string;
  tag: string;
  gvk?: Gvk;
  query: QueryParam[];
  /** Request body definition name (and the media types it may come in). */
  body?: { definition: string; mediaTypes: string[] };
  /** Response code → definition name (undefined: no schema, e.g. a plain string body). */
  responses: Array<{ code: string; description: string; definition?: string; type?: "string" }>;
  produces: string[];
}

export interface PathItem {
  path: string;
  pathParams: Array<{ name: string; description: string }>;
  operations: Operation[];
}

export const PATCH_MEDIA_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
];
const PRODUCES = ["application/json", "application/yaml"];
const PRODUCES_WATCH = ["application/json", "application/yaml", "application/json;stream=watch"];

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const PATCH = `${META}.Patch`;
const WATCH_EVENT = `${META}.WatchEvent`;
const API_RESOURCE_LIST = `${META}.APIResourceList`;

/** "api/v1" for the core group, "apis/apps/v1" otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The camel-cased group as kube's operation ids spell it: "" → Core, rbac.authorization.k8s.io → RbacAuthorization. */
function groupWord(group: string): string {
  if (!group) return "Core";
  return group
    .replace(/\.k8s\.io$/, "")
    .split(".")
    .map(cap)
    .join("");
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function tagOf(group: string, version: string): string {
  const g = groupWord(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** The List definition of a kind ("io.k8s.api.core.v1.Pod" → "io.k8s.api.core.v1.PodList"). */
function listDefinition(r: ResourceDef): string {
  const name = r.definition.slice(0, r.definition.lastIndexOf(".") + 1) + r.listKind;
  if (!definitions()[name]) throw new Error(`OpenAPI: no definition ${name} for the list of ${r.plural}`);
  return name;
}

/** Subresources with a typed body of their own kind; others use the parent's kind. */
const SUBRESOURCE_KINDS: Record<string, { gvk: Gvk; definition: string }> = {
  scale: { gvk: { group: "autoscaling", version: "v1", kind: "Scale" }, definition: "io.k8s.api.autoscaling.v1.Scale" },
  binding: { gvk: { group: "", version: "v1", kind: "Binding" }, definition: "io.k8s.api.core.v1.Binding" },
  eviction: { gvk: { group: "policy", version: "v1", kind: "Eviction" }, definition: "io.k8s.api.policy.v1.Eviction" },
};

/** Subresources that connect a stream (exec, attach, port-forward, proxy): action "connect". */
const CONNECT = new Set(["exec", "attach", "portforward", "proxy"]);

export function resourcePaths(r: ResourceDef): PathItem[] {
  const gvPath = `/${groupVersionPath(r.group, r.version)}`;
  const gw = `${groupWord(r.group)}${cap(r.version)}`;
  const tag = tagOf(r.group, r.version);
  const gvk: Gvk = { group: r.group, version: r.version, kind: r.kind };
  const ns = r.namespaced ? "Namespaced" : "";
  const nsPath = r.namespaced ? "/namespaces/{namespace}" : "";
  const has = (verb: string) => r.verbs.includes(verb);
  const items: PathItem[] = [];

  const nameParam = { name: "name", description: `name of the ${r.kind}` };
  const nsParam = { name: "namespace", description: "object name and auth scope, such as for teams and projects" };
  const collectionParams = r.namespaced ? [nsParam] : [];
  const objectParams = r.namespaced ? [nameParam, nsParam] : [nameParam];
  // Create-only kinds (TokenReview, SubjectAccessReview, …) have no List type.
  const list = r.verbs.includes("list") ? listDefinition(r) : "";

  const op = (o: Omit<Operation, "tag" | "produces"> & { produces?: string[] }): Operation => ({ tag, produces: PRODUCES, ...o });
  const written = (code2xx: string[], definition: string) => [
    ...code2xx.map((code) => ({ code, description: code === "200" ? "OK" : code === "201" ? "Created" : "Accepted", definition })),
    { code: "401", description: "Unauthorized" },
  ];

  // Collection: list, create, deletecollection.
  const collection: Operation[] = [];
  if (has("list")) {
    collection.push(
      op({ method: "get", action: "list", operationId: `list${gw}${ns}${r.kind}`, description: `list or watch objects of kind ${r.kind}`, gvk, query: QUERY_PARAMS.list, responses: written(["200"], list), produces: PRODUCES_WATCH }),
    );
  }
  if (has("create")) {
    collection.push(
      op({ method: "post", action: "post", operationId: `create${gw}${ns}${r.kind}`, description: `create a ${r.kind}`, gvk, query: QUERY_PARAMS.create, body: { definition: r.definition, mediaTypes: ["*/*"] }, responses: written(["200", "201", "202"], r.definition) }),
    );
  }
  if (has("deletecollection")) {
    collection.push(
      op({ method: "delete", action: "deletecollection", operationId: `deletecollection${gw}${ns}${r.kind}`, description: `delete collection of ${r.kind}`, gvk, query: QUERY_PARAMS.deletecollection, body: { definition: DELETE_OPTIONS, mediaTypes: ["*/*"] }, responses: written(["200"], STATUS) }),
    );
  }
  if (collection.length) items.push({ path: `${gvPath}${nsPath}/${r.plural}`, pathParams: collectionParams, operations: collection });

  // Object: read, replace, patch, delete.
  const object: Operation[] = [];
  if (has("get")) object.push(op({ method: "get", action: "get", operationId: `read${gw}${ns}${r.kind}`, description: `read the specified ${r.kind}`, gvk, query: [], responses: written(["200"], r.definition) }));
  if (has("update")) {
    object.push(op({ method: "put", action: "put", operationId: `replace${gw}${ns}${r.kind}`, description: `replace the specified ${r.kind}`, gvk, query: QUERY_PARAMS.update, body: { definition: r.definition, mediaTypes: ["*/*"] }, responses: written(["200", "201"], r.definition) }));
  }
  if (has("patch")) {
    object.push(op({ method: "patch", action: "patch", operationId: `patch${gw}${ns}${r.kind}`, description: `partially update the specified ${r.kind}`, gvk, query: QUERY_PARAMS.patch, body: { definition: PATCH, mediaTypes: PATCH_MEDIA_TYPES }, responses: written(["200", "201"], r.definition) }));
  }
  if (has("delete")) {
    object.push(op({ method: "delete", action: "delete", operationId: `delete${gw}${ns}${r.kind}`, description: `delete a ${r.kind}`, gvk, query: QUERY_PARAMS.delete, body: { definition: DELETE_OPTIONS, mediaTypes: ["*/*"] }, responses: written(["200", "202"], STATUS) }));
  }
  if (object.length) items.push({ path: `${gvPath}${nsPath}/${r.plural}/{name}`, pathParams: objectParams, operations: object });

  if (has("list") && r.namespaced) {
    items.push({
      path: `${gvPath}/${r.plural}`,
      pathParams: [],
      operations: [op({ method: "get", action: "list", operationId: `list${gw}${r.kind}ForAllNamespaces`, description: `list or watch objects of kind ${r.kind}`, gvk, query: QUERY_PARAMS.list, responses: written(["200"], list), produces: PRODUCES_WATCH })],
    });
  }

  // Deprecated watch paths, still published (and used by old clients).
  if (has("watch")) {
    const watchOp = (action: Action, operationId: string, description: string) =>
      op({ method: "get", action, operationId, description, gvk, query: QUERY_PARAMS.list, responses: written(["200"], WATCH_EVENT), produces: PRODUCES_WATCH });
    items.push({ path: `${gvPath}/watch${nsPath}/${r.plural}`, pathParams: collectionParams, operations: [watchOp("watchlist", `watch${gw}${ns}${r.kind}List`, `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)] });
    items.push({ path: `${gvPath}/watch${nsPath}/${r.plural}/{name}`, pathParams: objectParams, operations: [watchOp("watch", `watch${gw}${ns}${r.kind}`, `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`)] });
    if (r.namespaced) {
      items.push({ path: `${gvPath}/watch/${r.plural}`, pathParams: [], operations: [watchOp("watchlist", `watch${gw}${r.kind}ListForAllNamespaces`, `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)] });
    }
  }

  for (const sub of r.subresources) items.push(subresourcePath(r, sub, { gvPath, gw, ns, nsPath, objectParams, op, written, gvk }));
  return items;
}

interface SubCtx {
  gvPath: string;
  gw: string;
  ns: string;
  nsPath: string;
  objectParams: PathItem["pathParams"];
  op: (o: Omit<Operation, "tag" | "produces"> & { produces?: string[] }) => Operation;
  written: (codes: string[], definition: string) => Operation["responses"];
  gvk: Gvk;
}

function subresourcePath(r: ResourceDef, sub: string, c: SubCtx): PathItem {
  const path = `${c.gvPath}${c.nsPath}/${r.plural}/{name}/${sub}`;
  const word = cap(sub);
  const id = (verb: string) => `${verb}${c.gw}${c.ns}${r.kind}${word}`;
  const operations: Operation[] = [];
  const typed = SUBRESOURCE_KINDS[sub];

  if (sub === "binding" || sub === "eviction") {
    operations.push(c.op({ method: "post", action: "post", operationId: id("create"), description: `create ${word.toLowerCase()} of a ${r.kind}`, gvk: typed.gvk, query: QUERY_PARAMS.create, body: { definition: typed.definition, mediaTypes: ["*/*"] }, responses: c.written(["200", "201", "202"], typed.definition) }));
  } else if (sub === "log") {
    operations.push(c.op({ method: "get", action: "get", operationId: id("read"), description: `read log of the specified ${r.kind}`, gvk: c.gvk, query: QUERY_PARAMS.log, responses: [{ code: "200", description: "OK", type: "string" }, { code: "401", description: "Unauthorized" }], produces: ["text/plain", "application/json", "application/yaml"] }));
  } else if (CONNECT.has(sub)) {
    for (const method of ["get", "post"] as const) {
      operations.push(c.op({ method, action: "connect", operationId: `connect${c.gw}${cap(method)}${c.ns}${r.kind}${word}`, description: `connect ${method.toUpperCase()} requests to ${sub} of ${r.kind}`, gvk: c.gvk, query: [], responses: [{ code: "200", description: "OK", type: "string" }, { code: "401", description: "Unauthorized" }], produces: ["*/*"] }));
    }
  } else {
    // status, scale and other object-shaped subresources: read, replace, patch.
    const gvk = typed?.gvk ?? c.gvk;
    const definition = typed?.definition ?? r.definition;
    operations.push(
      c.op({ method: "get", action: "get", operationId: id("read"), description: `read ${sub} of the specified ${r.kind}`, gvk, query: [], responses: c.written(["200"], definition) }),
      c.op({ method: "put", action: "put", operationId: id("replace"), description: `replace ${sub} of the specified ${r.kind}`, gvk, query: QUERY_PARAMS.update, body: { definition, mediaTypes: ["*/*"] }, responses: c.written(["200", "201"], definition) }),
      c.op({ method: "patch", action: "patch", operationId: id("patch"), description: `partially update ${sub} of the specified ${r.kind}`, gvk, query: QUERY_PARAMS.patch, body: { definition: PATCH, mediaTypes: PATCH_MEDIA_TYPES }, responses: c.written(["200", "201"], definition) }),
    );
  }
  return { path, pathParams: c.objectParams, operations };
}

/** The group-version root (`GET /apis/apps/v1/`), which answers its APIResourceList. */
export function groupVersionRoot(group: string, version: string): PathItem {
  return {
    path: `/${groupVersionPath(group, version)}/`,
    pathParams: [],
    operations: [
      {
        method: "get",
        action: "get",
        operationId: `get${groupWord(group)}${cap(version)}APIResources`,
        description: "get available resources",
        tag: tagOf(group, version),
        query: [],
        responses: [
          { code: "200", description: "OK", definition: API_RESOURCE_LIST },
          { code: "401", description: "Unauthorized" },
        ],
        produces: PRODUCES,
      },
    ],
  };
}

/** All paths of the given resources plus their group-version roots, sorted by path. */
export function allPaths(resources: readonly ResourceDef[]): PathItem[] {
  const roots = new Map<string, PathItem>();
  const items: PathItem[] = [];
  for (const r of resources) {
    const key = groupVersionPath(r.group, r.version);
    if (!roots.has(key)) roots.set(key, groupVersionRoot(r.group, r.version));
    items.push(...resourcePaths(r));
  }
  return [...roots.values(), ...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Definition names an operation refers to. */
export function referencedDefinitions(item: PathItem): string[] {
  const out: string[] = [];
  for (const o of item.operations) {
    if (o.body) out.push(o.body.definition);
    for (const r of o.responses) if (r.definition) out.push(r.definition);
  }
  return out;
}
