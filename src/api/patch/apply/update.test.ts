import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../registry/types.js";
import { deployment, deploymentSchema } from "../testdata/schemas.js";
import type { ManagedFieldsEntry } from "./managed-fields.js";
import { defaultManagerName, managerOrUserAgent } from "./manager-name.js";
import { updateManagedFields, type UpdateManagedFieldsOptions } from "./update.js";

const T0 = new Date("2024-05-01T10:00:00Z");
const opts = (o: Partial<UpdateManagedFieldsOptions> = {}): UpdateManagedFieldsOptions => ({
  manager: "kubectl-create",
  apiVersion: "apps/v1",
  schema: deploymentSchema,
  now: T0,
  resetFields: [["status"]],
  ...o,
});
const fieldsOf = (obj: KubeObject, manager: string) =>
  (obj.metadata?.managedFields as ManagedFieldsEntry[] | undefined)?.find((e) => e.manager === manager)?.fieldsV1;
const managers = (obj: KubeObject) => (obj.metadata?.managedFields as ManagedFieldsEntry[] | undefined)?.map((e) => e.manager) ?? [];

function created(): KubeObject {
  const obj = updateManagedFields(undefined, deployment({ replicas: 1 }) as KubeObject, opts()).object;
  obj.metadata!.uid = "u1";
  return obj;
}

function edit(obj: KubeObject, fn: (o: Record<string, any>) => void): KubeObject {
  const copy = structuredClone(obj) as Record<string, any>;
  fn(copy);
  return copy as KubeObject;
}

describe("updateManagedFields", () => {
  it("a create records every field set, as kubectl create shows them", () => {
    const { managedFields } = updateManagedFields(undefined, deployment({ replicas: 1 }) as KubeObject, opts());
    expect(managedFields).toHaveLength(1);
    expect(managedFields![0]).toMatchObject({ manager: "kubectl-create", operation: "Update", apiVersion: "apps/v1", time: "2024-05-01T10:00:00Z" });
    expect(managedFields![0].fieldsV1).toEqual({
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } },
        },
      },
    });
  });

  it("another manager's change takes the field from the previous owner", () => {
    const scaled = updateManagedFields(created(), edit(created(), (o) => (o.spec.replicas = 3)), opts({ manager: "kubectl-scale" })).object;
    expect(fieldsOf(scaled, "kubectl-scale")).toEqual({ "f:spec": { "f:replicas": {} } });
    expect(fieldsOf(scaled, "kubectl-create")!["f:spec"]).not.toHaveProperty("f:replicas");
  });

  it("an entry left with no fields disappears", () => {
    const scaled = updateManagedFields(created(), edit(created(), (o) => (o.spec.replicas = 3)), opts({ manager: "kubectl-scale" })).object;
    const out = updateManagedFields(scaled, edit(scaled, (o) => (o.spec.replicas = 4)), opts({ manager: "hpa" })).object;
    // Same timestamp: entries sort by manager name.
    expect(managers(out)).toEqual(["hpa", "kubectl-create"]);
  });

  it("a removed field leaves its owner's set", () => {
    const live = created();
    const out = updateManagedFields(live, edit(live, (o) => delete o.spec.replicas), opts({ manager: "kubectl-edit" })).object;
    expect(fieldsOf(out, "kubectl-create")!["f:spec"]).not.toHaveProperty("f:replicas");
    expect(managers(out)).toEqual(["kubectl-create"]);
  });

  it("a write that changes nothing tracked adds no entry", () => {
    const live = created();
    const out = updateManagedFields(live, edit(live, (o) => (o.metadata.resourceVersion = "9")), opts({ manager: "x" })).object;
    expect(managers(out)).toEqual(["kubectl-create"]);
  });

  it("status writes are not tracked on the main resource, and are on the status subresource", () => {
    const live = created();
    const next = edit(live, (o) => (o.status = { replicas: 1 }));
    expect(managers(updateManagedFields(live, next, opts({ manager: "ctrl" })).object)).toEqual(["kubectl-create"]);
    const viaStatus = updateManagedFields(live, next, opts({ manager: "ctrl", subresource: "status", resetFields: [["spec"]] })).managedFields!;
    expect(viaStatus.find((e) => e.manager === "ctrl")).toMatchObject({ subresource: "status", fieldsV1: { "f:status": { "f:replicas": {} } } });
  });

  it("objects existing without managed fields are not tracked by updates", () => {
    const legacy = { ...deployment(), metadata: { name: "web", uid: "u1" } } as KubeObject;
    const out = updateManagedFields(legacy, edit(legacy, (o) => (o.spec.replicas = 2)), opts());
    expect(out.managedFields).toBeUndefined();
    expect(out.object.metadata).not.toHaveProperty("managedFields");
  });

  it("an empty managedFields list in the request clears them", () => {
    const live = created();
    const out = updateManagedFields(live, edit(live, (o) => (o.metadata.managedFields = [])), opts());
    expect(out.managedFields).toBeUndefined();
  });

  it("managed fields sent by the client are kept when valid", () => {
    const live = created();
    const mine: ManagedFieldsEntry = { manager: "me", operation: "Update", apiVersion: "apps/v1", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:replicas": {} } } };
    const out = updateManagedFields(live, edit(live, (o) => (o.metadata.managedFields = [mine])), opts({ manager: "x" }));
    expect(out.managedFields).toEqual([mine]);
  });

  it("keeps at most 10 Update entries, folding the oldest into ancient-changes", () => {
    let obj = created();
    for (let i = 0; i < 11; i++) {
      obj = updateManagedFields(obj, edit(obj, (o) => (o.metadata.labels[`l${i}`] = "v")), opts({ manager: `m${i}`, now: new Date(T0.getTime() + (i + 1) * 1000) })).object;
    }
    const names = managers(obj);
    expect(names).toHaveLength(10);
    expect(names[0]).toBe("ancient-changes");
    expect(fieldsOf(obj, "ancient-changes")).toEqual({ "f:metadata": { "f:labels": { ".": {}, "f:app": {}, "f:l0": {}, "f:l1": {} } }, "f:spec": expect.any(Object) });
  });
});

describe("defaultManagerName", () => {
  it.each([
    ["kubectl/v1.32.0 (linux/amd64) kubernetes/abc123", "kubectl"],
    ["kube-controller-manager/v1.30.0 (linux/amd64) kubernetes/x/system:serviceaccount:kube-system:deployment-controller", "kube-controller-manager"],
    ["Go-http-client/1.1", "Go-http-client"],
    ["", ""],
    ["a\u0007b/1", "ab"],
    ["x".repeat(200), "x".repeat(128)],
  ])("%j -> %j", (ua, want) => {
    expect(defaultManagerName(ua)).toBe(want);
  });

  it("prefers an explicit fieldManager", () => {
    expect(managerOrUserAgent("kubectl-client-side-apply", "kubectl/v1.32.0")).toBe("kubectl-client-side-apply");
    expect(managerOrUserAgent(undefined, "kubectl/v1.32.0")).toBe("kubectl");
  });
});
