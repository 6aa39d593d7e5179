import type { Pod, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { describe, expect, it } from "vitest";
import { findPort, managedSelector } from "./pods.js";
import { MANAGED_BY, desiredGroups, planSlices, sliceLabels, ownerRefOf } from "./slices.js";

function svc(spec: Partial<NonNullable<Service["spec"]>> = {}, name = "web"): Service {
  return {
    metadata: { name, namespace: "default", uid: "svc-uid", labels: { app: "web" } },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...spec },
  };
}

interface PodOpts {
  ip?: string;
  ready?: boolean;
  deleting?: boolean;
  phase?: string;
  node?: string;
  ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}`, labels: { app: "web" }, ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: o.node ?? "n1", hostname: o.hostname, subdomain: o.subdomain, containers: [{ name: "c", image: "x", ports: o.ports }] },
    status: {
      phase: o.phase ?? "Running",
      ...(o.ip === "" ? {} : { podIP: o.ip ?? `10.244.0.${name.replace(/\D/g, "") || 1}` }),
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
    },
  };
}

const noZone = () => undefined;

describe("managedSelector", () => {
  it.each([
    ["a ClusterIP Service with a selector", svc(), true],
    ["a Service without a selector", svc({ selector: undefined }), false],
    ["an empty selector", svc({ selector: {} }), false],
    ["ExternalName", svc({ type: "ExternalName", externalName: "example.com" }), false],
  ])("%s → %s", (_n, s, managed) => {
    expect(!!managedSelector(s)).toBe(managed);
  });
});

describe("findPort", () => {
  const p = pod("p1", { ports: [{ name: "http", containerPort: 9376 }, { name: "dns", containerPort: 53, protocol: "UDP" }] });
  it.each([
    ["a number", { port: 80, targetPort: 8080 }, 8080],
    ["unset: the service port", { port: 80 }, 80],
    ["a name", { port: 80, targetPort: "http" }, 9376],
    ["a name with another protocol", { port: 53, targetPort: "dns", protocol: "TCP" }, undefined],
    ["a name with its protocol", { port: 53, targetPort: "dns", protocol: "UDP" }, 53],
    ["a missing name", { port: 80, targetPort: "nope" }, undefined],
  ])("%s", (_n, sp, want) => {
    expect(findPort(p, sp)).toBe(want);
  });
});

describe("desiredGroups: endpoints from pods", () => {
  it("ready, not ready, terminating, no IP and terminal pods", () => {
    const pods = [
      pod("p1"),
      pod("p2", { ready: false }),
      pod("p3", { deleting: true }),
      pod("p4", { deleting: true, ready: false }),
      pod("p5", { ip: "" }),
      pod("p6", { phase: "Succeeded" }),
    ];
    const groups = [...desiredGroups(svc(), pods, noZone).values()];
    expect(groups).toHaveLength(1);
    expect(groups[0].ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    const conds = Object.fromEntries(groups[0].endpoints.map((e) => [e.targetRef!.name, e.conditions]));
    expect(conds).toEqual({
      p1: { ready: true, serving: true, terminating: false },
      p2: { ready: false, serving: false, terminating: false },
      p3: { ready: false, serving: true, terminating: true },
      p4: { ready: false, serving: false, terminating: true },
    });
  });

  it("publishNotReadyAddresses makes every endpoint ready", () => {
    const groups = [...desiredGroups(svc({ publishNotReadyAddresses: true }), [pod("p2", { ready: false }), pod("p3", { deleting: true })], noZone).values()];
    expect(groups[0].endpoints.map((e) => e.conditions)).toEqual([
      { ready: true, serving: false, terminating: false },
      { ready: true, serving: true, terminating: true },
    ]);
  });

  it("an endpoint has its address, node, zone, target and hostname (when the subdomain is the Service)", () => {
    const [g] = desiredGroups(svc(), [pod("p1", { hostname: "h1", subdomain: "web", node: "n2" }), pod("p2", { hostname: "h2", subdomain: "other" })], (n) => (n === "n2" ? "z-a" : undefined)).values();
    expect(g.endpoints[0]).toEqual({
      addresses: ["10.244.0.1"],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", namespace: "default", name: "p1", uid: "uid-p1" },
      nodeName: "n2",
      zone: "z-a",
      hostname: "h1",
    });
    expect(g.endpoints[1].hostname).toBeUndefined();
    expect(g.endpoints[1].zone).toBeUndefined();
  });

  it("a named targetPort splits pods by what the name resolves to", () => {
    const s = svc({ ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] });
    const pods = [
      pod("p1", { ports: [{ name: "web", containerPort: 8080 }] }),
      pod("p2", { ports: [{ name: "web", containerPort: 9090 }] }),
      pod("p3", { ports: [{ name: "web", containerPort: 8080 }] }),
      pod("p4"),
    ];
    const groups = [...desiredGroups(s, pods, noZone).values()].map((g) => [g.ports.map((p) => p.port), g.endpoints.map((e) => e.targetRef!.name)]);
    expect(groups).toEqual([
      [[8080], ["p1", "p3"]],
      [[9090], ["p2"]],
      [[], ["p4"]],
    ]);
  });
});

let seq = 0;
/** A stored slice as the API server would return it. */
function stored(s: EndpointSlice, name = `web-${++seq}`): EndpointSlice {
  return { ...structuredClone(s), metadata: { ...s.metadata, name, uid: `slice-${name}`, resourceVersion: String(100 + seq) } };
}

describe("planSlices", () => {
  const pods = (n: number, o: PodOpts = {}) => Array.from({ length: n }, (_, i) => pod(`p${i + 1}`, { ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`, ...o }));

  it("creates one slice with labels, owner and ports for a new Service", () => {
    const plan = planSlices({ service: svc(), pods: pods(3), existing: [], triggerTime: "2026-01-01T00:00:00.000Z" });
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const s = plan.create[0];
    expect(s.metadata).toMatchObject({
      generateName: "web-",
      namespace: "default",
      labels: { app: "web", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": MANAGED_BY },
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "svc-uid", controller: true, blockOwnerDeletion: true }],
      annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00.000Z" },
    });
    expect(s.addressType).toBe("IPv4");
    expect(s.endpoints.map((e) => e.addresses[0])).toEqual(["10.244.0.1", "10.244.0.2", "10.244.0.3"]);
  });

  it("packs at most 100 endpoints per slice", () => {
    const plan = planSlices({ service: svc(), pods: pods(250), existing: [] });
    expect(plan.create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
  });

  it("writes nothing when the slices are current", () => {
    const first = planSlices({ service: svc(), pods: pods(150), existing: [] });
    const existing = first.create.map((s) => stored(s));
    const again = planSlices({ service: svc(), pods: pods(150), existing, triggerTime: "later" });
    expect(again).toEqual({ create: [], update: [], delete: [] });
  });

  it("a pod turning unready updates only the slice that holds it", () => {
    const existing = planSlices({ service: svc(), pods: pods(150), existing: [] }).create.map((s) => stored(s));
    const next = pods(150);
    next[120] = pod("p121", { ip: "10.244.0.121", ready: false });
    const plan = planSlices({ service: svc(), pods: next, existing });
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].metadata!.name).toBe(existing[1].metadata!.name);
    expect(plan.update[0].metadata!.resourceVersion).toBe(existing[1].metadata!.resourceVersion);
    expect(plan.update[0].endpoints.find((e) => e.targetRef!.name === "p121")!.conditions).toEqual({ ready: false, serving: false, terminating: false });
  });

  it("new pods fill existing slices with room before a new slice is made", () => {
    const existing = planSlices({ service: svc(), pods: pods(30), existing: [] }).create.map((s) => stored(s));
    const plan = planSlices({ service: svc(), pods: pods(120), existing });
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].endpoints).toHaveLength(100);
    expect(plan.create.map((s) => s.endpoints.length)).toEqual([20]);
  });

  it("a deleted pod leaves; an emptied slice is deleted", () => {
    const existing = planSlices({ service: svc(), pods: pods(101), existing: [] }).create.map((s) => stored(s));
    const plan = planSlices({ service: svc(), pods: pods(100), existing });
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.delete.map((s) => s.metadata!.name)).toEqual([existing[1].metadata!.name]);
  });

  it("no endpoints: one placeholder slice without ports or endpoints", () => {
    const created = planSlices({ service: svc(), pods: [], existing: [] });
    expect(created.create).toHaveLength(1);
    expect(created.create[0]).toMatchObject({ ports: [], endpoints: [] });
    const existing = planSlices({ service: svc(), pods: pods(150), existing: [] }).create.map((s) => stored(s));
    const scaledToZero = planSlices({ service: svc(), pods: [], existing });
    expect(scaledToZero.create).toEqual([]);
    expect(scaledToZero.update).toHaveLength(1);
    expect(scaledToZero.update[0]).toMatchObject({ ports: [], endpoints: [] });
    expect(scaledToZero.delete).toHaveLength(1);
    const placeholder = stored(created.create[0]);
    expect(planSlices({ service: svc(), pods: [], existing: [placeholder] })).toEqual({ create: [], update: [], delete: [] });
  });

  it("a changed targetPort rewrites the slice in place (no create/delete churn)", () => {
    const existing = planSlices({ service: svc(), pods: pods(3), existing: [] }).create.map((s) => stored(s));
    const plan = planSlices({ service: svc({ ports: [{ name: "http", port: 80, targetPort: 9000, protocol: "TCP" }] }), pods: pods(3), existing });
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].ports).toEqual([{ name: "http", port: 9000, protocol: "TCP" }]);
  });

  it("slices owned by an earlier Service of the same name are deleted; changed Service labels are written", () => {
    const old = stored({ ...planSlices({ service: svc(), pods: pods(1), existing: [] }).create[0] });
    old.metadata!.ownerReferences = [{ ...ownerRefOf(svc()), uid: "old-uid" }];
    const relabelled = svc();
    relabelled.metadata!.labels = { app: "web", tier: "front" };
    const current = stored(planSlices({ service: svc(), pods: pods(1), existing: [] }).create[0]);
    const plan = planSlices({ service: relabelled, pods: pods(1), existing: [old, current] });
    expect(plan.delete.map((s) => s.metadata!.name)).toEqual([old.metadata!.name]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].metadata!.labels).toEqual(sliceLabels(relabelled));
    expect(plan.update[0].metadata!.labels!.tier).toBe("front");
  });

  it("a headless Service's slices carry the headless label", () => {
    expect(sliceLabels(svc({ clusterIP: "None" }))["service.kubernetes.io/headless"]).toBe("");
  });
});
