import { describe, expect, it } from "vitest";
import { StatusError } from "../../errors.js";
import type { KubeObject } from "../../registry/types.js";
import { deployment, deploymentSchema } from "../testdata/schemas.js";
import { applyPatch, type ApplyOptions } from "./apply.js";
import { LAST_APPLIED_ANNOTATION } from "./last-applied.js";
import type { ManagedFieldsEntry } from "./managed-fields.js";
import { updateManagedFields } from "./update.js";

const T0 = new Date("2024-05-01T10:00:00.123Z");
const T1 = new Date("2024-05-01T10:05:00Z");

const opts = (o: Partial<ApplyOptions> = {}): ApplyOptions => ({
  manager: "kubectl",
  force: false,
  schema: deploymentSchema,
  apiVersion: "apps/v1",
  kind: "Deployment",
  now: T0,
  resetFields: [["status"]],
  ...o,
});

type Dep = KubeObject & { spec: { replicas?: number; template: { spec: { containers: Array<Record<string, unknown>> } } } };

function apply(live: KubeObject | undefined, applied: unknown, o: Partial<ApplyOptions> = {}) {
  const r = applyPatch(live, applied, opts(o));
  return { ...r, object: r.object as Dep };
}

function entry(obj: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return (obj.metadata?.managedFields as ManagedFieldsEntry[] | undefined)?.find((e) => e.manager === manager);
}

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("applyPatch: kubectl apply --server-side of a Deployment", () => {
  it("creates the object with an Apply entry for the manager", () => {
    const { object, managedFields } = apply(undefined, deployment({ replicas: 2 }));
    expect(object).toMatchObject({ metadata: { name: "web", labels: { app: "web" } }, spec: { replicas: 2 } });
    expect(managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: "2024-05-01T10:00:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
              "f:metadata": { "f:labels": { "f:app": {} } },
              "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } },
            },
          },
        },
      },
    ]);
    expect(object.metadata?.managedFields).toEqual(managedFields);
  });

  it("re-applying with changed replicas updates the object and the entry time", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const { object } = apply(first, deployment({ replicas: 5 }), { now: T1 });
    expect(object.spec.replicas).toBe(5);
    expect(entry(object, "kubectl")?.time).toBe("2024-05-01T10:05:00Z");
  });

  it("re-applying the same configuration changes nothing and keeps the time", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const { object } = apply(first, deployment({ replicas: 2 }), { now: T1 });
    expect(object).toEqual(first);
  });

  it("a different manager applying another replicas value conflicts (409)", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const err = errorOf(() => apply(first, deployment({ replicas: 3 }), { manager: "ci" }));
    expect(err.code).toBe(409);
    expect(err.status.reason).toBe("Conflict");
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(err.status.details?.causes).toEqual([{ reason: "FieldManagerConflict", message: 'conflict with "kubectl"', field: ".spec.replicas" }]);
  });

  it("--force-conflicts takes the field over", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const { object } = apply(first, deployment({ replicas: 3 }), { manager: "ci", force: true });
    expect(object.spec.replicas).toBe(3);
    expect(entry(object, "ci")?.fieldsV1).toMatchObject({ "f:spec": { "f:replicas": {} } });
    expect(entry(object, "kubectl")?.fieldsV1["f:spec"]).not.toHaveProperty("f:replicas");
  });

  it("applying an equal value from a second manager shares ownership without conflict", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const { object } = apply(first, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 2 } }, { manager: "ci" });
    expect(object.spec.replicas).toBe(2);
    expect(entry(object, "ci")?.fieldsV1).toEqual({ "f:spec": { "f:replicas": {} } });
    expect(entry(object, "kubectl")?.fieldsV1["f:spec"]).toHaveProperty("f:replicas");
  });

  it("removing a label from the applied manifest removes it from the object", () => {
    const first = apply(undefined, deployment({ labels: { app: "web", tier: "fe" } })).object;
    const { object } = apply(first, deployment({ labels: { app: "web" } }));
    expect(object.metadata?.labels).toEqual({ app: "web" });
  });

  it("a field dropped from the manifest stays when another manager owns it", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const shared = apply(first, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { replicas: 2 } }, { manager: "hpa" }).object;
    const { object } = apply(shared, deployment());
    expect(object.spec.replicas).toBe(2);
    expect(entry(object, "kubectl")?.fieldsV1["f:spec"]).not.toHaveProperty("f:replicas");
  });

  it("merges containers by name across managers and prunes only the applier's own items", () => {
    const first = apply(undefined, deployment()).object;
    const sidecarCfg = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { template: { spec: { containers: [{ name: "sidecar", image: "busybox" }] } } },
    };
    const withSidecar = apply(first, sidecarCfg, { manager: "injector" }).object;
    expect(withSidecar.spec.template.spec.containers.map((c) => c.name)).toEqual(["web", "sidecar"]);
    // kubectl re-applies without knowing the sidecar: it stays.
    const again = apply(withSidecar, deployment({ image: "nginx:1.26" })).object;
    expect(again.spec.template.spec.containers).toEqual([
      { name: "web", image: "nginx:1.26" },
      { name: "sidecar", image: "busybox" },
    ]);
    // The injector applies an empty container list: its sidecar goes.
    const removed = apply(again, { ...sidecarCfg, spec: { template: { spec: { containers: [] } } } }, { manager: "injector" }).object;
    expect(removed.spec.template.spec.containers.map((c) => c.name)).toEqual(["web"]);
  });

  it("an atomic map (selector) conflicts as a whole", () => {
    const first = apply(undefined, deployment()).object;
    const err = errorOf(() =>
      apply(first, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: { selector: { matchLabels: { app: "x" } } } }, { manager: "ci" }),
    );
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.selector');
  });

  it("lists several conflicts grouped by manager", () => {
    const first = apply(undefined, deployment({ replicas: 2 })).object;
    const err = errorOf(() => apply(first, deployment({ replicas: 9, image: "evil" }), { manager: "ci" }));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
    expect(err.status.details?.causes?.map((c) => c.field)).toEqual([".spec.replicas", '.spec.template.spec.containers[name="web"].image']);
  });
});

describe("applyPatch after client-side writes", () => {
  const created = () =>
    updateManagedFields(undefined, deployment({ replicas: 1 }) as KubeObject, { manager: "kubectl-create", apiVersion: "apps/v1", schema: deploymentSchema, now: T0 })
      .object;

  it("conflicts with the creating Update manager on changed fields, naming its API version", () => {
    const err = errorOf(() => apply({ ...created(), metadata: { ...created().metadata, uid: "u1" } }, deployment({ replicas: 4 })));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas');
    expect(err.status.details?.causes?.[0]).toEqual({
      reason: "FieldManagerConflict",
      message: 'conflict with "kubectl-create" using apps/v1',
      field: ".spec.replicas",
    });
  });

  it("does not conflict on unchanged values", () => {
    const { object } = apply(created(), deployment({ replicas: 1 }));
    expect(entry(object, "kubectl")?.operation).toBe("Apply");
    expect(entry(object, "kubectl-create")?.operation).toBe("Update");
  });

  it("kubectl may take over fields still at their client-side last-applied values", () => {
    const lastApplied = JSON.stringify(deployment({ replicas: 1 }));
    const csa = { ...deployment({ replicas: 1 }), metadata: { name: "web", namespace: "default", labels: { app: "web" }, annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } } };
    const live = updateManagedFields(undefined, csa as KubeObject, { manager: "kubectl-client-side-apply", apiVersion: "apps/v1", schema: deploymentSchema, now: T0 }).object;
    const { object } = apply(live, deployment({ replicas: 3 }));
    expect(object.spec.replicas).toBe(3);
    // The annotation now records the server-side applied configuration.
    expect(JSON.parse(object.metadata!.annotations![LAST_APPLIED_ANNOTATION])).toEqual(deployment({ replicas: 3 }));
    // Another manager gets no such allowance.
    expect(errorOf(() => apply(live, deployment({ replicas: 3 }), { manager: "ci" })).code).toBe(409);
  });

  it("fields of an object without managedFields go to before-first-apply", () => {
    const legacy = { ...deployment({ replicas: 1 }), metadata: { name: "web", uid: "u1", labels: { app: "web", old: "x" } } } as KubeObject;
    const { object } = apply(legacy, deployment({ replicas: 1, labels: { app: "web" } }));
    expect(entry(object, "before-first-apply")?.operation).toBe("Update");
    // The label kubectl never applied stays; it belongs to before-first-apply.
    expect(object.metadata?.labels).toEqual({ app: "web", old: "x" });
  });
});

describe("applyPatch: list and map semantics", () => {
  const cfg = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", ...meta },
    spec,
  });

  it("replaces atomic lists (tolerations) wholesale and merges sets (finalizers) by value", () => {
    const tpl = (tolerations: unknown[]) => ({ template: { spec: { containers: [{ name: "web", image: "x" }], tolerations } } });
    const first = apply(undefined, cfg(tpl([{ key: "a" }, { key: "b" }]), { finalizers: ["one"] })).object;
    const second = apply(first, cfg({}, { finalizers: ["two"] }), { manager: "ctrl" }).object;
    expect(second.metadata?.finalizers).toEqual(["one", "two"]);
    const third = apply(second, cfg(tpl([{ key: "c" }]), { finalizers: ["one"] })).object;
    expect((third.spec.template.spec as Record<string, unknown>).tolerations).toEqual([{ key: "c" }]);
    // kubectl drops its finalizer; the controller's stays.
    const fourth = apply(third, cfg(tpl([{ key: "c" }]))).object;
    expect(fourth.metadata?.finalizers).toEqual(["two"]);
  });

  it("matches list-map items using key defaults (ports without protocol)", () => {
    const withPort = (extra: Record<string, unknown>) =>
      cfg({ template: { spec: { containers: [{ name: "web", image: "x", ports: [{ containerPort: 80, ...extra }] }] } } });
    const first = apply(undefined, withPort({})).object;
    // The server defaulted the protocol.
    (first.spec.template.spec.containers[0].ports as Array<Record<string, unknown>>)[0].protocol = "TCP";
    const { object } = apply(first, withPort({ name: "http" }));
    expect(object.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: "TCP", name: "http" }]);
  });

  it("does not record or conflict on reset fields (status)", () => {
    const { object } = apply(undefined, { ...deployment(), status: { replicas: 7 } });
    expect(entry(object, "kubectl")?.fieldsV1).not.toHaveProperty("f:status");
  });

  it("drops nulls from the resulting object but owns the field", () => {
    const { object } = apply(undefined, { ...deployment(), spec: { ...(deployment().spec as object), replicas: null } });
    expect(object.spec).not.toHaveProperty("replicas");
    expect(entry(object, "kubectl")?.fieldsV1["f:spec"]).toHaveProperty("f:replicas");
  });

  it("treats unknown (schemaless) positions as granular maps and atomic lists", () => {
    const crd = (spec: unknown) => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec });
    const o = { schema: undefined, apiVersion: "example.com/v1", kind: "Widget" };
    const first = apply(undefined, crd({ size: 1, tags: ["a", "b"] }), o).object;
    expect(entry(first, "kubectl")?.fieldsV1).toEqual({ "f:spec": { ".": {}, "f:size": {}, "f:tags": {} } });
    const second = apply(first, crd({ color: "red" }), { ...o, manager: "other" }).object;
    expect(second.spec).toEqual({ size: 1, tags: ["a", "b"], color: "red" });
    expect(errorOf(() => apply(second, crd({ tags: ["c"] }), { ...o, manager: "other" })).message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.tags',
    );
  });
});

describe("applyPatch: request validation", () => {
  it.each([
    [{ ...deployment(), apiVersion: "apps/v1beta1" }, "invalid object type: apps/v1beta1, Kind=Deployment"],
    [{ ...deployment(), kind: "StatefulSet" }, "invalid object type: apps/v1, Kind=StatefulSet"],
    [{ ...deployment(), metadata: { name: "web", managedFields: [] } }, "metadata.managedFields must be nil"],
  ])("refuses %#", (applied, message) => {
    const err = errorOf(() => apply(undefined, applied));
    expect([err.code, err.message]).toEqual([400, message]);
  });

  it("names the version mismatch when the kind is not checked", () => {
    const err = errorOf(() => apply(undefined, { ...deployment(), apiVersion: "apps/v2" }, { kind: undefined }));
    expect(err.message).toBe("Incorrect version specified in apply patch. Specified patch version: apps/v2, expected: apps/v1");
  });

  it("refuses duplicate list-map keys in the configuration like Kubernetes (500)", () => {
    const dup = deployment();
    (dup.spec as Dep["spec"]).template.spec.containers.push({ name: "web", image: "other" });
    const err = errorOf(() => apply(undefined, dup));
    expect(err.code).toBe(500);
    expect(err.message).toBe(
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="web"]',
    );
  });

  it("does not mutate the live object or the configuration", () => {
    const live = apply(undefined, deployment({ replicas: 2 })).object;
    const liveCopy = structuredClone(live);
    const cfg = deployment({ replicas: 3 });
    const cfgCopy = structuredClone(cfg);
    apply(live, cfg);
    expect(live).toEqual(liveCopy);
    expect(cfg).toEqual(cfgCopy);
  });
});
