// Scheduler benchmark: an in-process control plane on SQLite, plain Ready Node objects (no
// kubelets), pods created through the Registry. Two figures per cluster size:
//  - "queued": PODS pods already exist when a fresh scheduler starts; pods/s = PODS / time until
//    the last binding is written (what kube-scheduler's scheduler_perf measures);
//  - "live": the control plane's own scheduler runs while PODS pods are created 64 at a time;
//    pods/s = PODS / time from the first create to the last binding (creates share the process).
// Every bound pod also gets its Scheduled event written (in the background, as in production).
// Run: npm run bench -- scheduler [nodes...]   (default: 100 5000)

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { KubeObject } from "../../src/api/registry/types.js";
import type { Caller, Registry } from "../../src/controlplane/apiserver/rest.js";
import { watchStore } from "../../src/controlplane/controllers/store-watch.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/index.js";
import { Scheduler } from "../../src/controlplane/scheduler/index.js";

const PODS = Number(process.env.PODS ?? 5_000);
const CONCURRENCY = 64;
const CALLER: Caller = { user: "bench", groups: ["system:masters"], userAgent: "bench" };
const NODE = RESOURCES.find((r) => r.kind === "Node" && r.group === "")!;
const CONFIGMAP = RESOURCES.find((r) => r.kind === "ConfigMap" && r.group === "")!;
const OWNERS = 50;
const POD = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;

function node(name: string, i: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": `zone-${i % 3}` } },
    status: {
      capacity: { cpu: "32", memory: "128Gi", pods: "110" },
      allocatable: { cpu: "32", memory: "128Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "bench", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    },
  };
}

function pod(name: string, owner: { name: string; uid: string }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels: { app: owner.name },
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: owner.name, uid: owner.uid, controller: true }],
    },
    spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.9", resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
  };
}

async function inParallel(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function createNodes(registry: Registry, n: number): Promise<void> {
  await inParallel(n, async (i) => {
    const name = `node-${String(i).padStart(5, "0")}`;
    const created = await registry.create(NODE, "", node(name, i), CALLER);
    // Status is not taken on create: write it through the status subresource.
    await registry.update(NODE, "", name, (cur) => ({ ...cur, status: node(name, i).status }), CALLER, { subresource: "status" });
    return created;
  });
}

/**
 * PODS pods in 50 groups. Each group's controller owner is a ConfigMap: the garbage collector
 * needs the owner to exist, and no controller acts on a ConfigMap's pods.
 */
async function createPods(registry: Registry, prefix: string): Promise<void> {
  const owners: Array<{ name: string; uid: string }> = [];
  for (let g = 0; g < OWNERS; g++) {
    const cm = await registry.create(CONFIGMAP, "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${prefix}-owner-${g}` } }, CALLER);
    owners.push({ name: cm.metadata!.name!, uid: cm.metadata!.uid! });
  }
  await inParallel(PODS, (i) => registry.create(POD, "default", pod(`${prefix}-${i}`, owners[i % OWNERS]), CALLER));
}

async function waitBound(sched: Scheduler, n: number): Promise<void> {
  while (sched.stats.bound < n) {
    if (sched.stats.unschedulable > 0) throw new Error(`${sched.stats.unschedulable} scheduling attempts failed`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function run(nodes: number): Promise<{ queued: number; live: number; rssMb: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-bench-sched-"));
  let cp: ControlPlane | undefined;
  try {
    // 1. queued: pods exist before the scheduler starts.
    cp = await startControlPlane({ dataDir, port: 0, store: "sqlite", nodeLifecycle: false, scheduler: false });
    await createNodes(cp.registry, nodes);
    await createPods(cp.registry, "q");
    const sched = new Scheduler(cp.registry, (m) => console.error(m));
    const abort = new AbortController();
    await watchStore(cp.backend, (ev) => sched.onEvent(ev), abort.signal);
    let t0 = performance.now();
    sched.start();
    await waitBound(sched, PODS);
    const queued = PODS / ((performance.now() - t0) / 1000);
    sched.stop();
    abort.abort();
    await cp.stop();

    // 2. live: the control plane's scheduler, pods created while it runs (fresh store).
    fs.rmSync(dataDir, { recursive: true, force: true });
    cp = await startControlPlane({ dataDir, port: 0, store: "sqlite", nodeLifecycle: false });
    await createNodes(cp.registry, nodes);
    const live0 = cp.scheduler!;
    t0 = performance.now();
    await createPods(cp.registry, "l");
    await waitBound(live0, PODS);
    const live = PODS / ((performance.now() - t0) / 1000);
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    return { queued, live, rssMb };
  } finally {
    await cp?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(3).map(Number).filter((n) => n > 0);
console.log(`scheduler: ${PODS} pods (10m CPU, 16Mi each, 50 owners) onto N Ready nodes, in-process control plane on SQLite`);
console.log("nodes\tqueued pods/s\tlive pods/s (create+bind)\tRSS MB");
for (const n of sizes.length ? sizes : [100, 5_000]) {
  const r = await run(n);
  console.log(`${n}\t${r.queued.toFixed(0)}\t${r.live.toFixed(0)}\t${r.rssMb.toFixed(0)}`);
}
