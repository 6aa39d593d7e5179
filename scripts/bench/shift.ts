// `npm run bench -- shift`: how long after an API write the service proxy moves traffic (issue 5's
// target: endpoint change → traffic shift ≤ 1 s), on a real cluster seen from the host.
//  1. `create` a 2-node cluster `bench-shift` from a cluster file that maps the worker's
//     containerPort 30090 to a free port on 127.0.0.1 (extraPortMappings), loads the busybox test
//     image, and makes two Deployments `a` and `b` (REPLICAS each, default 2; busybox httpd
//     answering with the pod's name) and a NodePort Service `shift` (nodePort 30090).
//  2. A client on the host sends a GET to 127.0.0.1:HOSTPORT every INTERVAL ms (default 5), each on
//     a new TCP connection (so each is a new pick of the proxy's rules), timeout 500 ms, and records
//     when it was sent, when it was answered and by whom (a-… or b-…) or that it failed.
//  3. Scenario "selector": the Service selects app=a; a merge patch sets it to app=b (then back,
//     alternating, RUNS times, default 10). Scenario "scale": the Service selects both (group=ab);
//     Deployment a is scaled to 0 (RUNS times; a is scaled back and its answers seen again between
//     runs; its pods serve on for 1 s after SIGTERM, as with a preStop sleep). Per run, t0 = when
//     the PATCH is sent; only requests sent after t0 count:
//       - first new: t0 → the first answer from the new side (selector scenario),
//       - last old: t0 → the last answer from the old side (a request sent after t0 that the old
//         pods still answered), i.e. when the shift was complete,
//       - last not new: t0 → the send time of the last request the new side did not answer,
//       - failed: requests sent after t0 that got no answer (refused, reset or timed out).
//     A run ends once 1 s has passed with only new answers (at most 15 s). Prints median/p90/max.
//  4. Deletes the cluster, also on failure or Ctrl-C (KEEP=1 keeps it).
// Uses dist/minicluster, or MINICLUSTER_BENCH_EXE.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Docker from "dockerode";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import type { Service } from "kubernetes-types/core/v1.js";
import { RestClient } from "../../src/client/rest.js";
import type { ResourceRef } from "../../src/client/paths.js";
import { ensureTestImage } from "../../test/test-utils/images.js";
import { freePort } from "../../test/test-utils/ports.js";
import { benchEnv, quantile } from "./common.js";

const RUNS = Number(process.env.RUNS ?? 10);
const REPLICAS = Number(process.env.REPLICAS ?? 2);
const INTERVAL = Number(process.env.INTERVAL ?? 5);
const KEEP = process.env.KEEP === "1";
const SETTLE_MS = 1000;
const RUN_TIMEOUT_MS = 15_000;
const NODE_PORT = 30090;
const name = "bench-shift";
const NS = "default";
const { home, kubeconfig, mc } = benchEnv("shift");
const SVC: ResourceRef = { group: "", version: "v1", plural: "services", namespaced: true };
const DEPLOY: ResourceRef = { group: "apps", version: "v1", plural: "deployments", namespaced: true };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function deployment(app: "a" | "b", image: string): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app, namespace: NS },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app, group: "ab" } },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: "web",
              image,
              imagePullPolicy: "Never",
              // Serves on for 1 s after SIGTERM (as a preStop sleep would): requests the proxy still
              // sends to a terminating pod are answered, so "last old" shows when the proxy stopped.
              command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html; trap 'sleep 1; exit 0' TERM; httpd -f -p 8080 -h /www & wait"],
              ports: [{ name: "http", containerPort: 8080 }],
            },
          ],
        },
      },
    },
  };
}

/** One request of the client loop: sent and done on performance.now()'s clock; who answered ("a", "b") or undefined (failed). */
interface Sample {
  sent: number;
  done: number;
  who?: "a" | "b";
}

class Client {
  readonly samples: Sample[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(private readonly port: number) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.fire();
      await sleep(INTERVAL);
    }
  }

  private fire(): void {
    const sample: Sample = { sent: performance.now(), done: 0 };
    const finish = (who?: "a" | "b") => {
      if (sample.done) return;
      sample.done = performance.now();
      if (who) sample.who = who;
      this.samples.push(sample);
    };
    const req = http.get({ host: "127.0.0.1", port: this.port, path: "/", agent: false, timeout: 500 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => finish(res.statusCode === 200 && /^[ab]-/.test(body) ? (body[0] as "a" | "b") : undefined));
      res.on("error", () => finish());
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => finish());
  }

  /** Samples of requests sent at or after t. */
  since(t: number): Sample[] {
    return this.samples.filter((s) => s.sent >= t);
  }

  /** Waits until the answers of the last `ms` all came from `who` (each of them at least once); false after timeoutMs. */
  async steady(who: ReadonlyArray<"a" | "b">, ms: number, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      await sleep(50);
      const now = performance.now();
      const window = this.samples.filter((s) => s.done >= now - ms);
      if (window.length >= ms / INTERVAL / 4 && window.every((s) => s.who && who.includes(s.who)) && who.every((w) => window.some((s) => s.who === w))) return true;
    }
    return false;
  }

  /** What the last `ms` of answers were, for an error message. */
  recent(ms: number): string {
    const now = performance.now();
    const counts = new Map<string, number>();
    for (const s of this.samples) if (s.done >= now - ms) counts.set(s.who ?? "failed", (counts.get(s.who ?? "failed") ?? 0) + 1);
    return [...counts].map(([k, n]) => `${k} ${n}`).join(", ") || "nothing";
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await sleep(600);
  }
}

interface RunResult {
  /** The PATCH's round trip. */
  write: number;
  firstNew?: number;
  lastOld: number;
  /** t0 → the send time of the last request not answered by the new side (an old answer or a failure). */
  lastNotNew: number;
  failed: number;
  sent: number;
  timedOut: boolean;
}

/** After the write sent at t0: waits for SETTLE_MS of only `to` answers, then measures. */
async function measure(client: Client, t0: number, write: number, from: "a" | "b", to: "a" | "b", firstNew = true): Promise<RunResult> {
  const end = t0 + RUN_TIMEOUT_MS;
  let timedOut = true;
  while (performance.now() < end) {
    await sleep(50);
    const after = client.since(t0);
    const lastBad = Math.max(t0, ...after.filter((s) => s.who !== to).map((s) => s.done));
    if (after.some((s) => s.who === to) && performance.now() - lastBad >= SETTLE_MS) {
      timedOut = false;
      break;
    }
  }
  const after = client.since(t0);
  const news = after.filter((s) => s.who === to).map((s) => s.done);
  const olds = after.filter((s) => s.who === from).map((s) => s.done);
  const notNew = after.filter((s) => s.who !== to).map((s) => s.sent);
  return {
    write,
    firstNew: firstNew && news.length ? Math.min(...news) - t0 : undefined,
    lastOld: olds.length ? Math.max(...olds) - t0 : 0,
    lastNotNew: notNew.length ? Math.max(...notNew) - t0 : 0,
    failed: after.filter((s) => !s.who).length,
    sent: after.length,
    timedOut,
  };
}

function summary(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? `${label}: median ${quantile(s, 0.5).toFixed(0)} ms, p90 ${quantile(s, 0.9).toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms` : `${label}: no samples`;
}

function report(scenario: string, results: RunResult[]): void {
  const fmt = (r: RunResult) => `write ${r.write.toFixed(0)} ms, first new ${r.firstNew === undefined ? "-" : r.firstNew.toFixed(0)} ms, last old ${r.lastOld.toFixed(0)} ms, last not new (sent) ${r.lastNotNew.toFixed(0)} ms, failed ${r.failed}/${r.sent}${r.timedOut ? " (TIMED OUT)" : ""}`;
  results.forEach((r, i) => console.log(`  ${scenario} run ${i + 1}: ${fmt(r)}`));
  const firsts = results.flatMap((r) => (r.firstNew === undefined ? [] : [r.firstNew]));
  if (firsts.length) console.log(`${scenario}: ${summary("write → first answer from the new pods", firsts)}`);
  console.log(`${scenario}: ${summary("write → last answer from the old pods", results.map((r) => r.lastOld))}`);
  console.log(`${scenario}: ${summary("the PATCH's round trip", results.map((r) => r.write))}`);
  const failed = results.map((r) => r.failed);
  console.log(`${scenario}: failed requests per run: ${failed.join(", ")} (of ~${Math.round(results.reduce((n, r) => n + r.sent, 0) / results.length)} sent per run); runs timed out: ${results.filter((r) => r.timedOut).length}`);
}

let cleaned = false;
function cleanup(): void {
  if (cleaned || KEEP) return;
  cleaned = true;
  try {
    mc(["delete", "--name", name]);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

const docker = new Docker();
const { busybox } = await ensureTestImage(docker);
mc(["delete", "--name", name], { quiet: true });
const hostPort = await freePort();
const config = path.join(home, "cluster.yaml");
fs.writeFileSync(
  config,
  `kind: Cluster\napiVersion: minicluster.dev/v1alpha1\nname: ${name}\nnodes:\n  - role: control-plane\n  - role: worker\n    extraPortMappings:\n      - { containerPort: ${NODE_PORT}, hostPort: ${hostPort} }\n`,
);
let client: RestClient | undefined;
let loop: Client | undefined;
try {
  const tc = performance.now();
  mc(["create", "--config", config, "--kubeconfig", kubeconfig]);
  mc(["load", "docker-image", busybox, "--name", name]);
  console.log(`cluster ${name} (2 nodes) created and ${busybox} loaded in ${((performance.now() - tc) / 1000).toFixed(1)} s; NodePort ${NODE_PORT} → 127.0.0.1:${hostPort}`);
  console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  client = await RestClient.fromKubeconfig(kubeconfig, { userAgent: "bench-shift" });
  const api = client;
  for (const app of ["a", "b"] as const) await api.create(DEPLOY, deployment(app, busybox), { namespace: NS });
  const svc: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shift", namespace: NS },
    spec: { type: "NodePort", selector: { app: "a" }, ports: [{ port: 80, targetPort: "http", nodePort: NODE_PORT }] },
  };
  await api.create(SVC, svc, { namespace: NS });
  const readyReplicas = async (app: string) => (await api.get<Deployment>(DEPLOY, app, { namespace: NS })).status?.readyReplicas ?? 0;
  const waitReady = async (app: string, n: number) => {
    const end = performance.now() + 120_000;
    while ((await readyReplicas(app)) !== n) {
      if (performance.now() > end) throw new Error(`deployment ${app}: ${n} ready replicas not reached in 120 s`);
      await sleep(100);
    }
  };
  await Promise.all([waitReady("a", REPLICAS), waitReady("b", REPLICAS)]);
  loop = new Client(hostPort);
  if (!(await loop.steady(["a"], 500, 30_000))) throw new Error("no steady answers from a through the NodePort");
  const selectApp = (app: "a" | "b") => api.patch(SVC, "shift", { spec: { selector: { app, group: null } } }, { namespace: NS, type: "merge" });

  // Scenario 1: the Service's selector moves from one Deployment to the other.
  const selector: RunResult[] = [];
  let from: "a" | "b" = "a";
  for (let i = 0; i < RUNS; i++) {
    const to: "a" | "b" = from === "a" ? "b" : "a";
    if (!(await loop.steady([from], 500, 15_000))) throw new Error(`no steady answers from ${from} before run ${i + 1} (last second: ${loop.recent(1000)})`);
    const t0 = performance.now();
    await selectApp(to);
    selector.push(await measure(loop, t0, performance.now() - t0, from, to));
    from = to;
  }
  report("selector a ↔ b", selector);

  // Scenario 2: both selected; Deployment a scaled to 0.
  await api.patch(SVC, "shift", { spec: { selector: { app: null, group: "ab" } } }, { namespace: NS, type: "merge" });
  const scale: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    await waitReady("a", REPLICAS);
    if (!(await loop.steady(["a", "b"], 1000, 30_000))) throw new Error(`no steady answers from a and b before scale run ${i + 1} (last second: ${loop.recent(1000)})`);
    const t0 = performance.now();
    await api.patch(DEPLOY, "a", { spec: { replicas: 0 } }, { namespace: NS, type: "merge" });
    scale.push(await measure(loop, t0, performance.now() - t0, "a", "b", false));
    await api.patch(DEPLOY, "a", { spec: { replicas: REPLICAS } }, { namespace: NS, type: "merge" });
  }
  report("scale a → 0 (a and b selected)", scale);
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
} finally {
  await loop?.stop();
  await client?.close();
  cleanup();
}
