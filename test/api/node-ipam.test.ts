// Node IPAM in the control plane (pod CIDRs per node, stable across restarts) and the kubelet's
// NodeRoutesWatcher following it, against an in-process control plane; the pod network itself is
// a recorder here (test/e2e/network.test.ts runs the real one).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Node } from "kubernetes-types/core/v1.js";
import { afterEach, describe, expect, test } from "vitest";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/index.js";
import { RestClient } from "../../src/client/rest.js";
import { NODES } from "../../src/kubelet/kubelet.js";
import { NodeRoutesWatcher, type NodeRouteInfo } from "../../src/kubelet/network/index.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dataDir: string, podSubnet?: string): Promise<{ cp: ControlPlane; client: RestClient }> {
  const cp = await startControlPlane({ dataDir, port: 0, store: "sqlite", nodeLifecycle: false, ...(podSubnet ? { podSubnet } : {}) });
  const client = await RestClient.fromKubeconfig(cp.kubeconfigPath);
  return { cp, client };
}

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-ipam-"));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function addNode(client: RestClient, name: string, ip?: string): Promise<void> {
  await client.create<Node>(NODES, { apiVersion: "v1", kind: "Node", metadata: { name } });
  // A patch: the IPAM controller may be writing the node at the same time.
  if (ip) await client.patchStatus(NODES, name, { status: { addresses: [{ type: "InternalIP", address: ip }] } }, { type: "merge" });
}

async function cidrs(client: RestClient): Promise<Record<string, string[] | undefined>> {
  const list = await client.list<Node>(NODES);
  return Object.fromEntries(list.items.map((n) => [n.metadata!.name!, n.spec?.podCIDR ? [n.spec.podCIDR, ...(n.spec.podCIDRs ?? [])] : undefined]));
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const allAssigned = (n: number) => (c: Record<string, string[] | undefined>) => Object.keys(c).length === n && Object.values(c).every((v) => v);

describe("node IPAM", () => {
  test("assigns /24s in order of arrival, keeps them over a restart, and reuses a deleted node's range", async () => {
    const dir = tmpDir();
    let { cp, client } = await start(dir);
    for (const n of ["a", "b", "c"]) {
      await addNode(client, n);
      await until(() => cidrs(client), allAssigned(1 + ["a", "b", "c"].indexOf(n)));
    }
    expect(await cidrs(client)).toEqual({
      a: ["10.244.0.0/24", "10.244.0.0/24"],
      b: ["10.244.1.0/24", "10.244.1.0/24"],
      c: ["10.244.2.0/24", "10.244.2.0/24"],
    });
    // The assignment is not changed later (validation forbids it, and the controller leaves it).
    await client.delete(NODES, "b");
    await client.close();
    await cp.stop();

    ({ cp, client } = await start(dir));
    cleanups.push(async () => {
      await client.close();
      await cp.stop();
    });
    // A restarted control plane learns what is held from the store: "d" takes b's free range,
    // "e" the next after c's, never a held one.
    await addNode(client, "d");
    await until(() => cidrs(client), allAssigned(3));
    await addNode(client, "e");
    const got = await until(() => cidrs(client), allAssigned(4));
    expect(got).toEqual({
      a: ["10.244.0.0/24", "10.244.0.0/24"],
      c: ["10.244.2.0/24", "10.244.2.0/24"],
      d: ["10.244.1.0/24", "10.244.1.0/24"],
      e: ["10.244.3.0/24", "10.244.3.0/24"],
    });
  });

  test("takes ranges from the configured pod subnet, many nodes at once without duplicates", async () => {
    const { cp, client } = await start(tmpDir(), "10.100.0.0/20");
    cleanups.push(async () => {
      await client.close();
      await cp.stop();
    });
    const names = Array.from({ length: 16 }, (_, i) => `n${i}`);
    await Promise.all(names.map((n) => addNode(client, n)));
    const got = await until(() => cidrs(client), allAssigned(16));
    const assigned = Object.values(got).map((v) => v![0]);
    expect(new Set(assigned).size).toBe(16);
    for (const c of assigned) expect(c).toMatch(/^10\.100\.(\d|1[0-5])\.0\/24$/);
    // The subnet is full: a 17th node waits, and gets the range a deleted node frees.
    await addNode(client, "late");
    await new Promise((r) => setTimeout(r, 300));
    expect((await cidrs(client)).late).toBeUndefined();
    await client.delete(NODES, "n5");
    const after = await until(() => cidrs(client), (c) => !!c.late);
    expect(after.late?.[0]).toBe(got.n5![0]);
  });
});

describe("NodeRoutesWatcher", () => {
  test("brings up the bridge for the node's CIDR and follows other nodes joining, moving and leaving", async () => {
    const { cp, client } = await start(tmpDir());
    const calls: Array<{ ensure?: string; routes?: NodeRouteInfo[] }> = [];
    const network = {
      ensureNode: async (cidr: string) => void calls.push({ ensure: cidr }),
      syncRoutes: async (nodes: NodeRouteInfo[]) => void calls.push({ routes: [...nodes].sort((x, y) => x.name.localeCompare(y.name)) }),
    };
    const watcher = new NodeRoutesWatcher({ client, nodeName: "self", network, retryMs: 50 });
    cleanups.push(async () => {
      await watcher.stop();
      await client.close();
      await cp.stop();
    });
    const lastRoutes = () => [...calls].reverse().find((c) => c.routes)?.routes;
    await addNode(client, "self", "172.18.0.2");
    watcher.start();
    expect(await watcher.podCIDR()).toBe("10.244.0.0/24");
    expect(calls.filter((c) => c.ensure)).toEqual([{ ensure: "10.244.0.0/24" }]);

    await addNode(client, "other", "172.18.0.3");
    await until(async () => lastRoutes(), (r) => r?.length === 2);
    expect(lastRoutes()).toEqual([
      { name: "other", podCIDR: "10.244.1.0/24", internalIP: "172.18.0.3" },
      { name: "self", podCIDR: "10.244.0.0/24", internalIP: "172.18.0.2" },
    ]);

    // A Docker restart gave the other node a new address.
    await client.patchStatus(NODES, "other", { status: { addresses: [{ type: "InternalIP", address: "172.18.0.9" }] } }, { type: "merge" });
    await until(async () => lastRoutes(), (r) => r?.find((n) => n.name === "other")?.internalIP === "172.18.0.9");

    await client.delete(NODES, "other");
    const routes = await until(async () => lastRoutes(), (r) => r?.length === 1);
    expect(routes).toEqual([{ name: "self", podCIDR: "10.244.0.0/24", internalIP: "172.18.0.2" }]);
    // The bridge was set up once: its CIDR never changed.
    expect(calls.filter((c) => c.ensure)).toHaveLength(1);
  });

  test("applies everything again periodically, repairing what others changed", async () => {
    const { cp, client } = await start(tmpDir());
    let ensures = 0;
    const network = { ensureNode: async () => void ensures++, syncRoutes: async () => {} };
    const watcher = new NodeRoutesWatcher({ client, nodeName: "self", network, resyncMs: 100 });
    cleanups.push(async () => {
      await watcher.stop();
      await client.close();
      await cp.stop();
    });
    await addNode(client, "self", "172.18.0.2");
    watcher.start();
    await watcher.podCIDR();
    expect(await until(async () => ensures, (n) => n >= 3)).toBeGreaterThanOrEqual(3);
  });
});
