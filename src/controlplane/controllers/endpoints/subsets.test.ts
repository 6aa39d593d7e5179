import type { Endpoints, Pod, Service } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import { desiredSubsets, endpointsToWrite } from "./subsets.js";

function svc(spec: Partial<NonNullable<Service["spec"]>> = {}): Service {
  return {
    metadata: { name: "web", namespace: "default", uid: "svc-uid", labels: { app: "web" } },
    spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }], ...spec },
  };
}

function pod(n: number, o: { ready?: boolean; deleting?: boolean; ip?: string; ports?: Array<{ name: string; containerPort: number }>; hostname?: string; subdomain?: string } = {}): Pod {
  return {
    metadata: { name: `p${n}`, namespace: "default", uid: `u${n}`, labels: { app: "web" }, ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "n1", hostname: o.hostname, subdomain: o.subdomain, containers: [{ name: "c", image: "x", ports: o.ports }] },
    status: { phase: "Running", ...(o.ip === "" ? {} : { podIP: o.ip ?? `10.244.0.${n}` }), conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
  };
}

const addr = (n: number) => ({ ip: `10.244.0.${n}`, nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: `p${n}`, uid: `u${n}` } });

describe("desiredSubsets", () => {
  it("ready pods in addresses, unready ones in notReadyAddresses, sorted by IP; no IP and terminating pods left out", () => {
    const subsets = desiredSubsets(svc(), [pod(3), pod(1), pod(2, { ready: false }), pod(4, { ip: "" }), pod(5, { deleting: true })]);
    expect(subsets).toEqual([{ addresses: [addr(1), addr(3)], notReadyAddresses: [addr(2)], ports: [{ port: 8080, protocol: "TCP" }] }]);
  });

  it("publishNotReadyAddresses: every pod (terminating too) is in addresses", () => {
    const subsets = desiredSubsets(svc({ publishNotReadyAddresses: true }), [pod(1, { ready: false }), pod(2, { deleting: true })]);
    expect(subsets).toEqual([{ addresses: [addr(1), addr(2)], ports: [{ port: 8080, protocol: "TCP" }] }]);
  });

  it("pods resolving a named targetPort differently get separate subsets; a pod lacking the name gets none", () => {
    const s = svc({ ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] });
    const subsets = desiredSubsets(s, [
      pod(1, { ports: [{ name: "web", containerPort: 8080 }] }),
      pod(2, { ports: [{ name: "web", containerPort: 9090 }] }),
      pod(3, { ports: [{ name: "web", containerPort: 8080 }] }),
      pod(4),
    ]);
    expect(subsets).toEqual([
      { addresses: [addr(1), addr(3)], ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
      { addresses: [addr(2)], ports: [{ name: "http", port: 9090, protocol: "TCP" }] },
    ]);
  });

  it("multi-port: each subset is the set of addresses offering the same ports (repacking)", () => {
    const s = svc({
      ports: [
        { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
        { name: "metrics", port: 9100, targetPort: "metrics", protocol: "TCP" },
      ],
    });
    const subsets = desiredSubsets(s, [pod(1, { ports: [{ name: "metrics", containerPort: 9100 }] }), pod(2), pod(3, { ready: false, ports: [{ name: "metrics", containerPort: 9100 }] })]);
    // http: p1, p2 ready, p3 not; metrics: p1 ready, p3 not (p2 has no such port).
    expect(subsets).toEqual([
      { addresses: [addr(1), addr(2)], notReadyAddresses: [addr(3)], ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
      { addresses: [addr(1)], notReadyAddresses: [addr(3)], ports: [{ name: "metrics", port: 9100, protocol: "TCP" }] },
    ]);
    // Two pods offering both ports: one subset with both ports.
    const both = desiredSubsets(s, [pod(1, { ports: [{ name: "metrics", containerPort: 9100 }] }), pod(2, { ports: [{ name: "metrics", containerPort: 9100 }] })]);
    expect(both).toEqual([{ addresses: [addr(1), addr(2)], ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "metrics", port: 9100, protocol: "TCP" }] }]);
  });

  it("a headless Service without ports lists its pods; hostname when the subdomain is the Service", () => {
    const subsets = desiredSubsets(svc({ clusterIP: "None", ports: [] }), [pod(1, { hostname: "a", subdomain: "web" }), pod(2, { hostname: "b" })]);
    expect(subsets).toEqual([{ addresses: [{ ...addr(1), hostname: "a" }, addr(2)] }]);
    expect(desiredSubsets(svc({ ports: [] }), [pod(1)])).toEqual([]);
  });
});

describe("endpointsToWrite", () => {
  it("a new Endpoints object carries the Service's labels, the subsets and the trigger time", () => {
    const ep = endpointsToWrite(svc(), [pod(1)], undefined, "2026-01-01T00:00:00.000Z")!;
    expect(ep.metadata).toEqual({ name: "web", namespace: "default", labels: { app: "web" }, annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00.000Z" } });
    expect(ep.subsets).toHaveLength(1);
  });

  it("no pods: an Endpoints object without subsets", () => {
    expect(endpointsToWrite(svc(), [], undefined)).toEqual({ apiVersion: "v1", kind: "Endpoints", metadata: { name: "web", namespace: "default", labels: { app: "web" } } });
  });

  it("writes nothing when subsets and labels are current (whatever the trigger time or key order)", () => {
    const current = endpointsToWrite(svc(), [pod(1), pod(2, { ready: false })], undefined, "t1")!;
    const reordered: Endpoints = JSON.parse(JSON.stringify({ metadata: { ...current.metadata, resourceVersion: "5" }, subsets: current.subsets!.map((s) => ({ ports: s.ports, notReadyAddresses: s.notReadyAddresses, addresses: s.addresses })) }));
    expect(endpointsToWrite(svc(), [pod(2, { ready: false }), pod(1)], reordered, "t2")).toBeUndefined();
  });

  it("a pod going unready moves to notReadyAddresses in an update that keeps metadata and sets the new trigger time", () => {
    const current = { ...endpointsToWrite(svc(), [pod(1), pod(2)], undefined, "t1")!, metadata: { name: "web", namespace: "default", uid: "e", resourceVersion: "5", labels: { app: "web" }, annotations: { other: "x", "endpoints.kubernetes.io/last-change-trigger-time": "t1" } } };
    const next = endpointsToWrite(svc(), [pod(1), pod(2, { ready: false })], current, "t2")!;
    expect(next.subsets).toEqual([{ addresses: [addr(1)], notReadyAddresses: [addr(2)], ports: [{ port: 8080, protocol: "TCP" }] }]);
    expect(next.metadata).toMatchObject({ uid: "e", resourceVersion: "5", annotations: { other: "x", "endpoints.kubernetes.io/last-change-trigger-time": "t2" } });
  });

  it("changed Service labels are written", () => {
    const current = endpointsToWrite(svc(), [pod(1)], undefined)!;
    const relabelled = svc({ clusterIP: "None" });
    expect(endpointsToWrite(relabelled, [pod(1)], current)!.metadata!.labels).toEqual({ app: "web", "service.kubernetes.io/headless": "" });
  });
});
