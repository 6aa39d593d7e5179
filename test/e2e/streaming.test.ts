// logs, exec, attach and port-forward with the real kubectl through the API server to a real
// kubelet and runc containers on a 2-node cluster: kubectl 1.32 (WebSocket v5, SPDY tunnelled in a
// WebSocket for port-forward) and 1.28 (SPDY). Exit codes, stdin, an interactive terminal with
// its size and a resize, logs -f, port-forward answered by curl, and the kubelet API refusing
// callers that are not the API server or an admin.
// MINICLUSTER_E2E_EXE runs another build than dist/minicluster.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, e2eEnv, eventually } from "../test-utils/e2e.js";
import { KUBECTL, type KubectlResult } from "../test-utils/control-plane.js";
import { ensureTestImage } from "../test-utils/images.js";
import { freePort } from "../test-utils/ports.js";

const env = e2eEnv("streaming");
const { kubeconfig } = env;
const NAME = "mctest-streaming";
const WORKER = `${NAME}-worker`;
const KUBECTL_128 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.28";

let busybox: string;

const kubectl = (args: string[], opts: { input?: string; binary?: string } = {}): Promise<KubectlResult> => env.kubectl(NAME, args, { ...opts, timeoutMs: 60_000 });

/**
 * Runs a shell command line under script(1) so kubectl sees a terminal (rows x cols), killed after
 * 60 s. `whileRunning` gets script's pid; `type.input` is typed once the output matches `type.when`.
 */
function underTerminal(
  cmdline: string,
  rows: number,
  cols: number,
  opts: { whileRunning?: (pid: number) => Promise<void>; type?: { when: RegExp; input: string } },
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Keep script's stdin open (a pipe we never end): EOF on it would reach kubectl as ^D.
    const child = spawn("script", ["-qfec", `stty rows ${rows} cols ${cols}; ${cmdline}`, "/dev/null"], { env: { ...process.env, SHELL: "/bin/sh", KUBECONFIG: kubeconfig } });
    let out = "";
    let typed = false;
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (opts.type && !typed && opts.type.when.test(out)) {
        typed = true;
        const input = opts.type.input;
        setTimeout(() => child.stdin.write(input), 300);
      }
    });
    if (opts.whileRunning) void opts.whileRunning(child.pid!);
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

beforeAll(async () => {
  const image = (busybox = (await ensureTestImage(docker)).busybox);
  await env.mc(["delete", "--name", NAME]);
  const r = await env.mc(["create", "--name", NAME, "--nodes", "2"]);
  expect(r.code, r.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "box" },
    spec: {
      nodeName: WORKER,
      containers: [
        { name: "main", image, command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"] },
        { name: "web", image, command: ["sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -p 127.0.0.1:9090 -h /www && exec httpd -f -p 8080 -h /www"] },
      ],
    },
  };
  const a = await kubectl(["apply", "-f", "-"], { input: JSON.stringify(manifest) });
  expect(a.code, a.stderr).toBe(0);
  const w = await kubectl(["wait", "--for=condition=Ready", "pod/box", "--timeout=60s"]);
  expect(w.code, w.stderr).toBe(0);
});

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("logs", () => {
  it("prints, tails with timestamps and follows a container's output", async () => {
    let r: KubectlResult | undefined;
    await eventually(async () => (r = await kubectl(["logs", "box", "-c", "main", "--tail=2", "--timestamps"])).stdout.split("\n").length === 3, 10_000);
    r = r!;
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z tick \d+\n\d{4}-\d\d-\d\dT[\d:.]+Z tick \d+\n$/);
    const child = spawn(KUBECTL, ["--kubeconfig", kubeconfig, "logs", "-f", "box", "-c", "main", "--tail=1"]);
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const grew = await eventually(async () => out.split("\n").length > 4, 10_000, 50);
    child.kill();
    expect(grew, out).toBe(true);
    const n = out.trim().split("\n").map((l) => Number(l.replace("tick ", "")));
    expect(n.slice(1)).toEqual(n.slice(1).map((_, i) => n[0] + i + 1));
  });
});

for (const [label, binary] of [
  ["kubectl 1.32", KUBECTL],
  ["kubectl 1.28", KUBECTL_128],
] as const) {
  describe(`exec and port-forward, ${label}`, () => {
    it("runs commands in the container with stdin, stdout, stderr and exit codes", async () => {
      let r = await kubectl(["exec", "box", "-c", "main", "--", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo err >&2"], { binary });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("sh -c i=0;");
      expect(r.stderr).toContain("err");
      r = await kubectl(["exec", "-i", "box", "-c", "main", "--", "sh", "-c", "wc -l"], { binary, input: "1\n2\n3\n" });
      expect(r.stdout.trim()).toBe("3");
      r = await kubectl(["exec", "box", "-c", "main", "--", "sh", "-c", "exit 3"], { binary });
      expect(r.code).toBe(3);
    });

    it("gives an interactive terminal with the client's size, and follows a resize", async () => {
      const line = `'${binary}' exec -it box -c main -- sh -c 'tty; stty size; sleep 2; stty size; exit 5'`;
      const r = await underTerminal(line, 40, 132, {
        whileRunning: async (scriptPid) => {
          // Resize kubectl's terminal once the command runs: kubectl sends the new size.
          await eventually(async () => fs.readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim() !== "", 5_000, 20);
          await new Promise((res) => setTimeout(res, 1000));
          const shPid = fs.readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim().split(/\s+/)[0];
          const pts = fs.readlinkSync(`/proc/${shPid}/fd/0`);
          await new Promise((res) => execFile("stty", ["-F", pts, "rows", "50", "cols", "150"], res));
        },
      });
      expect(r.out).toMatch(/\/dev\/pts\/\d+\r\n40 132\r\n50 150\r\n/);
      expect(r.code).toBe(5);
    });

    it("runs a tty pod with `run -it --rm`: attach with the client's size, the exit code, the pod removed", async () => {
      const pod = `tty-${binary === KUBECTL ? "new" : "old"}`;
      const line = `'${binary}' run -it --rm ${pod} --image=${busybox} --restart=Never -- sh; echo "kubectl-rc=$?"`;
      const r = await underTerminal(line, 30, 100, { type: { when: /command prompt/, input: "stty size; echo hello-$((1+2)); exit 3\r" } });
      expect(r.out).toContain("30 100\r\nhello-3\r\n");
      expect(r.out).not.toContain("falling back to streaming logs");
      expect(r.out).toContain("kubectl-rc=3");
      expect((await kubectl(["get", "pod", pod, "--ignore-not-found", "-o", "name"])).stdout).toBe("");
    });

    it("port-forwards to the pod, answering curl, to its localhost too (a server bound to 127.0.0.1)", async () => {
      const local = await freePort();
      const localOnly = await freePort();
      const child = spawn(binary, ["--kubeconfig", kubeconfig, "port-forward", "pod/box", `${local}:8080`, `${localOnly}:9090`]);
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      try {
        expect(await eventually(async () => out.includes("Forwarding from"), 10_000, 50)).toBe(true);
        for (const port of [local, local, localOnly, localOnly]) {
          const body = await new Promise<string>((resolve, reject) =>
            execFile("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${port}/`], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
          );
          expect(body).toBe("hello-from-pod\n");
        }
      } finally {
        child.kill("SIGINT");
      }
    });
  });
}

describe("the kubelet API", () => {
  it("answers only the API server and admins: anonymous 401, a node's certificate 403, the admin 200", async () => {
    const ip = (await kubectl(["get", "node", WORKER, "-o", "jsonpath={.status.addresses[?(@.type=='InternalIP')].address}"])).stdout;
    const url = `https://${ip}:10250/containerLogs/default/box/main?tailLines=1`;
    // The node's own kubelet certificate, and the admin's from the kubeconfig.
    const dir = fs.mkdtempSync(path.join(env.home, "certs-"));
    for (const f of ["kubelet.crt", "kubelet.key"]) {
      await new Promise((res, rej) => execFile("docker", ["cp", `${WORKER}:/etc/minicluster/pki/${f}`, path.join(dir, f)], (e) => (e ? rej(e) : res(undefined))));
    }
    const view = await kubectl(["config", "view", "--raw", "--minify", "-o", "json"]);
    const user = (JSON.parse(view.stdout) as { users: Array<{ user: Record<string, string> }> }).users[0].user;
    fs.writeFileSync(path.join(dir, "admin.crt"), Buffer.from(user["client-certificate-data"], "base64"));
    fs.writeFileSync(path.join(dir, "admin.key"), Buffer.from(user["client-key-data"], "base64"));
    const status = (extra: string[]) =>
      new Promise<string>((resolve) => execFile("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...extra, url], (_e, stdout) => resolve(stdout)));
    expect(await status([])).toBe("401");
    expect(await status(["--cert", path.join(dir, "kubelet.crt"), "--key", path.join(dir, "kubelet.key")])).toBe("403");
    expect(await status(["--cert", path.join(dir, "admin.crt"), "--key", path.join(dir, "admin.key")])).toBe("200");
  });
});

