// The REST client (src/client/rest.ts) against the in-process control plane: every verb, the
// error mapping, watches (events, early stop, 410), and transport failures.

import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigMap, Node } from "kubernetes-types/core/v1.js";
import { ApiError, WatchExpiredError, isAlreadyExists, isConflict, isNotFound } from "../../src/client/api-error.js";
import { RestClient, TransportError, type WatchEvent } from "../../src/client/rest.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

const CM = { group: "", version: "v1", plural: "configmaps", namespaced: true };
const NODES = { group: "", version: "v1", plural: "nodes", namespaced: false };

let c: TestCluster;
let api: RestClient;

beforeAll(async () => {
  c = await startTestCluster();
  api = await RestClient.fromKubeconfig(c.kubeconfig, { userAgent: "rest-client-test" });
});
afterAll(async () => {
  await api?.close();
  await c?.stop();
});

/** A TCP server on 127.0.0.1 that accepts and never answers; close() also drops its connections. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
  data,
});

describe("RestClient", () => {
  it("reads the server version", async () => {
    expect((await api.version()).gitVersion).toMatch(/^v1\.\d+/);
  });

  it("creates, gets, lists with selectors and pages", async () => {
    for (const i of [1, 2, 3]) await api.create(CM, cm(`page-${i}`, { i: String(i) }, { set: "paging", odd: String(i % 2) }));
    const got = await api.get<ConfigMap>(CM, "page-2", { namespace: "default" });
    expect(got.data).toEqual({ i: "2" });
    expect(got.metadata?.uid).toBeTruthy();

    const odd = await api.list<ConfigMap>(CM, { namespace: "default", labelSelector: "set=paging,odd=1" });
    expect(odd.items.map((o) => o.metadata?.name)).toEqual(["page-1", "page-3"]);
    const byName = await api.list<ConfigMap>(CM, { namespace: "default", fieldSelector: "metadata.name=page-3" });
    expect(byName.items.map((o) => o.metadata?.name)).toEqual(["page-3"]);

    const first = await api.list<ConfigMap>(CM, { namespace: "default", labelSelector: "set=paging", limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const second = await api.list<ConfigMap>(CM, { namespace: "default", labelSelector: "set=paging", limit: 2, continue: first.metadata.continue });
    expect(second.items.map((o) => o.metadata?.name)).toEqual(["page-3"]);
    expect(second.metadata.continue ?? "").toBe("");
    // All namespaces: no namespace in the path.
    expect((await api.list(CM, { labelSelector: "set=paging" })).items).toHaveLength(3);
  });

  it("maps error responses to ApiError with the server's code, reason and message", async () => {
    const missing = await api.get(CM, "nope", { namespace: "default" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).reason).toBe("NotFound");
    expect((missing as ApiError).message).toContain('configmaps "nope" not found');

    await api.create(CM, cm("dup"));
    const dup = await api.create(CM, cm("dup")).catch((e: unknown) => e);
    expect(isAlreadyExists(dup)).toBe(true);

    const invalid = await api.create(CM, cm("Bad_Name")).catch((e: unknown) => e);
    expect((invalid as ApiError).code).toBe(422);
    expect((invalid as ApiError).reason).toBe("Invalid");
    expect((invalid as ApiError).details?.causes?.[0]?.field).toBe("metadata.name");
  });

  it("updates with optimistic concurrency", async () => {
    const created = await api.create(CM, cm("upd", { v: "1" }));
    const updated = await api.update(CM, { ...created, data: { v: "2" } });
    expect(updated.data).toEqual({ v: "2" });
    expect(updated.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);
    const stale = await api.update(CM, { ...created, data: { v: "3" } }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
  });

  it("patches: merge, strategic, JSON and server-side apply (conflict, then force)", async () => {
    await api.create(CM, cm("pat", { a: "1" }));
    const opts = { namespace: "default" } as const;
    expect((await api.patch<ConfigMap>(CM, "pat", { data: { b: "2" } }, { ...opts, type: "merge" })).data).toEqual({ a: "1", b: "2" });
    expect((await api.patch<ConfigMap>(CM, "pat", { data: { c: "3" } }, { ...opts, type: "strategic" })).data).toEqual({ a: "1", b: "2", c: "3" });
    expect((await api.patch<ConfigMap>(CM, "pat", [{ op: "remove", path: "/data/a" }], { ...opts, type: "json" })).data).toEqual({ b: "2", c: "3" });

    await api.patch(CM, "ssa", cm("ssa", { k: "one" }), { ...opts, type: "apply", fieldManager: "first" });
    const conflict = await api.patch(CM, "ssa", cm("ssa", { k: "two" }), { ...opts, type: "apply", fieldManager: "second" }).catch((e: unknown) => e);
    expect((conflict as ApiError).code).toBe(409);
    expect((conflict as ApiError).message).toMatch(/conflict/i);
    const forced = await api.patch<ConfigMap>(CM, "ssa", cm("ssa", { k: "two" }), { ...opts, type: "apply", fieldManager: "second", force: true });
    expect(forced.data).toEqual({ k: "two" });
    expect(() => api.patch(CM, "ssa", {}, { ...opts, type: "apply" })).toThrow(/fieldManager/);
  });

  it("writes the status subresource only through updateStatus / patchStatus", async () => {
    // A node with a podCIDR already: node IPAM would otherwise write one between these calls.
    const node = await api.create<Node>(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "rest-node" }, spec: { podCIDR: "10.244.250.0/24", podCIDRs: ["10.244.250.0/24"] } });
    const withStatus = await api.updateStatus<Node>(NODES, { ...node, spec: { ...node.spec, unschedulable: true }, status: { capacity: { pods: "110" } } });
    expect(withStatus.status?.capacity).toEqual({ pods: "110" });
    expect(withStatus.spec?.unschedulable).toBeUndefined(); // a status write ignores spec
    const patched = await api.patchStatus<Node>(NODES, "rest-node", { status: { capacity: { cpu: "2" } } }, { type: "merge" });
    expect(patched.status?.capacity).toEqual({ pods: "110", cpu: "2" });
    await api.delete(NODES, "rest-node");
    expect(isNotFound(await api.get(NODES, "rest-node").catch((e: unknown) => e))).toBe(true);
  });

  it("deletes with preconditions", async () => {
    const created = await api.create(CM, cm("del"));
    const wrong = await api.delete(CM, "del", { namespace: "default", preconditions: { uid: "not-the-uid" } }).catch((e: unknown) => e);
    expect(isConflict(wrong)).toBe(true);
    await api.delete(CM, "del", { namespace: "default", preconditions: { uid: created.metadata!.uid as string } });
    expect(isNotFound(await api.get(CM, "del", { namespace: "default" }).catch((e: unknown) => e))).toBe(true);
  });

  it("watches: the current state, then changes, until the caller stops", async () => {
    const start = await api.list(CM, { namespace: "default", labelSelector: "watch=me" });
    const abort = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of api.watch<ConfigMap>(CM, { namespace: "default", labelSelector: "watch=me", resourceVersion: start.metadata.resourceVersion, signal: abort.signal })) {
        seen.push(`${ev.type} ${ev.object.metadata?.name} ${ev.object.data?.v ?? ""}`);
        if (seen.length === 3) abort.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await api.create(CM, cm("w1", { v: "1" }, { watch: "me" }));
    await api.patch(CM, "w1", { data: { v: "2" } }, { namespace: "default", type: "merge" });
    await api.delete(CM, "w1", { namespace: "default" });
    await done;
    expect(seen).toEqual(["ADDED w1 1", "MODIFIED w1 2", "DELETED w1 2"]);
  });

  it("a consumer that breaks out of a watch releases it", async () => {
    await api.create(CM, cm("brk", {}, { watch: "brk" }));
    const events: WatchEvent<ConfigMap>[] = [];
    for await (const ev of api.watch<ConfigMap>(CM, { namespace: "default", labelSelector: "watch=brk" })) {
      events.push(ev);
      break;
    }
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(["ADDED brk"]);
    // The client still works afterwards.
    expect((await api.get<ConfigMap>(CM, "brk", { namespace: "default" })).metadata?.name).toBe("brk");
  });

  it("a watch from a compacted version fails with WatchExpiredError", async () => {
    const old = await api.create(CM, cm("old-rv"));
    await api.patch(CM, "old-rv", { data: { x: "1" } }, { namespace: "default", type: "merge" });
    const latest = await api.patch<ConfigMap>(CM, "old-rv", { data: { x: "2" } }, { namespace: "default", type: "merge" });
    await c.cp.backend.compact(Number(latest.metadata!.resourceVersion));
    const run = async () => {
      for await (const _ev of api.watch(CM, { namespace: "default", resourceVersion: old.metadata!.resourceVersion })) {
        // no event expected before the error
      }
    };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchExpiredError);
    expect((err as ApiError).code).toBe(410);
    expect((err as ApiError).message).toMatch(/too old resource version/);
  });

  it("without a client certificate the server answers 401 as an ApiError", async () => {
    const anon = new RestClient({ server: c.cp.url, ca: c.cp.pki.ca.cert });
    try {
      const err = await anon.list(CM).catch((e: unknown) => e);
      expect((err as ApiError).code).toBe(401);
      expect((err as ApiError).reason).toBe("Unauthorized");
      expect((await anon.version()).gitVersion).toBeTruthy(); // /version is public
    } finally {
      await anon.close();
    }
  });

  it("a server that is not there is a TransportError naming the request", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const gone = new RestClient({ server: `https://127.0.0.1:${port}`, ca: c.cp.pki.ca.cert, timeoutMs: 2000 });
    try {
      const err = await gone.get(NODES, "x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe("ECONNREFUSED");
      expect((err as Error).message).toContain(`GET https://127.0.0.1:${port}/api/v1/nodes/x`);
    } finally {
      await gone.close();
    }
  });

  it("a request past its deadline is a TransportError", async () => {
    const silent = await silentServer();
    const slow = new RestClient({ server: `http://127.0.0.1:${silent.port}`, timeoutMs: 200 });
    try {
      const err = await slow.get(NODES, "x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe("ETIMEDOUT");
    } finally {
      await slow.close();
      silent.close();
    }
  });
  it("a server that accepts but never completes the TLS handshake is a connect timeout", async () => {
    const silent = await silentServer();
    const stuck = new RestClient({ server: `https://127.0.0.1:${silent.port}`, ca: c.cp.pki.ca.cert, connectTimeoutMs: 100, timeoutMs: 30_000 });
    try {
      const err = await stuck.get(NODES, "x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe("ETIMEDOUT");
      expect((err as Error).message).toMatch(/connecting timed out/);
    } finally {
      await stuck.close();
      silent.close();
    }
  });

  it("the deadline covers the body: a response that stalls after its head is a TransportError", async () => {
    const srv = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"kind":');
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const slow = new RestClient({ server: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, timeoutMs: 200 });
    try {
      const err = await slow.get(NODES, "x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe("ETIMEDOUT");
    } finally {
      await slow.close();
      srv.closeAllConnections();
      srv.close();
    }
  });

  it("sequential requests reuse one keep-alive connection; a watch's body arrives in pieces", async () => {
    let connections = 0;
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (!req.url?.includes("watch=true")) return void res.end(JSON.stringify({ kind: "Node", metadata: { name: "n" } }));
      // One event split inside a multi-byte character, then a second one, then the end.
      const line = Buffer.from(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "é" } } })}\n`);
      const cut = line.indexOf(0xa9);
      res.write(line.subarray(0, cut));
      setTimeout(() => {
        res.write(line.subarray(cut));
        res.end(`${JSON.stringify({ type: "DELETED", object: { metadata: { name: "b" } } })}\n`);
      }, 20);
    });
    srv.on("connection", () => connections++);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const local = new RestClient({ server: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}` });
    try {
      for (let i = 0; i < 5; i++) expect((await local.get(NODES, "n")).metadata?.name).toBe("n");
      expect(connections).toBe(1);
      const events: string[] = [];
      for await (const ev of local.watch(NODES)) events.push(`${ev.type} ${ev.object.metadata?.name}`);
      expect(events).toEqual(["ADDED é", "DELETED b"]);
    } finally {
      await local.close();
      srv.close();
    }
  });
});
