import { describe, it, expect } from "vitest";
import { definitions, definitionForKind } from "./definitions.js";
import { schemaOf } from "./nodes.js";

describe("generated definitions", () => {
  const defs = definitions();

  it("describes Pod with a GVK and PodSpec.containers as a map-list of Container", () => {
    expect(defs["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "", version: "v1", kind: "Pod" }]);
    const containers = defs["io.k8s.api.core.v1.PodSpec"].properties!.containers;
    expect(containers).toMatchObject({
      type: "array",
      items: { $ref: "#/definitions/io.k8s.api.core.v1.Container" },
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    });
    expect(defs["io.k8s.api.core.v1.PodSpec"].required).toEqual(["containers"]);
    expect(defs["io.k8s.api.core.v1.Container"].required).toEqual(["name"]);
  });

  it("carries Kubernetes' patch metadata where kubernetes-types has none", () => {
    const p = (def: string, field: string) => defs[def].properties![field];
    expect(p("io.k8s.api.core.v1.Container", "ports")).toMatchObject({ "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-list-map-keys": ["containerPort", "protocol"] });
    expect(p("io.k8s.api.core.v1.Container", "volumeMounts")["x-kubernetes-patch-merge-key"]).toBe("mountPath");
    expect(p("io.k8s.api.core.v1.PodSpec", "volumes")["x-kubernetes-patch-strategy"]).toBe("merge,retainKeys");
    expect(p("io.k8s.api.core.v1.PodSpec", "tolerations")["x-kubernetes-list-type"]).toBe("atomic");
    expect(p("io.k8s.api.core.v1.PodSpec", "tolerations")["x-kubernetes-patch-strategy"]).toBeUndefined();
    expect(p("io.k8s.api.core.v1.ServiceSpec", "ports")).toMatchObject({ "x-kubernetes-patch-merge-key": "port", "x-kubernetes-list-map-keys": ["port", "protocol"] });
    expect(p("io.k8s.api.apps.v1.DeploymentSpec", "strategy")["x-kubernetes-patch-strategy"]).toBe("retainKeys");
    expect(p("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences")["x-kubernetes-patch-merge-key"]).toBe("uid");
    expect(p("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers")).toMatchObject({ "x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set" });
    expect(p("io.k8s.api.core.v1.NodeStatus", "addresses")["x-kubernetes-patch-merge-key"]).toBe("type");
    expect(p("io.k8s.api.core.v1.PodStatus", "podIPs")["x-kubernetes-patch-merge-key"]).toBe("ip");
    expect(defs["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["x-kubernetes-map-type"]).toBe("atomic");
  });

  it("maps numbers to int32/int64 and special string types to their formats", () => {
    expect(defs["io.k8s.api.apps.v1.DeploymentSpec"].properties!.replicas).toMatchObject({ type: "integer", format: "int32" });
    expect(defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties!.generation).toMatchObject({ type: "integer", format: "int64" });
    expect(defs["io.k8s.api.core.v1.PodSecurityContext"].properties!.supplementalGroups.items).toEqual({ type: "integer", format: "int64" });
    expect(defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ type: "string", format: "int-or-string" });
    expect(defs["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toMatchObject({ type: "string", format: "date-time" });
    expect(defs["io.k8s.apimachinery.pkg.api.resource.Quantity"].type).toBe("string");
    expect(defs["io.k8s.api.core.v1.Secret"].properties!.data.additionalProperties).toEqual({ type: "string", format: "byte" });
    expect(defs["io.k8s.api.apps.v1.RollingUpdateDeployment"].properties!.maxSurge.$ref).toBe("#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  });

  it("finds definitions by group/version/kind", () => {
    expect(definitionForKind("apps", "v1", "Deployment")).toBe("io.k8s.api.apps.v1.Deployment");
    expect(definitionForKind("autoscaling", "v1", "Scale")).toBe("io.k8s.api.autoscaling.v1.Scale");
    expect(definitionForKind("apps", "v1", "Nope")).toBeUndefined();
  });
});

describe("schemaOf", () => {
  it("resolves refs into shared nodes", () => {
    const pod = schemaOf("io.k8s.api.core.v1.Pod");
    const spec = pod.properties!.spec;
    expect(spec).toBe(schemaOf("io.k8s.api.core.v1.PodSpec"));
    expect(spec.properties!.containers.items).toBe(schemaOf("io.k8s.api.core.v1.Container"));
    expect(spec.properties!.containers).toMatchObject({ type: "array", listType: "map", listMapKeys: ["name"], patchMergeKey: "name" });
    expect(pod.properties!.metadata.ref).toBe("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  });

  it("keeps field-level patch metadata on a ref without touching the shared node", () => {
    const strategy = schemaOf("io.k8s.api.apps.v1.DeploymentSpec").properties!.strategy;
    expect(strategy.patchStrategy).toBe("retainKeys");
    expect(strategy.properties).toBe(schemaOf("io.k8s.api.apps.v1.DeploymentStrategy").properties);
    expect(schemaOf("io.k8s.api.apps.v1.DeploymentStrategy").patchStrategy).toBeUndefined();
  });

  it("types IntOrString, Quantity and free-form objects", () => {
    expect(schemaOf("io.k8s.apimachinery.pkg.util.intstr.IntOrString").type).toBe("int-or-string");
    expect(schemaOf("io.k8s.apimachinery.pkg.api.resource.Quantity")).toMatchObject({ type: "string", format: "quantity" });
    expect(schemaOf("io.k8s.api.apps.v1.ControllerRevision").properties!.data).toMatchObject({ type: "object", preserveUnknownFields: true });
  });

  it("throws for unknown definitions", () => {
    expect(() => schemaOf("io.k8s.api.core.v1.Nope")).toThrow(/no schema definition/);
  });
});
