// The control plane's cluster DNS (the `dns` option): the server answers from the API's objects,
// and the kube-system/kube-dns Service (10.96.0.10) with its Endpoints and EndpointSlice points at
// the advertise address and the server's port, and comes back when deleted.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dnsPacket from "dns-packet";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { KubeObject } from "../../src/api/registry/types.js";
import type { Caller } from "../../src/controlplane/apiserver/rest.js";
import { tcpExchange, udpExchange } from "../../src/controlplane/dns/forward.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/index.js";

const CALLER: Caller = { user: "dns-test", groups: ["system:masters"], userAgent: "dns-test" };
const def = (group: string, kind: string) => RESOURCES.find((r) => r.group === group && r.kind === kind)!;
const SVC = def("", "Service");
const EP = def("", "Endpoints");
const SLICE = def("discovery.k8s.io", "EndpointSlice");

let cp: ControlPlane;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-kubedns-"));
  cp = await startControlPlane({ dataDir, port: 0, store: "memory", advertiseAddress: "192.0.2.7", dns: { host: "127.0.0.1", port: 0, upstreams: [] } });
});
afterAll(async () => {
  await cp?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const query = (name: string, type: dnsPacket.RecordType): dnsPacket.Packet => ({
  type: "query",
  id: Math.floor(Math.random() * 65535),
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type, name }],
});

const ips = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).map((r) => (r as { data?: unknown }).data);

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("kube-dns", () => {
  it("keeps kube-system/kube-dns at 10.96.0.10 with endpoints at the advertise address", async () => {
    expect(cp.dns?.port).toBeGreaterThan(0);
    const svc = (await cp.registry.tryGet(SVC, "kube-system", "kube-dns")) as KubeObject & { spec: Record<string, unknown> };
    expect(svc.metadata?.labels?.["k8s-app"]).toBe("kube-dns");
    expect(svc.spec.clusterIP).toBe("10.96.0.10");
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.spec.ports).toEqual([
      { name: "dns", port: 53, protocol: "UDP", targetPort: cp.dns!.port },
      { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: cp.dns!.port },
    ]);
    const slice = (await cp.registry.tryGet(SLICE, "kube-system", "kube-dns")) as KubeObject & { endpoints: unknown[]; ports: unknown[] };
    expect(slice.metadata?.labels?.["kubernetes.io/service-name"]).toBe("kube-dns");
    expect(slice.endpoints).toEqual([{ addresses: ["192.0.2.7"], conditions: { ready: true, serving: true, terminating: false } }]);
    const ep = (await cp.registry.tryGet(EP, "kube-system", "kube-dns")) as KubeObject & { subsets: Array<{ addresses: unknown[] }> };
    expect(ep.subsets[0]!.addresses).toEqual([{ ip: "192.0.2.7" }]);
  });

  it("answers service names over UDP and TCP from the API's objects", async () => {
    const up = { host: "127.0.0.1", port: cp.dns!.port };
    const a = await udpExchange(up, query("kube-dns.kube-system.svc.cluster.local", "A"), 3000);
    expect(ips(a)).toEqual(["10.96.0.10"]);
    const k = await tcpExchange(up, query("kubernetes.default.svc.cluster.local", "A"), 3000);
    expect(ips(k)).toEqual(["10.96.0.1"]);
    await cp.registry.create(SVC, "default", { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { ports: [{ port: 80 }], selector: { app: "web" } } }, CALLER);
    const web = (await cp.registry.tryGet(SVC, "default", "web")) as KubeObject & { spec: { clusterIP: string } };
    const got = await until(async () => {
      const r = await udpExchange(up, query("web.default.svc.cluster.local", "A"), 3000);
      return r.answers?.length ? ips(r) : undefined;
    });
    expect(got).toEqual([web.spec.clusterIP]);
  });
});
