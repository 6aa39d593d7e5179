// @kubernetes/client-node 1.x against the in-process control plane: typed calls and an informer
// (list + watch) that sees adds, updates and deletes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADD, CoreV1Api, DELETE, KubeConfig, PatchStrategy, UPDATE, makeInformer, setHeaderOptions, type V1ConfigMap } from "@kubernetes/client-node";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

let c: TestCluster;
let kc: KubeConfig;

beforeAll(async () => {
  c = await startTestCluster();
  kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
});
afterAll(async () => {
  await c?.stop();
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("@kubernetes/client-node", () => {
  it("creates, reads and lists with the typed API", async () => {
    const api = kc.makeApiClient(CoreV1Api);
    await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "typed" }, data: { a: "1" } } });
    const got = await api.readNamespacedConfigMap({ namespace: "default", name: "typed" });
    expect(got.data).toEqual({ a: "1" });
    const list = await api.listNamespacedConfigMap({ namespace: "default" });
    expect(list.items.map((i) => i.metadata?.name)).toContain("typed");
    const ns = await api.listNamespace();
    expect(ns.items.map((i) => i.metadata?.name)).toEqual(expect.arrayContaining(["default", "kube-system"]));
  });

  it("an informer sees adds, updates and deletes", async () => {
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/default/configmaps", () => api.listNamespacedConfigMap({ namespace: "default" }));
    const seen: string[] = [];
    informer.on(ADD, (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on(UPDATE, (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v ?? ""}`));
    informer.on(DELETE, (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await until(() => seen.includes("add typed"));
      await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "watched" }, data: { v: "1" } } });
      await until(() => seen.includes("add watched"));
      await api.patchNamespacedConfigMap({ namespace: "default", name: "watched", body: { data: { v: "2" } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
      await until(() => seen.includes("update watched 2"));
      await api.deleteNamespacedConfigMap({ namespace: "default", name: "watched" });
      await until(() => seen.includes("delete watched"));
      expect(informer.list().map((o) => o.metadata?.name)).not.toContain("watched");
    } finally {
      await informer.stop();
    }
  });
});
