import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import type { ResourceDef } from "../registry/types.js";
import { buildOpenApiV2, buildOpenApiV3, openApiDocuments, resourcePaths, schemaV3 } from "./index.js";

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const res = (r: Partial<ResourceDef> & Pick<ResourceDef, "group" | "kind" | "plural" | "namespaced" | "definition">): ResourceDef => ({
  version: "v1",
  listKind: `${r.kind}List`,
  singular: r.kind.toLowerCase(),
  shortNames: [],
  categories: [],
  verbs: ALL,
  subresources: [],
  ...r,
});

const RESOURCES: ResourceDef[] = [
  res({ group: "", kind: "Pod", plural: "pods", namespaced: true, definition: "io.k8s.api.core.v1.Pod", subresources: ["status", "binding", "eviction", "log", "exec"] }),
  res({ group: "", kind: "Node", plural: "nodes", namespaced: false, definition: "io.k8s.api.core.v1.Node", subresources: ["status"] }),
  res({ group: "apps", kind: "Deployment", plural: "deployments", namespaced: true, definition: "io.k8s.api.apps.v1.Deployment", subresources: ["status", "scale"] }),
  res({ group: "rbac.authorization.k8s.io", kind: "ClusterRole", plural: "clusterroles", namespaced: false, definition: "io.k8s.api.rbac.v1.ClusterRole" }),
];

type Doc = { paths: Record<string, Record<string, any>>; definitions?: Record<string, any>; components?: { schemas: Record<string, any> } };

describe("resourcePaths", () => {
  it("publishes namespaced and all-namespaces paths with kube's operation ids", () => {
    const items = resourcePaths(RESOURCES[0]);
    const ids = items.flatMap((i) => i.operations.map((o) => `${o.method} ${i.path} ${o.operationId} ${o.action}`));
    expect(ids).toEqual(
      expect.arrayContaining([
        "get /api/v1/namespaces/{namespace}/pods listCoreV1NamespacedPod list",
        "post /api/v1/namespaces/{namespace}/pods createCoreV1NamespacedPod post",
        "delete /api/v1/namespaces/{namespace}/pods deletecollectionCoreV1NamespacedPod deletecollection",
        "get /api/v1/namespaces/{namespace}/pods/{name} readCoreV1NamespacedPod get",
        "put /api/v1/namespaces/{namespace}/pods/{name} replaceCoreV1NamespacedPod put",
        "patch /api/v1/namespaces/{namespace}/pods/{name} patchCoreV1NamespacedPod patch",
        "delete /api/v1/namespaces/{namespace}/pods/{name} deleteCoreV1NamespacedPod delete",
        "get /api/v1/pods listCoreV1PodForAllNamespaces list",
        "get /api/v1/watch/namespaces/{namespace}/pods/{name} watchCoreV1NamespacedPod watch",
        "patch /api/v1/namespaces/{namespace}/pods/{name}/status patchCoreV1NamespacedPodStatus patch",
        "post /api/v1/namespaces/{namespace}/pods/{name}/binding createCoreV1NamespacedPodBinding post",
        "post /api/v1/namespaces/{namespace}/pods/{name}/eviction createCoreV1NamespacedPodEviction post",
        "get /api/v1/namespaces/{namespace}/pods/{name}/log readCoreV1NamespacedPodLog get",
        "get /api/v1/namespaces/{namespace}/pods/{name}/exec connectCoreV1GetNamespacedPodExec connect",
      ]),
    );
  });

  it("omits operations for verbs a resource does not serve", () => {
    const ro = res({ group: "", kind: "ComponentStatus", plural: "componentstatuses", namespaced: false, definition: "io.k8s.api.core.v1.ComponentStatus", verbs: ["get", "list"] });
    const methods = resourcePaths(ro).flatMap((i) => i.operations.map((o) => `${o.method} ${i.path}`));
    expect(methods).toEqual(["get /api/v1/componentstatuses", "get /api/v1/componentstatuses/{name}"]);
  });
});

describe("buildOpenApiV2", () => {
  const doc = buildOpenApiV2(RESOURCES, { version: "v1.30.0" }) as unknown as Doc & { swagger: string; info: { version: string } };

  it("has paths for namespaced and cluster-scoped resources", () => {
    expect(doc.swagger).toBe("2.0");
    expect(doc.info.version).toBe("v1.30.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/nodes/{name}", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "/apis/apps/v1/"]));
    expect(doc.paths["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"].get.operationId).toBe("readRbacAuthorizationV1ClusterRole");
    expect(doc.paths["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"].get.tags).toEqual(["rbacAuthorization_v1"]);
  });

  it("marks PATCH with the kind, the four patch media types and fieldValidation", () => {
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch["x-kubernetes-action"]).toBe("patch");
    expect(patch.consumes).toEqual(["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"]);
    const names = patch.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(names).toEqual(["body:body", "query:dryRun", "query:fieldManager", "query:fieldValidation", "query:force"]);
    const post = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments"].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toContain("fieldValidation");
  });

  it("uses Scale for the scale subresource", () => {
    const scale = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    expect(scale.put["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(scale.get.responses["200"].schema).toEqual({ $ref: "#/definitions/io.k8s.api.autoscaling.v1.Scale" });
  });

  it("carries only reachable definitions, including lists and meta kinds", () => {
    const names = Object.keys(doc.definitions!);
    expect(names).toEqual(expect.arrayContaining(["io.k8s.api.core.v1.PodList", "io.k8s.api.core.v1.Container", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.api.policy.v1.Eviction"]));
    expect(names).not.toContain("io.k8s.api.batch.v1.Job");
    expect(doc.definitions!["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
  });
});

describe("buildOpenApiV3", () => {
  const v3 = buildOpenApiV3(RESOURCES);

  it("indexes one document per group-version with its sha512 hash", () => {
    expect(Object.keys(v3.paths)).toEqual(["api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1"]);
    const apps = v3.document("apis/apps/v1")!;
    const hash = createHash("sha512").update(apps.body).digest("hex").toUpperCase();
    expect(apps.hash).toBe(hash);
    expect(apps.etag).toBe(`"${hash}"`);
    expect(v3.paths["apis/apps/v1"].serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${hash}`);
    expect(JSON.parse(v3.index.body.toString())).toEqual({ paths: v3.paths });
    expect(v3.document("/apis/apps/v1")).toBe(apps);
    expect(v3.document("apis/batch/v1")).toBeUndefined();
  });

  it("holds only its group-version's paths, with fieldValidation on PATCH as kubectl looks for it", () => {
    const doc = v3.object("apis/apps/v1") as unknown as Doc;
    expect(Object.keys(doc.paths).every((p) => p.startsWith("/apis/apps/v1/"))).toBe(true);
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: "fieldValidation", in: "query" }));
    expect(Object.keys(patch.requestBody.content)).toHaveLength(4);
    expect(patch.requestBody.content["application/apply-patch+yaml"].schema).toEqual({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" });
  });

  it("wraps nested refs in allOf beside the field's description and patch metadata", () => {
    const schemas = (v3.object("apis/apps/v1") as unknown as Doc).components!.schemas;
    const strategy = schemas["io.k8s.api.apps.v1.DeploymentSpec"].properties.strategy;
    expect(strategy.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }]);
    expect(strategy["x-kubernetes-patch-strategy"]).toBe("retainKeys");
    expect(strategy.description).toBeTypeOf("string");
    const containers = schemas["io.k8s.api.core.v1.PodSpec"].properties.containers;
    expect(containers.items).toEqual({ allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.Container" }] });
    expect(containers["x-kubernetes-list-map-keys"]).toEqual(["name"]);
    expect(schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] });
    expect(JSON.stringify(schemas)).not.toContain("#/definitions/");
  });
});

describe("schemaV3", () => {
  it("keeps a top-level $ref bare and wraps nested ones", () => {
    expect(schemaV3({ $ref: "#/definitions/a.B" }, false)).toEqual({ $ref: "#/components/schemas/a.B" });
    expect(schemaV3({ type: "array", items: { $ref: "#/definitions/a.B" } }, true)).toEqual({ type: "array", items: { allOf: [{ $ref: "#/components/schemas/a.B" }] } });
  });
});

describe("openApiDocuments", () => {
  it("computes the documents once per resource list", () => {
    const a = openApiDocuments(RESOURCES);
    expect(openApiDocuments(RESOURCES)).toBe(a);
    expect(JSON.parse(a.v2.body.toString()).swagger).toBe("2.0");
  });
});
