// Issue 5's service proxy on a real 3-node cluster with the real kubectl: a 3-replica Deployment
// behind a ClusterIP Service answers from a pod on another node and spreads calls over every
// replica; a pod reaches itself through a Service (hairpin); with no endpoints left a connection
// is refused at once; a NodePort answers from the host on a worker's address.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { docker, e2eEnv, eventually } from "../test-utils/e2e.js";
import { ensureTestImage } from "../test-utils/images.js";

const env = e2eEnv("services");
const NAME = "e2e-svc";
const WORKERS = [`${NAME}-worker`, `${NAME}-worker2`];
let image: string;

interface PodObj {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { podIP?: string };
}

const k = async (...args: string[]): Promise<string> => {
  const r = await env.kubectl(NAME, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

async function pods(selector: string): Promise<PodObj[]> {
  return (JSON.parse(await k("get", "pods", "-l", selector, "-o", "json")) as { items: PodObj[] }).items;
}

async function clusterIP(svc: string): Promise<string> {
  return (await k("get", "service", svc, "-o", "jsonpath={.spec.clusterIP}")).trim();
}

/** Runs a shell line in the client pod; never throws. */
function inClient(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return env.kubectl(NAME, ["exec", "client", "--", "sh", "-c", line]);
}

// httpd answers with the pod's hostname (= pod name) on 8080 (as in workloads.test.ts).
const SERVE = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];
const IDLE = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

beforeAll(async () => {
  image = (await ensureTestImage(docker)).busybox;
  await env.mc(["delete", "--name", NAME]);
  const c = await env.mc(["create", "--name", NAME, "--nodes", "3"]);
  expect(c.code, c.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);
  // No ServiceAccount token volumes: these pods never talk to the API server.
  const web = JSON.parse(await k("create", "deployment", "web", `--image=${image}`, "--replicas=3", "--port=8080", "--dry-run=client", "-o", "json", "--", ...SERVE)) as {
    spec: { template: { spec: Record<string, unknown> } };
  };
  web.spec.template.spec.automountServiceAccountToken = false;
  const file = path.join(env.home, "web.json");
  fs.writeFileSync(file, JSON.stringify(web));
  await k("create", "-f", file);
  // The client sits on the second worker: every replica on the first is on another node.
  const overrides = JSON.stringify({ spec: { nodeName: WORKERS[1], automountServiceAccountToken: false } });
  await k("run", "client", `--image=${image}`, "--restart=Never", `--overrides=${overrides}`, "--command", "--", ...IDLE);
  await k("rollout", "status", "deployment/web", "--timeout=120s");
  await k("wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
}, 600_000);

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("the service proxy on 3 nodes", () => {
  test("a ClusterIP Service answers from a pod on another node, and every replica answers", async () => {
    await k("expose", "deployment", "web", "--port=80", "--target-port=8080");
    const ip = await clusterIP("web");
    expect(ip).toMatch(/^10\.96\./);
    const names = (await pods("app=web")).map((p) => p.metadata.name).sort();
    expect(names).toHaveLength(3);
    // Rules follow the EndpointSlice within about a second.
    const first = await eventually(async () => (await inClient(`timeout 5 wget -qO- http://${ip}/`)).code === 0, 20_000);
    expect(first).toBe(true);
    const r = await inClient(`for i in $(seq 30); do wget -qO- http://${ip}/ || echo FAIL; done`);
    expect(r.code, r.stderr).toBe(0);
    const answers = r.stdout.trim().split("\n");
    expect(answers).toHaveLength(30);
    expect(answers).not.toContain("FAIL");
    expect([...new Set(answers)].sort()).toEqual(names);
  });

  test("a pod reaches itself through a Service (hairpin)", async () => {
    const pod = (await pods("app=web"))[0]!.metadata.name;
    // A Service whose only endpoint is the pod that calls it.
    await k("label", "pod", pod, "self=yes");
    await k("expose", "pod", pod, "--name=self", "--selector=self=yes", "--port=80", "--target-port=8080");
    const ip = await clusterIP("self");
    let out = "";
    const ok = await eventually(async () => {
      const r = await env.kubectl(NAME, ["exec", pod, "--", "timeout", "5", "wget", "-qO-", `http://${ip}/`]);
      out = r.stdout.trim();
      return r.code === 0;
    }, 20_000);
    expect(ok).toBe(true);
    expect(out).toBe(pod);
  });

  test("a NodePort answers from the host on a worker's address", async () => {
    await k("expose", "deployment", "web", "--name=web-np", "--type=NodePort", "--port=80", "--target-port=8080");
    const nodePort = Number((await k("get", "service", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}")).trim());
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const names = (await pods("app=web")).map((p) => p.metadata.name);
    for (const worker of WORKERS) {
      const info = await docker.getContainer(worker).inspect();
      const addr = info.NetworkSettings.Networks[`minicluster-${NAME}`]!.IPAddress;
      let body = "";
      const ok = await eventually(async () => {
        const res = await request(`http://${addr}:${nodePort}/`, { headersTimeout: 3000, bodyTimeout: 3000 });
        body = (await res.body.text()).trim();
        return res.statusCode === 200;
      }, 20_000);
      expect(ok, `NodePort ${nodePort} on ${worker} (${addr})`).toBe(true);
      expect(names).toContain(body);
    }
  });

  test("with no ready endpoints left, connections fail fast", async () => {
    const ip = await clusterIP("web");
    await k("scale", "deployment", "web", "--replicas=0");
    const gone = await eventually(async () => (await pods("app=web")).length === 0, 60_000);
    expect(gone).toBe(true);
    // Once the rules follow, the connection is refused rather than left to hang.
    // (Before the rules follow, a packet to the ClusterIP leaves by the default route, where this
    // machine's network may answer with an HTTP error of its own: wait for the refusal itself.)
    const refused = await eventually(async () => /refused/i.test((await inClient(`timeout 5 wget -qO- http://${ip}/`)).stderr), 20_000);
    expect(refused).toBe(true);
    // Timed inside the pod (kubectl exec's own overhead left out); `timeout 10` makes a hang visible as 10 s.
    const up = "$(cut -d' ' -f1 /proc/uptime)";
    const r = await inClient(`s=${up}; timeout 10 wget -qO- http://${ip}/; rc=$?; echo "$rc $s ${up}"`);
    const [rc, start, end] = r.stdout.trim().split(" ").map(Number);
    expect(rc).not.toBe(0);
    expect(end! - start!).toBeLessThan(2);
    expect(r.stderr).toMatch(/refused/i);
  });
});
