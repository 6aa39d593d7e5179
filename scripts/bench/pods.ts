// `npm run bench -- pods`: pod start-up latency and kubelet memory on a real 3-node cluster.
//  1. `create --name bench-pods --nodes 3`, then `load docker-image` of the busybox test image
//     (built locally by test/test-utils/images.ts), so the image is present on every node.
//  2. PODS (100) plain pods (no controller), each a busybox `sleep` with a TERM trap, created
//     through the API with the REST client and placed by the scheduler. Creates are paced at QPS
//     pods/s (default 10; QPS=0 creates them all at once, 16 calls in flight). Per pod: the
//     client-side time from its create call returning to the Ready=True condition seen on a
//     watch opened before the first create (ms resolution; Kubernetes' timestamps are seconds).
//     Prints p50/p90/p99/max (the issue's targets: p50 ≤ 300 ms, p99 ≤ 1 s).
//  3. After IDLE_SECONDS (30) of quiet: the VmRSS of each worker's `minicluster node` process (on a
//     worker it runs only the kubelet), read from /proc inside the node container, and the memory
//     of each node container as `docker stats` counts it (usage minus inactive file cache).
//  4. Deletes the cluster (KEEP=1 keeps it).
// Builds nothing: uses dist/minicluster, or MINICLUSTER_BENCH_EXE.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";
import type { Pod } from "kubernetes-types/core/v1.js";
import { RestClient } from "../../src/client/rest.js";
import type { ResourceRef } from "../../src/client/paths.js";
import { ensureTestImage } from "../../test/test-utils/images.js";
import { benchEnv, containerMemory, quantile } from "./common.js";

const PODS = Number(process.env.PODS ?? 100);
const QPS = Number(process.env.QPS ?? 10);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 30);
const KEEP = process.env.KEEP === "1";
const name = "bench-pods";
const { home, kubeconfig, mc, nodes: nodesOf } = benchEnv("pods");
const docker = new Docker();
const POD_REF: ResourceRef = { group: "", version: "v1", plural: "pods", namespaced: true };
const NS = "default";

function podObject(i: number, image: string): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `bench-${i}`, namespace: NS, labels: { app: "bench-pods" } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: "sleep",
          image,
          imagePullPolicy: "Never",
          command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"],
        },
      ],
    },
  };
}

const isReady = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** VmRSS, RssAnon, RssFile (MiB) of the `minicluster node` process inside a node container (not docker-init's `-- minicluster node`). */
function nodeProcessRss(container: string): { rss: number; anon: number; file: number } | undefined {
  const script =
    'for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); case "$c" in *docker-init*) ;; *"minicluster node"*) ' +
    'grep -E "^(VmRSS|RssAnon|RssFile)" $p/status;; esac; done';
  const out = execFileSync("docker", ["exec", container, "sh", "-c", script], { encoding: "utf8" });
  const kb = (k: string) => Number(out.match(new RegExp(`${k}:\\s+(\\d+)\\s+kB`))?.[1] ?? NaN) / 1024;
  return out.includes("VmRSS") ? { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") } : undefined;
}
const fmtRss = (r: { rss: number; anon: number; file: number } | undefined) =>
  r ? `RSS ${r.rss.toFixed(1)} MiB = ${((r.rss * 1048576) / 1e6).toFixed(1)} MB (anon ${r.anon.toFixed(1)}, file ${r.file.toFixed(1)} MiB)` : "no minicluster node process found";

const { busybox } = await ensureTestImage(docker);
mc(["delete", "--name", name], { quiet: true });
console.log(`cluster ${name} created in ${(mc(["create", "--name", name, "--nodes", "3", "--kubeconfig", kubeconfig]) / 1000).toFixed(1)} s`);
const client = await RestClient.fromKubeconfig(kubeconfig, { userAgent: "bench-pods" });
try {
  console.log(`${busybox} loaded in ${(mc(["load", "docker-image", busybox, "--name", name]) / 1000).toFixed(1)} s`);
  const nodes = nodesOf(name);
  const workers = nodes.filter((n) => !n.endsWith("control-plane"));
  for (const w of workers) console.log(`${w} before any pod: kubelet (minicluster node) ${fmtRss(nodeProcessRss(w))}`);

  // The watch is open before the first create, so no Ready transition is missed.
  const created = new Map<string, number>();
  const ready = new Map<string, number>();
  const nodeOf = new Map<string, string>();
  const abort = new AbortController();
  let allReady!: () => void;
  const allReadyP = new Promise<void>((r) => (allReady = r));
  const list = await client.list<Pod>(POD_REF, { namespace: NS, labelSelector: "app=bench-pods" });
  const watching = (async () => {
    for await (const ev of client.watch<Pod>(POD_REF, { namespace: NS, labelSelector: "app=bench-pods", resourceVersion: list.metadata?.resourceVersion, signal: abort.signal })) {
      if (ev.type === "BOOKMARK") continue;
      const n = ev.object.metadata!.name!;
      if (!ready.has(n) && isReady(ev.object)) {
        ready.set(n, performance.now());
        nodeOf.set(n, ev.object.spec?.nodeName ?? "?");
        if (ready.size === PODS) allReady();
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) console.error("watch failed:", err);
  });

  const t0 = performance.now();
  const createOne = async (i: number) => {
    await client.create(POD_REF, podObject(i, busybox), { namespace: NS });
    created.set(`bench-${i}`, performance.now());
  };
  if (QPS > 0) {
    const calls: Array<Promise<void>> = [];
    for (let i = 0; i < PODS; i++) {
      const due = t0 + (i * 1000) / QPS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      calls.push(createOne(i));
    }
    await Promise.all(calls);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => { while (next < PODS) await createOne(next++); }));
  }
  const createdAll = performance.now();
  const timeout = setTimeout(() => allReady(), 180_000);
  await allReadyP;
  clearTimeout(timeout);
  const lastReady = performance.now();
  abort.abort();
  await watching;

  const lat = [...created].filter(([n]) => ready.has(n)).map(([n, c]) => Math.max(0, ready.get(n)! - c)).sort((a, b) => a - b);
  const perNode = new Map<string, number>();
  for (const n of nodeOf.values()) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(
    `${PODS} pods (${QPS > 0 ? `${QPS} pods/s` : "all at once"}), created in ${((createdAll - t0) / 1000).toFixed(1)} s, all Ready after ${((lastReady - t0) / 1000).toFixed(1)} s; ` +
      `${ready.size}/${PODS} Ready; placed: ${[...perNode].sort().map(([n, c]) => `${n} ${c}`).join(", ")}`,
  );
  if (lat.length) {
    console.log(
      `create → Ready: p50 ${fmt(quantile(lat, 0.5))}, p90 ${fmt(quantile(lat, 0.9))}, p99 ${fmt(quantile(lat, 0.99))}, max ${fmt(lat.at(-1)!)}, min ${fmt(lat[0]!)} (targets: p50 ≤ 300 ms, p99 ≤ 1 s)`,
    );
  }

  console.log(`idle ${IDLE_SECONDS} s ...`);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const parts: string[] = [];
  let total = 0;
  for (const n of nodes) {
    const mem = await containerMemory(docker, n);
    total += mem;
    const rss = workers.includes(n) ? nodeProcessRss(n) : undefined;
    parts.push(`${n}: container ${mem.toFixed(1)} MiB${workers.includes(n) ? `, kubelet (minicluster node) ${fmtRss(rss)}, ${perNode.get(n) ?? 0} pods` : ""}`);
  }
  console.log(`after ${IDLE_SECONDS} s idle (target: each kubelet ≤ 80 MB RSS):\n  ${parts.join("\n  ")}\n  all node containers: ${total.toFixed(1)} MiB`);
} finally {
  await client.close();
  if (!KEEP) mc(["delete", "--name", name]);
  fs.rmSync(home, { recursive: true, force: true });
}
