// Issue 4's "what must be shown" on a real 3-node cluster with the real kubectl: a Deployment of a
// locally built image spreads over both workers, rolls out (set image, never more unavailable
// than allowed), rolls back, serves through port-forward, pods reach each other across nodes by
// IP, exec propagates exit codes, a cordoned node gets no new pods, and deleting the Deployment
// removes its ReplicaSets and pods. (Pod-level behaviour — back-off, OOM, probes — is in
// pods.test.ts; the streaming protocols in streaming.test.ts.)
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { docker, e2eEnv, eventually, sleep } from "../test-utils/e2e.js";
import { ensureTestImage } from "../test-utils/images.js";
import { freePort } from "../test-utils/ports.js";

const env = e2eEnv("workloads");
const NAME = "e2e-work";
const WORKERS = [`${NAME}-worker`, `${NAME}-worker2`];
let image1: string;
let image2: string;

interface PodObj {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: Array<{ image: string }> };
  status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
}

const k = (...args: string[]): Promise<string> => env.k(NAME, ...args);

async function pods(selector = "app=web"): Promise<PodObj[]> {
  return (JSON.parse(await k("get", "pods", "-l", selector, "-o", "json")) as { items: PodObj[] }).items;
}
const ready = (p: PodObj) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

// httpd answers with the pod's hostname (= pod name) on 8080; the shell stays PID 1 to end on
// SIGTERM (a PID 1 without a handler ignores it, and every deletion would take the 30 s grace).
const SERVE = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];

beforeAll(async () => {
  const images = await ensureTestImage(docker);
  image1 = images.busybox;
  image2 = image1.replace(/:[^:/]+$/, ":rollout");
  await docker.getImage(image1).tag({ repo: image2.replace(/:[^:/]+$/, ""), tag: "rollout" });
  await env.mc(["delete", "--name", NAME]);
  const c = await env.mc(["create", "--name", NAME, "--nodes", "3"]);
  expect(c.code, c.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image1, image2, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);
});

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("a Deployment on 3 nodes", () => {
  test("6 replicas spread over both workers (none on the tainted control plane) and roll out", async () => {
    await k("create", "deployment", "web", `--image=${image1}`, "--replicas=6", "--port=8080", "--", ...SERVE);
    await k("rollout", "status", "deployment/web", "--timeout=120s");
    const ps = await pods();
    expect(ps).toHaveLength(6);
    expect(ps.every(ready)).toBe(true);
    const nodes = new Set(ps.map((p) => p.spec.nodeName));
    expect([...nodes].sort()).toEqual(WORKERS);
  });

  test("pods reach each other across nodes by IP", async () => {
    const ps = await pods();
    const a = ps.find((p) => p.spec.nodeName === WORKERS[0])!;
    const b = ps.find((p) => p.spec.nodeName === WORKERS[1])!;
    const out = await k("exec", a.metadata.name, "--", "wget", "-qO-", `http://${b.status.podIP}:8080/`);
    expect(out.trim()).toBe(b.metadata.name);
  });

  test("exec propagates the exit code", async () => {
    const r = await env.kubectl(NAME, ["exec", "deploy/web", "--", "sh", "-c", "echo out; exit 7"]);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("out\n");
  });

  test("port-forward to a pod answers on the host", async () => {
    const pod = (await pods())[0]!.metadata.name;
    const port = await freePort();
    const pf = spawn("kubectl", ["--context", `minicluster-${NAME}`, "port-forward", `pod/${pod}`, `${port}:8080`], { env: env.env });
    try {
      let body = "";
      const ok = await eventually(async () => {
        const res = await request(`http://127.0.0.1:${port}/`);
        body = await res.body.text();
        return res.statusCode === 200;
      }, 20_000);
      expect(ok).toBe(true);
      expect(body.trim()).toBe(pod);
    } finally {
      pf.kill();
    }
  });

  test("set image rolls with never more unavailable than allowed, then undo rolls back", async () => {
    let minAvailable = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const d = JSON.parse(await k("get", "deployment", "web", "-o", "json")) as { status: { availableReplicas?: number } };
        minAvailable = Math.min(minAvailable, d.status.availableReplicas ?? 0);
        await sleep(100);
      }
    })();
    await k("set", "image", "deployment/web", `busybox=${image2}`);
    await k("rollout", "status", "deployment/web", "--timeout=120s");
    sampling = false;
    await sampler;
    // maxUnavailable 25% of 6 rounds down to 1.
    expect(minAvailable).toBeGreaterThanOrEqual(5);
    const current = async (): Promise<PodObj[]> => (await pods()).filter((p) => !p.metadata.deletionTimestamp);
    let ps = await current();
    expect(ps).toHaveLength(6);
    expect(ps.every((p) => p.spec.containers[0]!.image === image2 && ready(p))).toBe(true);

    await k("rollout", "undo", "deployment/web");
    await k("rollout", "status", "deployment/web", "--timeout=120s");
    expect(await eventually(async () => {
      ps = await current();
      return ps.length === 6 && ps.every((p) => p.spec.containers[0]!.image === image1 && ready(p));
    }, 60_000)).toBe(true);
    const history = await k("rollout", "history", "deployment/web");
    expect(history).toMatch(/\b3\b/);
  });

  test("a cordoned node gets no new pods", async () => {
    await k("cordon", WORKERS[1]!);
    try {
      const before = new Set((await pods()).map((p) => p.metadata.name));
      await k("scale", "deployment/web", "--replicas=9");
      await k("rollout", "status", "deployment/web", "--timeout=120s");
      const added = (await pods()).filter((p) => !before.has(p.metadata.name));
      expect(added).toHaveLength(3);
      for (const p of added) expect(p.spec.nodeName).toBe(WORKERS[0]);
    } finally {
      await k("uncordon", WORKERS[1]!);
    }
  });

  test("deleting the Deployment removes its ReplicaSets and pods", async () => {
    await k("delete", "deployment", "web");
    const gone = await eventually(async () => {
      const rs = JSON.parse(await k("get", "rs", "-l", "app=web", "-o", "json")) as { items: unknown[] };
      return rs.items.length === 0 && (await pods()).length === 0;
    }, 60_000, 500);
    expect(gone).toBe(true);
  });
});

