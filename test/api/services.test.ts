// Service cluster IPs and node ports with the real kubectl against an in-process control plane:
// allocation, Kubernetes' conflict errors, freeing on delete, headless and ExternalName Services,
// and the `default/kubernetes` Service with its Endpoints and EndpointSlice.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultAdvertiseAddress } from "../../src/controlplane/services/kubernetes-service.js";
import { startControlPlane } from "../../src/controlplane/index.js";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { KubeObject } from "../../src/api/registry/types.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

let c: TestCluster;
const NS = "svc-test";
const SVC = RESOURCES.find((r) => r.kind === "Service" && r.group === "")!;
const ADMIN = { user: "admin", groups: ["system:masters"], userAgent: "test" };

beforeAll(async () => {
  c = await startTestCluster();
  await c.k("create", "namespace", NS);
});
afterAll(async () => {
  await c?.stop();
});

const getSvc = async (name: string, ns = NS) => JSON.parse(await c.k("get", "svc", name, "-n", ns, "-o", "json"));

async function fails(...args: string[]): Promise<string> {
  const r = await c.kubectl(args);
  expect(r.code).not.toBe(0);
  return r.stderr;
}

describe("the kubernetes Service", () => {
  it("is 10.96.0.1:443 to the API server's port on its advertise address", async () => {
    const svc = await getSvc("kubernetes", "default");
    expect(svc.metadata.labels).toEqual({ component: "apiserver", provider: "kubernetes" });
    expect(svc.spec).toMatchObject({
      type: "ClusterIP",
      clusterIP: "10.96.0.1",
      clusterIPs: ["10.96.0.1"],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: c.cp.port }],
    });
    const ep = JSON.parse(await c.k("get", "endpoints", "kubernetes", "-n", "default", "-o", "json"));
    expect(ep.subsets).toEqual([{ addresses: [{ ip: defaultAdvertiseAddress() }], ports: [{ name: "https", port: c.cp.port, protocol: "TCP" }] }]);
    const slice = JSON.parse(await c.k("get", "endpointslices", "kubernetes", "-n", "default", "-o", "json"));
    expect(slice.metadata.labels["kubernetes.io/service-name"]).toBe("kubernetes");
    expect(slice.addressType).toBe("IPv4");
    expect(slice.endpoints).toEqual([{ addresses: [defaultAdvertiseAddress()], conditions: { ready: true } }]);
    expect(slice.ports).toEqual([{ name: "https", port: c.cp.port, protocol: "TCP" }]);
    expect(await c.k("get", "svc", "kubernetes", "-n", "default")).toMatch(/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
  });

  it("takes its address and subnet from the options", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-svc-"));
    const cp = await startControlPlane({ dataDir, port: 0, store: "memory", serviceSubnet: "10.100.0.0/20", advertiseAddress: "192.0.2.7", scheduler: false, nodeLifecycle: false });
    try {
      const svc = await cp.registry.get(SVC, "default", "kubernetes");
      expect((svc.spec as { clusterIP: string }).clusterIP).toBe("10.100.0.1");
      const epDef = RESOURCES.find((r) => r.kind === "Endpoints")!;
      const ep = await cp.registry.get(epDef, "default", "kubernetes");
      expect(JSON.stringify(ep.subsets)).toContain('"ip":"192.0.2.7"');
      const other: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec: { ports: [{ port: 80 }], clusterIP: "10.96.0.20" } };
      await expect(cp.registry.create(SVC, "default", other, ADMIN)).rejects.toThrow(
        "the provided IP (10.96.0.20) is not in the valid range. The range of valid IPs is 10.100.0.0/20",
      );
    } finally {
      await cp.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("after a restart", () => {
  it("learns what stored Services hold", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-svc-"));
    const start = () => startControlPlane({ dataDir, port: 0, store: "sqlite", scheduler: false, nodeLifecycle: false });
    const np = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { type: "NodePort", clusterIP: "10.96.0.77", ports: [{ port: 80, nodePort: 31234 }] } });
    let cp = await start();
    try {
      await cp.registry.create(SVC, "default", np("a"), ADMIN);
      await cp.stop();
      cp = await start();
      await expect(cp.registry.create(SVC, "default", np("b"), ADMIN)).rejects.toThrow("provided IP is already allocated");
      const b = np("b");
      delete (b.spec as { clusterIP?: string }).clusterIP;
      await expect(cp.registry.create(SVC, "default", b, ADMIN)).rejects.toThrow("spec.ports[0].nodePort: Invalid value: 31234: provided port is already allocated");
      expect((await cp.registry.get(SVC, "default", "kubernetes")).spec).toMatchObject({ clusterIP: "10.96.0.1" });
    } finally {
      await cp.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("cluster IPs", () => {
  it("allocates one from the service subnet, shown by kubectl get svc", async () => {
    await c.k("create", "service", "clusterip", "web", "-n", NS, "--tcp=80:8080", "--tcp=443:8443");
    const svc = await getSvc("web");
    expect(svc.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(["10.96.0.1", "10.96.0.10"]).not.toContain(svc.spec.clusterIP);
    expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    expect(svc.spec.ipFamilies).toEqual(["IPv4"]);
    expect(svc.spec.ipFamilyPolicy).toBe("SingleStack");
    expect(svc.spec.ports.map((p: { name: string; port: number; targetPort: number }) => [p.name, p.port, p.targetPort])).toEqual([
      ["80-8080", 80, 8080],
      ["443-8443", 443, 8443],
    ]);
    const table = await c.k("get", "svc", "web", "-n", NS);
    expect(table).toMatch(new RegExp(`web\\s+ClusterIP\\s+${svc.spec.clusterIP.replace(/\./g, "\\.")}\\s+<none>\\s+80/TCP,443/TCP`));
  });

  it("refuses a taken IP and one outside the range with Kubernetes' errors", async () => {
    await c.k("create", "service", "clusterip", "dns", "-n", NS, "--clusterip=10.96.0.10", "--tcp=53:53");
    expect((await getSvc("dns")).spec.clusterIP).toBe("10.96.0.10");
    expect(await fails("create", "service", "clusterip", "dns2", "-n", NS, "--clusterip=10.96.0.10", "--tcp=53:53")).toContain(
      'Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    expect(await fails("create", "service", "clusterip", "far", "-n", NS, "--clusterip=10.0.0.5", "--tcp=80")).toContain(
      "spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16",
    );
    // Deleting frees it.
    await c.k("delete", "svc", "dns", "-n", NS);
    await c.k("create", "service", "clusterip", "dns2", "-n", NS, "--clusterip=10.96.0.10", "--tcp=53:53");
    expect((await getSvc("dns2")).spec.clusterIP).toBe("10.96.0.10");
  });

  it("keeps the IP across updates and refuses to change it", async () => {
    const ip = (await getSvc("web")).spec.clusterIP;
    await c.k("label", "svc", "web", "-n", NS, "tier=front");
    await c.k("patch", "svc", "web", "-n", NS, "-p", '{"spec":{"ports":[{"name":"80-8080","port":80,"targetPort":9090}]}}');
    expect((await getSvc("web")).spec.clusterIP).toBe(ip);
    expect(await fails("patch", "svc", "web", "-n", NS, "-p", '{"spec":{"clusterIP":"10.96.200.200"}}')).toContain(
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.200.200"}: may not change once set',
    );
    // A dry run of a create takes nothing.
    await c.k("create", "service", "clusterip", "dry", "-n", NS, "--clusterip=10.96.0.50", "--tcp=80", "--dry-run=server");
    await c.k("create", "service", "clusterip", "dry", "-n", NS, "--clusterip=10.96.0.50", "--tcp=80");
  });

  it("gives concurrent creates different IPs", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const made = await Promise.all(
      names.map((name) =>
        c.cp.registry.create(SVC, NS, { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } }, ADMIN),
      ),
    );
    const ips = made.map((s) => (s.spec as { clusterIP: string }).clusterIP);
    expect(new Set(ips).size).toBe(names.length);
    await Promise.all(names.map((name) => c.cp.registry.delete(SVC, NS, name, ADMIN)));
  });

  it("headless Services get no IP", async () => {
    await c.k("create", "service", "clusterip", "hl", "-n", NS, "--clusterip=None");
    const svc = await getSvc("hl");
    expect(svc.spec).toMatchObject({ clusterIP: "None", clusterIPs: ["None"], ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" });
    expect(await c.k("get", "svc", "hl", "-n", NS)).toMatch(/hl\s+ClusterIP\s+None\s+<none>/);
  });

  it("ExternalName Services get no IP and no families", async () => {
    await c.k("create", "service", "externalname", "ext", "-n", NS, "--external-name=example.com");
    const svc = await getSvc("ext");
    expect(svc.spec.clusterIP).toBeUndefined();
    expect(svc.spec.clusterIPs).toBeUndefined();
    expect(svc.spec.ipFamilies).toBeUndefined();
    expect(await c.k("get", "svc", "ext", "-n", NS)).toMatch(/ext\s+ExternalName\s+<none>\s+example\.com/);
  });
});

describe("node ports", () => {
  it("allocates, refuses a taken or out-of-range port, frees on delete", async () => {
    await c.k("create", "service", "nodeport", "np", "-n", NS, "--tcp=80:8080", "--node-port=30080");
    const svc = await getSvc("np");
    expect(svc.spec.ports[0].nodePort).toBe(30080);
    expect(svc.spec.externalTrafficPolicy).toBe("Cluster");
    expect(await c.k("get", "svc", "np", "-n", NS)).toMatch(/np\s+NodePort\s+10\.96\.\S+\s+<none>\s+80:30080\/TCP/);
    expect(await fails("create", "service", "nodeport", "np2", "-n", NS, "--tcp=80:8080", "--node-port=30080")).toContain(
      'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    expect(await fails("create", "service", "nodeport", "np3", "-n", NS, "--tcp=80:8080", "--node-port=8080")).toContain(
      "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767",
    );
    await c.k("delete", "svc", "np", "-n", NS);
    await c.k("create", "service", "nodeport", "np2", "-n", NS, "--tcp=80:8080", "--node-port=30080");
    expect((await getSvc("np2")).spec.ports[0].nodePort).toBe(30080);
  });

  it("kubectl expose gets a node port in range; LoadBalancer is treated as NodePort", async () => {
    await c.k("create", "deployment", "app", "-n", NS, "--image=example.com/app:1", "--port=8080");
    await c.k("expose", "deployment", "app", "-n", NS, "--type=NodePort", "--port=80", "--target-port=8080");
    const svc = await getSvc("app");
    expect(svc.spec.selector).toEqual({ app: "app" });
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    await c.k("expose", "deployment", "app", "-n", NS, "--name=app-lb", "--type=LoadBalancer", "--port=80", "--target-port=8080");
    const lb = await getSvc("app-lb");
    expect(lb.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.spec.clusterIP).toMatch(/^10\.96\./);
    expect(lb.status?.loadBalancer?.ingress).toBeUndefined();
  });

  it("switching to ClusterIP frees the node ports", async () => {
    await c.k("patch", "svc", "np2", "-n", NS, "-p", '{"spec":{"type":"ClusterIP"}}');
    const svc = await getSvc("np2");
    expect(svc.spec.ports[0].nodePort).toBeUndefined();
    await c.k("create", "service", "nodeport", "np4", "-n", NS, "--tcp=80:8080", "--node-port=30080");
  });
});
