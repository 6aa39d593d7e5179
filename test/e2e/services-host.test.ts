// Issue 5's ways of reaching Services from the host, and session affinity, on a real 2-node
// cluster with the real kubectl: `kubectl port-forward svc/NAME` resolves the Service to a pod
// (a named service port and a named targetPort too) and talks to our kubelet over the WebSocket
// tunnel of kubectl ≥ 1.31 (no fall-back to SPDY); a cluster file's extraPortMappings publish a
// NodePort on 127.0.0.1, on the control-plane node (pods on the worker: the proxy forwards across
// nodes) as on the worker; sessionAffinity ClientIP pins one client pod to one replica, while the
// same selection without it spreads.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { KUBECTL } from "../test-utils/control-plane.js";
import { docker, e2eEnv, eventually } from "../test-utils/e2e.js";
import { ensureTestImage } from "../test-utils/images.js";
import { freePort } from "../test-utils/ports.js";

const env = e2eEnv("services-host");
const NAME = "e2e-svchost";
const NODE_PORT = 30080;
let image: string;
/** Host ports the cluster file maps to containerPort 30080, per node. */
const hostPorts: Record<string, number> = {};

const k = (...args: string[]): Promise<string> => env.k(NAME, ...args);

async function podNames(selector: string): Promise<string[]> {
  const list = JSON.parse(await k("get", "pods", "-l", selector, "-o", "json")) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
  return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
}

async function clusterIP(svc: string): Promise<string> {
  return (await k("get", "service", svc, "-o", "jsonpath={.spec.clusterIP}")).trim();
}

/** GET on a new connection each time (so every call is a new pick of the proxy); the body, trimmed. */
async function get(url: string): Promise<string> {
  const res = await request(url, { reset: true, headersTimeout: 3000, bodyTimeout: 3000 });
  const body = (await res.body.text()).trim();
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
  return body;
}

/** Runs a shell line in the client pod; never throws. */
function inClient(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return env.kubectl(NAME, ["exec", "client", "--", "sh", "-c", line]);
}

/** Calls `url` n times from the client pod, each a new connection; the answers. */
async function callsFromClient(url: string, n: number): Promise<string[]> {
  const r = await inClient(`for i in $(seq ${n}); do wget -qO- ${url} || echo FAIL; done`);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split("\n");
}

// httpd answers with the pod's hostname (= pod name) on 8080, a container port named "http".
const SERVE = "mkdir -p /www && hostname > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait";
const IDLE = "trap 'exit 0' TERM; sleep 3600 & wait";

beforeAll(async () => {
  image = (await ensureTestImage(docker)).busybox;
  await env.mc(["delete", "--name", NAME]);
  hostPorts[`${NAME}-control-plane`] = await freePort();
  hostPorts[`${NAME}-worker`] = await freePort();
  const config = [
    "kind: Cluster",
    "apiVersion: minicluster.dev/v1alpha1",
    `name: ${NAME}`,
    "nodes:",
    "  - role: control-plane",
    "    extraPortMappings:",
    `      - { containerPort: ${NODE_PORT}, hostPort: ${hostPorts[`${NAME}-control-plane`]} }`,
    "  - role: worker",
    "    extraPortMappings:",
    `      - { containerPort: ${NODE_PORT}, hostPort: ${hostPorts[`${NAME}-worker`]}, listenAddress: 127.0.0.1 }`,
    "",
  ].join("\n");
  const file = path.join(env.home, "cluster.yaml");
  fs.writeFileSync(file, config);
  const c = await env.mc(["create", "--config", file]);
  expect(c.code, c.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);

  const noToken = { automountServiceAccountToken: false };
  const objects = [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { ...noToken, containers: [{ name: "web", image, command: ["sh", "-c", SERVE], ports: [{ name: "http", containerPort: 8080 }] }] },
        },
      },
    },
    // A NodePort at a fixed port with a named service port and a named targetPort.
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: "NodePort", selector: { app: "web" }, ports: [{ name: "web", port: 80, targetPort: "http", nodePort: NODE_PORT }] },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "sticky" },
      spec: { selector: { app: "web" }, sessionAffinity: "ClientIP", ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "client" },
      spec: { ...noToken, restartPolicy: "Never", containers: [{ name: "client", image, command: ["sh", "-c", IDLE] }] },
    },
  ];
  const objFile = path.join(env.home, "objects.json");
  fs.writeFileSync(objFile, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  await k("create", "-f", objFile);
  await k("rollout", "status", "deployment/web", "--timeout=120s");
  await k("wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
}, 600_000);

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("reaching services from the host", () => {
  test("kubectl port-forward svc/NAME answers from a pod behind the service, over the WebSocket tunnel", async () => {
    const names = await podNames("app=web");
    expect(names).toHaveLength(3);
    // By service port number, then by the service port's name; both end at the pod's named "http" port.
    for (const remote of ["80", "web"]) {
      const local = await freePort();
      const pf = spawn(KUBECTL, ["--context", `minicluster-${NAME}`, "port-forward", "svc/web", `${local}:${remote}`, "-v=6"], { env: env.env });
      let out = "";
      let log = "";
      pf.stdout.on("data", (b: Buffer) => (out += b.toString()));
      pf.stderr.on("data", (b: Buffer) => (log += b.toString()));
      try {
        expect(await eventually(async () => out.includes("Forwarding from"), 20_000, 50), log).toBe(true);
        // kubectl resolved the service to a pod and the named targetPort to its container port.
        expect(out).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
        const picked = /\/namespaces\/default\/pods\/([\w-]+)\/portforward 101 /.exec(log)?.[1];
        expect(names, log).toContain(picked);
        // Every connection goes to that one pod (port-forward is not load-balanced).
        for (let i = 0; i < 3; i++) expect(await get(`http://127.0.0.1:${local}/`)).toBe(picked);
        // kubectl 1.32 tunnels SPDY in a WebSocket; a refused handshake would make it fall back to SPDY quietly.
        expect(log).toMatch(/negotiated protocol: portforward\.k8s\.io/);
        expect(log).not.toMatch(/fallback to secondary dialer/);
      } finally {
        pf.kill("SIGINT");
      }
    }
  });

  test("extraPortMappings publish a NodePort on 127.0.0.1, on either node, answered by every replica", async () => {
    const names = await podNames("app=web");
    for (const [node, hostPort] of Object.entries(hostPorts)) {
      // Docker publishes what the cluster file asked for, on 127.0.0.1 only.
      const info = await docker.getContainer(node).inspect();
      const bound = (info.NetworkSettings.Ports as Record<string, Array<{ HostIp: string; HostPort: string }> | null>)[`${NODE_PORT}/tcp`];
      expect(bound, node).toEqual([{ HostIp: "127.0.0.1", HostPort: String(hostPort) }]);

      const url = `http://127.0.0.1:${hostPort}/`;
      expect(await eventually(async () => names.includes(await get(url)), 20_000), `${url} (${node})`).toBe(true);
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await get(url));
      expect([...seen].sort(), `answers through ${node}`).toEqual(names);
    }
  });
});

describe("sessionAffinity", () => {
  test("ClientIP pins one client to one replica; the same pods without affinity answer in turn", async () => {
    const names = await podNames("app=web");
    const sticky = await clusterIP("sticky");
    const plain = await clusterIP("web");
    expect(await eventually(async () => (await inClient(`timeout 5 wget -qO- http://${sticky}/`)).code === 0, 20_000)).toBe(true);

    const pinned = await callsFromClient(`http://${sticky}/`, 30);
    expect(pinned).toHaveLength(30);
    expect(pinned).not.toContain("FAIL");
    expect(new Set(pinned).size).toBe(1);
    expect(names).toContain(pinned[0]);

    // Not vacuous: 30 calls to the same pods through a Service without affinity reach more than
    // one replica (all 30 on one of 3 has probability 3^-29).
    const spread = await callsFromClient(`http://${plain}/`, 30);
    expect(spread).not.toContain("FAIL");
    expect(new Set(spread).size).toBeGreaterThan(1);
  });
});
