// startKubelet against the in-process control plane, with an injected clock and host: when the
// status is posted (changes, the 5-minute report, not otherwise), how the lease is renewed, and
// what happens when the Node is deleted under it or the API server is not there.

import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { RestClient } from "../../src/client/rest.js";
import { LEASES, NODES, startKubelet, type HostInfo, type Kubelet } from "../../src/kubelet/index.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

const HOST: HostInfo = {
  internalIP: "10.1.2.3",
  cpuMillis: 2000,
  memoryKi: 4000000,
  ephemeralStorageKi: 10000000,
  osImage: "Test OS",
  kernelVersion: "6.1.0",
  operatingSystem: "linux",
  architecture: "amd64",
  machineID: "m",
  systemUUID: "u",
  bootID: "b",
  containerRuntimeVersion: "runc://1.1.5",
};

let c: TestCluster;
let api: RestClient;
let creds: { server: string; ca: string; cert: string; key: string };

beforeAll(async () => {
  c = await startTestCluster({ store: "memory" });
  creds = { server: c.cp.url, ca: c.cp.pki.ca.cert, cert: c.cp.pki.admin.cert, key: c.cp.pki.admin.key };
  api = new RestClient(creds);
});
afterAll(async () => {
  await api?.close();
  await c?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ready = (n: Node) => n.status!.conditions!.find((x) => x.type === "Ready")!;

describe("kubelet", () => {
  let clock = new Date("2030-01-01T00:00:00Z");
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
  let k: Kubelet;
  const logs: string[] = [];

  beforeAll(async () => {
    k = startKubelet({
      nodeName: "k1",
      role: "worker",
      labels: { pool: "a" },
      api: creds,
      now: () => clock,
      hostInfo: async () => HOST,
      leaseRenewIntervalMs: 30,
      statusUpdateIntervalMs: 30,
      log: (m) => logs.push(m),
    });
    await k.ready;
  });
  afterAll(async () => {
    await k?.stop();
  });

  it("registers with the injected host's facts and the clock's time", async () => {
    const n = await api.get<Node>(NODES, "k1");
    expect(n.status!.addresses).toEqual([
      { type: "InternalIP", address: "10.1.2.3" },
      { type: "Hostname", address: "k1" },
    ]);
    expect(n.status!.capacity).toEqual({ cpu: "2", memory: "4000000Ki", "ephemeral-storage": "10000000Ki", pods: "110" });
    expect(ready(n)).toMatchObject({ status: "True", lastHeartbeatTime: "2030-01-01T00:00:00Z", lastTransitionTime: "2030-01-01T00:00:00Z" });
    expect(n.metadata!.labels!.pool).toBe("a");
  });

  it("does not post an unchanged status before the report interval, then does", async () => {
    const before = await api.get<Node>(NODES, "k1");
    advance(60_000);
    await sleep(200); // several status checks
    expect((await api.get<Node>(NODES, "k1")).metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);

    advance(5 * 60_000);
    const after = await waitFor("the 5-minute report", async () => {
      const n = await api.get<Node>(NODES, "k1");
      return n.metadata!.resourceVersion !== before.metadata!.resourceVersion ? n : undefined;
    });
    expect(ready(after).lastHeartbeatTime).toBe("2030-01-01T00:06:00Z");
    expect(ready(after).lastTransitionTime).toBe("2030-01-01T00:00:00Z"); // status did not change
  });

  it("renews the lease with the clock's time", async () => {
    advance(1500);
    const lease = await waitFor("a renewed lease", async () => {
      const l = await api.get<Lease>(LEASES, "k1", { namespace: "kube-node-lease" });
      return l.spec!.renewTime === "2030-01-01T00:06:01.500000Z" ? l : undefined;
    });
    expect(lease.spec!.holderIdentity).toBe("k1");
  });

  it("posts at once when the server's status differs (a controller marked it Unknown)", async () => {
    advance(1000);
    const n = await api.get<Node>(NODES, "k1");
    const conditions = n.status!.conditions!.map((x) => (x.type === "Ready" ? { ...x, status: "Unknown", reason: "NodeStatusUnknown" } : x));
    await api.updateStatus(NODES, { ...n, status: { ...n.status, conditions } });
    const back = await waitFor("Ready again", async () => {
      const m = await api.get<Node>(NODES, "k1");
      return ready(m).status === "True" ? m : undefined;
    });
    expect(ready(back)).toMatchObject({ reason: "KubeletReady", lastTransitionTime: "2030-01-01T00:06:02Z", lastHeartbeatTime: "2030-01-01T00:06:02Z" });
    expect(logs.some((l) => /is Ready again \(was Unknown/.test(l))).toBe(true);
  });

  it("registers again when its Node is deleted, and re-points the lease at the new Node", async () => {
    const old = await api.get<Node>(NODES, "k1");
    await api.delete(NODES, "k1");
    const fresh = await waitFor("the node back", async () => {
      const n = await api.get<Node>(NODES, "k1").catch(() => undefined);
      return n && n.metadata!.uid !== old.metadata!.uid ? n : undefined;
    });
    await waitFor("the lease owned by the new node", async () => {
      const l = await api.get<Lease>(LEASES, "k1", { namespace: "kube-node-lease" }).catch(() => undefined);
      return l?.metadata?.ownerReferences?.[0]?.uid === fresh.metadata!.uid;
    });
  });
});

describe("kubelet without an API server", () => {
  it("keeps retrying, logs the failure once, and stops cleanly; `ready` then rejects", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const logs: string[] = [];
    const k = startKubelet({
      nodeName: "lonely",
      role: "worker",
      api: { ...creds, server: `https://127.0.0.1:${port}` },
      hostInfo: async () => HOST,
      retryInitialMs: 10,
      retryMaxMs: 20,
      log: (m) => logs.push(m),
    });
    let settled = false;
    const outcome = k.ready.then(
      () => "resolved",
      (e: unknown) => `rejected: ${(e as Error).message}`,
    );
    void outcome.then(() => (settled = true));
    await sleep(300); // ~15 attempts
    expect(settled).toBe(false);
    await k.stop();
    expect(await outcome).toMatch(/^rejected: the kubelet was stopped/);
    expect(logs.filter((l) => l.includes("(retrying)"))).toHaveLength(1);
    expect(logs.find((l) => l.includes("(retrying)"))).toContain("ECONNREFUSED");
  });
});
