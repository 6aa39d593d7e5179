// pods/log, exec, attach and port-forward end to end with the real kubectl (1.32 over WebSocket,
// 1.28 over SPDY) against the in-process control plane and an in-process kubelet API whose
// "containers" are local processes: exec runs the command on this host, logs are CRI files in a
// temporary directory, port-forward reaches a TCP server on 127.0.0.1 (the fake pod IP).

import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeletServingTls, spawnExec, startKubeletServer, type ContainerHandle, type KubeletServer, type PodLocator } from "../../src/kubelet/server/index.js";
import { KUBECTL, caOnlyKubeconfig, runKubectl, startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { freePort } from "../test-utils/ports.js";
import { waitFor } from "../test-utils/wait.js";

const KUBECTL_128 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.28";

let c: TestCluster;
let kubelet: KubeletServer;
let dir: string;
let podServer: http.Server;
let podPort: number;
const attached = new EventEmitter();
const attachStdin = new PassThrough();
const handles = new Map<string, ContainerHandle>();

function handle(pod: string, container: string, extra: Partial<ContainerHandle> = {}): ContainerHandle {
  return {
    runcId: `${pod}-${container}`,
    podUid: `uid-${pod}`,
    namespace: "default",
    pod,
    container,
    logPath: path.join(dir, `${pod}_${container}_0.log`),
    running: true,
    tty: false,
    stdin: false,
    ...extra,
  };
}

const locator: PodLocator = {
  container: (ns, pod, container) => handles.get(`${ns}/${pod}/${container}`),
  podNetwork: (ns, pod) => ([...handles.values()].some((h) => h.namespace === ns && h.pod === pod) ? { uid: `uid-${pod}`, netnsPath: "", ip: "127.0.0.1" } : undefined),
};

const cri = (time: string, stream: string, line: string, tag = "F") => `${time} ${stream} ${tag} ${line}\n`;

async function apply(yaml: string): Promise<void> {
  const r = await c.kubectl(["apply", "-f", "-"], { input: yaml });
  if (r.code !== 0) throw new Error(r.stderr);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-streaming-"));
  c = await startTestCluster({ store: "memory" });
  kubelet = await startKubeletServer({
    locator,
    tls: await kubeletServingTls(["127.0.0.1"]),
    clientCa: c.cp.pki.ca.cert,
    host: "127.0.0.1",
    port: 0,
    exec: (req) => spawnExec(req.command, { tty: req.tty, stdin: req.stdin, size: req.size }),
  });
  podServer = http.createServer((req, res) => res.end(`hello from the pod ${req.url}\n`));
  await new Promise<void>((r) => podServer.listen(0, "127.0.0.1", r));
  podPort = (podServer.address() as net.AddressInfo).port;

  handles.set("default/web/app", handle("web", "app"));
  handles.set("default/two/a", handle("two", "a"));
  handles.set("default/att/main", handle("att", "main", { stdin: true, attach: () => ({ stdin: attachStdin, output: attached }) }));
  fs.writeFileSync(
    handles.get("default/web/app")!.logPath,
    cri("2030-01-01T00:00:00.000000001Z", "stdout", "first") +
      cri("2030-01-01T00:00:01.000000000Z", "stderr", "second, part ", "P") +
      cri("2030-01-01T00:00:01.500000000Z", "stderr", "two") +
      cri("2030-01-01T00:00:02.000000000Z", "stdout", "third"),
  );

  await apply(`apiVersion: v1
kind: Node
metadata: {name: fake-node}
`);
  const st = await c.kubectl([
    "patch", "node", "fake-node", "--subresource=status", "--type=merge", "-p",
    JSON.stringify({ status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } }),
  ]);
  expect(st.stderr).toBe("");
  for (const [name, containers] of [["web", ["app"]], ["two", ["a", "b"]], ["att", ["main"]], ["pending", ["app"]]] as const) {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  ${name === "pending" ? "" : "nodeName: fake-node"}
  containers:
${containers.map((n) => `  - {name: ${n}, image: busybox${name === "att" ? ", stdin: true" : ""}}`).join("\n")}
`);
    const r = await c.kubectl(["patch", "pod", name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase: name === "pending" ? "Pending" : "Running" } })]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await kubelet?.close();
  podServer?.closeAllConnections();
  podServer?.close();
  await c?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("pods/log", () => {
  it("prints the lines without the CRI prefix, joining partial lines", async () => {
    expect(await c.k("logs", "web")).toBe("first\nsecond, part two\nthird\n");
  });

  it("keeps timestamps, tails and limits bytes", async () => {
    expect(await c.k("logs", "web", "--timestamps")).toBe(
      "2030-01-01T00:00:00.000000001Z first\n2030-01-01T00:00:01.000000000Z second, part 2030-01-01T00:00:01.500000000Z two\n2030-01-01T00:00:02.000000000Z third\n",
    );
    expect(await c.k("logs", "web", "--tail=2")).toBe("second, part two\nthird\n");
    expect(await c.k("logs", "web", "--limit-bytes=8")).toBe("first\nse");
  });

  it("follows until the container stops", async () => {
    const h = handles.get("default/web/app")!;
    const child = spawn(KUBECTL, ["--kubeconfig", c.kubeconfig, "logs", "-f", "web"]);
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    await until(() => out.includes("third\n"));
    fs.appendFileSync(h.logPath, cri(new Date().toISOString(), "stdout", "appended"));
    await until(() => out.includes("appended\n"));
    handles.set("default/web/app", { ...h, running: false });
    expect(await exited).toBe(0);
    handles.set("default/web/app", h);
    expect(out).toBe("first\nsecond, part two\nthird\nappended\n");
  });

  it("answers Kubernetes' errors for bad containers and unscheduled pods", async () => {
    let r = await c.kubectl(["logs", "web", "-c", "nope"]);
    expect(r.stderr).toContain("container nope is not valid for pod web");
    r = await c.kubectl(["logs", "pending"]);
    expect(r.stderr).toContain("pod pending does not have a host assigned");
    r = await c.kubectl(["logs", "two", "-c", "b"]);
    expect(r.stderr).toContain('container "b" in pod "two" is waiting to start');
    r = await c.kubectl(["logs", "web", "--previous"]);
    expect(r.stderr).toContain('previous terminated container "app" in pod "web" not found');
  });
});

for (const [label, binary] of [
  ["kubectl 1.32 (WebSocket v5)", KUBECTL],
  ["kubectl 1.28 (SPDY)", KUBECTL_128],
] as const) {
  describe(`exec, ${label}`, () => {
    const kx = (args: string[], input?: string) => runKubectl(c.kubeconfig, args, { binary, input });

    it("runs a command with stdout and stderr apart", async () => {
      const r = await kx(["exec", "web", "--", "sh", "-c", "echo out; echo err >&2"]);
      expect(r).toMatchObject({ code: 0, stdout: "out\n", stderr: "err\n" });
    });

    it("passes stdin through and sees its end", async () => {
      const r = await kx(["exec", "-i", "web", "--", "sh", "-c", "cat; echo done"], "line one\nline two\n");
      expect(r).toMatchObject({ code: 0, stdout: "line one\nline two\ndone\n" });
    });

    it("propagates the exit code", async () => {
      const r = await kx(["exec", "web", "--", "sh", "-c", "exit 3"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("command terminated with exit code 3");
    });

    it("gives an interactive terminal (-it) with resize", async () => {
      // kubectl only asks for a TTY when its own stdin is one: run it under script(1).
      const cmd = [binary, "--kubeconfig", c.kubeconfig, "exec", "-it", "web", "--", "sh", "-c", "tty; stty size; exit 7"].map((a) => `'${a}'`).join(" ");
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn("script", ["-qfec", `stty rows 33 cols 101; ${cmd}`, "/dev/null"], { env: { ...process.env, SHELL: "/bin/sh" } });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.on("exit", (code) => resolve({ code, out }));
      });
      expect(r.out).toMatch(/\/dev\/pts\/\d+/);
      expect(r.out).toContain("33 101");
      expect(r.code).toBe(7);
    });

    it("refuses a container the pod does not have, and a pod without a node", async () => {
      let r = await kx(["exec", "web", "-c", "nope", "--", "true"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("container nope is not valid for pod web");
      r = await kx(["exec", "pending", "--", "true"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("pod pending does not have a host assigned");
    });

    it("attaches to a running container", async () => {
      const child = spawn(binary, ["--kubeconfig", c.kubeconfig, "attach", "-i", "att"], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      const received: string[] = [];
      const onStdin = (b: Buffer) => received.push(b.toString());
      attachStdin.on("data", onStdin);
      await until(() => attached.listenerCount("data") > 0);
      attached.emit("data", "stdout", Buffer.from("from the container\n"));
      child.stdin.write("typed\n");
      await until(() => out.includes("from the container") && received.join("").includes("typed"));
      const exited = new Promise<number | null>((r) => child.on("exit", r));
      attached.emit("exit", 0);
      expect(await exited).toBe(0);
      attachStdin.off("data", onStdin);
    });

    it("port-forwards to the pod, answering curl", async () => {
      const local = await freePort();
      const child = spawn(binary, ["--kubeconfig", c.kubeconfig, "port-forward", "pod/web", `${local}:${podPort}`]);
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      child.stderr.on("data", (b: Buffer) => (out += b.toString()));
      try {
        await until(() => out.includes("Forwarding from"));
        for (const n of [1, 2]) {
          const body = await curl(`http://127.0.0.1:${local}/req${n}`);
          expect(body).toBe(`hello from the pod /req${n}\n`);
        }
      } finally {
        child.kill("SIGINT");
      }
    });
  });
}

describe("exec and port-forward with a ServiceAccount token (as in-cluster clients do)", () => {
  it("accepts a valid bearer token on the upgrade, refuses a forged one with 401", async () => {
    await waitFor("default SA", async () => (await c.kubectl(["get", "sa", "default"])).code === 0);
    const token = (await c.k("create", "token", "default", "--duration=10m")).trim();
    const caOnly = caOnlyKubeconfig(c);
    const withToken = (t: string, ...args: string[]) => runKubectl(caOnly, ["--token", t, ...args]);

    expect(await withToken(token, "exec", "web", "--", "sh", "-c", "echo as-sa")).toMatchObject({ code: 0, stdout: "as-sa\n" });
    const forged = `${token.slice(0, -4)}AAAA`;
    const r = await withToken(forged, "exec", "web", "--", "true");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unauthorized|provide credentials/);

    const local = await freePort();
    const child = spawn(KUBECTL, ["--kubeconfig", caOnly, "--token", token, "port-forward", "pod/web", `${local}:${podPort}`]);
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    try {
      await until(() => out.includes("Forwarding from"));
      expect(await curl(`http://127.0.0.1:${local}/sa`)).toBe("hello from the pod /sa\n");
    } finally {
      child.kill("SIGINT");
    }
  });
});

describe("kubelet API authentication", () => {
  it("refuses requests without a client certificate, and users other than the API server and admins", async () => {
    const anon = await kubeletGet("/containerLogs/default/web/app", {});
    expect(anon.code).toBe(401);
    const node = await c.cp.pki.issueClientCert({ commonName: "system:node:fake-node", organizations: ["system:nodes"] });
    const asNode = await kubeletGet("/containerLogs/default/web/app", node);
    expect(asNode.code).toBe(403);
    const asApi = await kubeletGet("/containerLogs/default/web/app", c.cp.pki.kubeletClient);
    expect(asApi.code).toBe(200);
    expect(asApi.body).toMatch(/^first\nsecond, part two\nthird\n/);
  });
});

function kubeletGet(p: string, cred: { cert?: string; key?: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: "127.0.0.1", port: kubelet.port, path: p, rejectUnauthorized: false, cert: cred.cert, key: cred.key }, (res) => {
        let body = "";
        res.on("data", (b: Buffer) => (body += b.toString()));
        res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

function curl(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn("curl", ["-sS", "--max-time", "10", url]);
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err}`))));
  });
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
