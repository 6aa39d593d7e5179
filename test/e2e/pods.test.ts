// Pods as runc containers on a real 2-node cluster: a busybox pod runs and gets Ready, its output
// reaches the CRI log file and `kubectl logs`; a crashing container backs off with growing delays
// (CrashLoopBackOff); restartPolicy Never ends in Succeeded/Failed (after an init container);
// a memory limit kills with OOMKilled; a failing liveness probe restarts; a missing image says how
// to load it; deletion runs preStop and SIGTERM and the kubelet removes the object; a node restart
// starts its pods again. Pods are pinned with spec.nodeName (no scheduler needed).
// MINICLUSTER_E2E_EXE runs another build than dist/minicluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerExec, e2eEnv, eventually } from "../test-utils/e2e.js";
import type { KubectlResult } from "../test-utils/control-plane.js";
import { ensureTestImage } from "../test-utils/images.js";

const env = e2eEnv("pods");
const NAME = "mctest-pods";
const WORKER = `${NAME}-worker`;

let image: string;

interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  imageID?: string;
  state: { running?: { startedAt: string }; waiting?: { reason: string; message?: string }; terminated?: { exitCode: number; reason: string; finishedAt: string } };
  lastState?: { terminated?: { exitCode: number; reason: string; finishedAt: string } };
}
interface PodObj {
  metadata: { name: string; uid: string };
  status: {
    phase: string;
    podIP?: string;
    hostIP?: string;
    qosClass?: string;
    startTime?: string;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

const kubectl = (args: string[], input?: string): Promise<KubectlResult> => env.kubectl(NAME, args, { input, timeoutMs: 120_000 });

async function apply(manifest: object): Promise<void> {
  const r = await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  if (r.code !== 0) throw new Error(r.stderr);
}

async function getPod(name: string): Promise<PodObj | undefined> {
  const r = await kubectl(["get", "pod", name, "-o", "json"]);
  if (r.code !== 0) {
    if (/NotFound/.test(r.stderr)) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout) as PodObj;
}

async function until(name: string, pred: (p: PodObj) => boolean, timeoutMs = 60_000): Promise<PodObj> {
  let last: PodObj | undefined;
  const ok = await eventually(async () => {
    last = await getPod(name);
    return !!last && pred(last);
  }, timeoutMs);
  if (!ok) throw new Error(`pod ${name} did not get there in ${timeoutMs} ms; last status: ${JSON.stringify(last?.status)}`);
  return last!;
}

async function events(name: string): Promise<Array<{ reason: string; message: string; type: string; count?: number }>> {
  const r = await kubectl(["get", "events", "--field-selector", `involvedObject.name=${name}`, "-o", "json"]);
  return (JSON.parse(r.stdout) as { items: Array<{ reason: string; message: string; type: string; count?: number }> }).items;
}

function pod(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: WORKER, ...spec } };
}

const ready = (p: PodObj) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const cs = (p: PodObj) => p.status.containerStatuses?.[0];

beforeAll(async () => {
  image = (await ensureTestImage(docker)).busybox;
  await env.mc(["delete", "--name", NAME]);
  const r = await env.mc(["create", "--name", NAME, "--nodes", "2"]);
  expect(r.code, r.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);
});

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("pods on runc", () => {
  it("runs a busybox pod to Running and Ready, with its status, log file and kubectl logs", async () => {
    await apply(pod("hello", { containers: [{ name: "main", image, command: ["sh", "-c", "echo hello; echo to-stderr >&2; printf partial; sleep 3600"] }] }));
    const p = await until("hello", ready, 30_000);
    expect(p.status.phase).toBe("Running");
    expect(p.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(p.status.hostIP).toBeTruthy();
    expect(p.status.qosClass).toBe("BestEffort");
    expect(p.status.startTime).toBeTruthy();
    const s = cs(p)!;
    expect(s).toMatchObject({ name: "main", ready: true, restartCount: 0 });
    expect(s.containerID).toMatch(/^runc:\/\/[0-9a-f]{64}$/);
    expect(s.imageID).toMatch(/^sha256:/);
    expect(s.state.running?.startedAt).toBeTruthy();
    const types = (p.status.conditions ?? []).map((c) => `${c.type}=${c.status}`);
    expect(types).toEqual(expect.arrayContaining(["Initialized=True", "ContainersReady=True", "Ready=True"]));

    const file = `/var/log/pods/default_hello_${p.metadata.uid}/main/0.log`;
    let text = "";
    await eventually(async () => (text = await dockerExec(WORKER, ["cat", file])).includes("to-stderr"), 10_000);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello$/m);
    expect(text).toMatch(/ stderr F to-stderr$/m);

    let logs: KubectlResult | undefined;
    await eventually(async () => (logs = await kubectl(["logs", "hello"])).stdout.includes("hello"), 10_000);
    expect(logs!.stdout).toContain("hello\n");
    const reasons = (await events("hello")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["Pulled", "Created", "Started"]));
  });

  it("backs off a crashing container with growing delays (CrashLoopBackOff)", async () => {
    await apply(pod("crash", { containers: [{ name: "c", image, command: ["sh", "-c", "echo crashing; exit 3"] }] }));
    // Restarts: the first at once, then after 10 s, then after 20 s; the next wait is 40 s.
    const t0 = Date.now();
    await until("crash", (x) => (cs(x)?.restartCount ?? 0) >= 1, 20_000);
    const first = Date.now() - t0;
    const p = await until("crash", (x) => (cs(x)?.restartCount ?? 0) >= 3 && cs(x)?.state.waiting?.reason === "CrashLoopBackOff", 90_000);
    expect(first).toBeLessThan(8000);
    expect(Date.now() - t0).toBeGreaterThan(28_000);
    const s = cs(p)!;
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(s.state.waiting?.message).toMatch(/^back-off 40s restarting failed container=c pod=crash_default/);
    expect(p.status.phase).toBe("Running");
    const ev = await events("crash");
    expect(ev.find((e) => e.reason === "BackOff")?.message).toMatch(/^Back-off restarting failed container c in pod crash_default/);
  });

  it("ends restartPolicy Never pods in Succeeded or Failed, running init containers first", async () => {
    await apply(
      pod("done-ok", {
        restartPolicy: "Never",
        initContainers: [{ name: "init", image, command: ["sh", "-c", "echo from-init > /work/x"], volumeMounts: [{ name: "w", mountPath: "/work" }] }],
        containers: [{ name: "c", image, command: ["sh", "-c", "cat /work/x"], volumeMounts: [{ name: "w", mountPath: "/work" }] }],
        volumes: [{ name: "w", emptyDir: {} }],
      }),
    );
    await apply(pod("done-fail", { restartPolicy: "Never", containers: [{ name: "c", image, command: ["sh", "-c", "exit 7"] }] }));
    const ok = await until("done-ok", (x) => x.status.phase === "Succeeded");
    expect(ok.status.initContainerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(cs(ok)!.state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect((await kubectl(["logs", "done-ok", "-c", "c"])).stdout).toBe("from-init\n");
    const failed = await until("done-fail", (x) => x.status.phase === "Failed");
    expect(cs(failed)!.state.terminated).toMatchObject({ exitCode: 7, reason: "Error" });
    expect(cs(failed)!.restartCount).toBe(0);
  });

  it("gates Ready on a readiness probe (httpGet) and runs the postStart hook", async () => {
    await apply(
      pod("ready", {
        containers: [
          {
            name: "c",
            image,
            command: ["sh", "-c", "mkdir -p /www; sleep 2; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"],
            readinessProbe: { httpGet: { path: "/index.html", port: 8080 }, periodSeconds: 1 },
            lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo hook > /tmp/poststart"] } } },
          },
        ],
      }),
    );
    const notYet = await until("ready", (x) => x.status.phase === "Running");
    expect(notYet.status.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    await until("ready", ready, 30_000);
    const ev = await events("ready");
    expect(ev.some((e) => e.reason === "Unhealthy" && e.message.startsWith("Readiness probe failed: "))).toBe(true);
    const r = await kubectl(["exec", "ready", "--", "cat", "/tmp/poststart"]);
    expect(r.stdout).toBe("hook\n");
  });

  it("keeps the termination message a container writes", async () => {
    await apply(pod("message", { restartPolicy: "Never", containers: [{ name: "c", image, command: ["sh", "-c", "echo goodbye > /dev/termination-log; exit 1"] }] }));
    const p = await until("message", (x) => x.status.phase === "Failed");
    expect(cs(p)!.state.terminated).toMatchObject({ exitCode: 1, reason: "Error", message: "goodbye\n" });
  });

  it("reports OOMKilled when a container exceeds its memory limit", async () => {
    await apply(
      pod("oom", {
        restartPolicy: "Never",
        containers: [{ name: "c", image, command: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"], resources: { limits: { memory: "20Mi" } } }],
      }),
    );
    const p = await until("oom", (x) => x.status.phase === "Failed");
    expect(cs(p)!.state.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
  });

  it("restarts a container whose liveness probe fails", async () => {
    await apply(
      pod("live", {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: "c",
            image,
            command: ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600"],
            livenessProbe: { exec: { command: ["cat", "/tmp/healthy"] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    const p = await until("live", (x) => (cs(x)?.restartCount ?? 0) >= 1, 60_000);
    expect(cs(p)!.lastState?.terminated?.exitCode).toBe(137); // sh as PID 1 ignores SIGTERM: killed after the grace period
    const ev = await events("live");
    expect(ev.some((e) => e.reason === "Unhealthy" && e.message.startsWith("Liveness probe failed: cat: can't open '/tmp/healthy'"))).toBe(true);
    expect(ev.some((e) => e.reason === "Killing" && e.message === "Container c failed liveness probe, will be restarted")).toBe(true);
  });

  it("says how to load a missing image (ErrImagePull, then ImagePullBackOff)", async () => {
    await apply(pod("noimage", { containers: [{ name: "c", image: "mctest/not-loaded:1" }] }));
    await until("noimage", (x) => ["ErrImagePull", "ImagePullBackOff"].includes(cs(x)?.state.waiting?.reason ?? ""));
    await until("noimage", (x) => cs(x)?.state.waiting?.reason === "ImagePullBackOff", 30_000);
    const ev = await events("noimage");
    expect(ev.find((e) => e.reason === "Failed" && e.message.startsWith("Failed to pull image"))?.message).toContain("minicluster load docker-image mctest/not-loaded:1");
  });

  it("stops a deleted pod gracefully (preStop, SIGTERM) and the kubelet removes the object", async () => {
    await apply(
      pod("graceful", {
        terminationGracePeriodSeconds: 20,
        containers: [
          {
            name: "c",
            image,
            command: ["sh", "-c", "trap '[ -f /h/prestop ] && touch /h/term-after-prestop; exit 0' TERM; while true; do sleep 0.2; done"],
            lifecycle: { preStop: { exec: { command: ["touch", "/h/prestop"] } } },
            volumeMounts: [{ name: "h", mountPath: "/h" }],
          },
        ],
        volumes: [{ name: "h", hostPath: { path: "/tmp/mctest-graceful", type: "DirectoryOrCreate" } }],
      }),
    );
    const p = await until("graceful", ready);
    const dir = `/var/log/pods/default_graceful_${p.metadata.uid}`;
    const started = Date.now();
    const d = await kubectl(["delete", "pod", "graceful", "--timeout=60s"]);
    expect(d.code, d.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000); // the container exits on SIGTERM, not at the end of the grace period
    expect(await getPod("graceful")).toBeUndefined();
    await expect(dockerExec(WORKER, ["ls", dir])).rejects.toThrow();
    expect(await dockerExec(WORKER, ["ls", "/tmp/mctest-graceful"])).toBe("prestop\nterm-after-prestop\n");
    const ev = await events("graceful");
    expect(ev.some((e) => e.reason === "Killing" && e.message === "Stopping container c")).toBe(true);
  });

  it("starts a node's pods again after the node restarts", async () => {
    const before = await until("hello", ready);
    await docker.getContainer(WORKER).restart();
    const after = await until("hello", (x) => ready(x) && (cs(x)?.restartCount ?? 0) === (cs(before)?.restartCount ?? 0) + 1, 60_000);
    expect(cs(after)!.lastState?.terminated?.reason).toBe("Unknown");
    expect(cs(after)!.containerID).not.toBe(cs(before)!.containerID);
    // Completed pods stay as they were.
    expect((await getPod("done-ok"))!.status.phase).toBe("Succeeded");
  });
});
