// The kubelet's pod lifecycle (src/kubelet/pods) against the in-process control plane, with fake
// runtime modules and a fake runc (fixtures/fake-runc.mjs runs the container's argv on this host):
// status and phases, logs, restart back-off, init containers, image and config errors, probes,
// graceful deletion with the kubelet's final delete, and a restart of the kubelet. The real
// runc, network and images are covered by test/e2e/pods.test.ts.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, Pod } from "kubernetes-types/core/v1.js";
import { isNotFound } from "../../src/client/api-error.js";
import { RestClient } from "../../src/client/rest.js";
import { PodManager, type PodRuntimeDeps } from "../../src/kubelet/pods/index.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

const PODS = { group: "", version: "v1", plural: "pods", namespaced: true };
const EVENTS = { group: "", version: "v1", plural: "events", namespaced: true };
const NODE = "test-node";
const FAKE_RUNC = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/fake-runc.mjs");

let c: TestCluster;
let api: RestClient;
let tmp: string;
let manager: PodManager;
const torn: string[] = [];
const cleaned: string[] = [];

const deps: PodRuntimeDeps = {
  images: {
    resolve: async (ref) => (ref.startsWith("missing") ? undefined : { id: "sha256:0123", repoTags: [ref], config: {}, layers: [], size: 0 }),
  },
  network: {
    setup: async () => ({ netnsPath: "/run/netns/fake", ip: "127.0.0.1", prefixLength: 8, gateway: "" }),
    teardown: async (uid) => void torn.push(uid),
  },
  volumes: {
    prepare: async () => new Map(),
    podFiles: async () => ({ hosts: "", resolvConf: "", hostname: "" }),
    containerMounts: () => [],
    cleanup: async (uid) => void cleaned.push(uid),
  },
  buildOciSpec: (i) => ({ process: { args: i.args, env: i.env }, linux: { cgroupsPath: i.cgroupsPath } }),
  containerArgs: (ctr) => [...(ctr.command ?? []), ...(ctr.args ?? [])],
  mountRootfs: async (_layers, dir) => dir,
  unmountRootfs: async () => {},
  resolveEnv: async (_pod, ctr) => {
    if (ctr.env?.some((e) => e.valueFrom)) throw Object.assign(new Error('configmap "absent" not found'), { reason: "CreateContainerConfigError" });
    return [`PATH=${process.env.PATH}`, ...(ctr.env ?? []).map((e) => `${e.name}=${e.value ?? ""}`)];
  },
};

function startManager(): PodManager {
  return new PodManager({
    client: api,
    nodeName: NODE,
    hostIP: () => "10.1.2.3",
    deps,
    runDir: path.join(tmp, "run"),
    logDir: path.join(tmp, "log"),
    podsDir: path.join(tmp, "pods"),
    runcRoot: path.join(tmp, "runc"),
    runcBinary: FAKE_RUNC,
    backoff: { initialMs: 300, maxMs: 2000 },
  });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mc-pods-"));
  c = await startTestCluster({ store: "memory" });
  api = new RestClient({ server: c.cp.url, ca: c.cp.pki.ca.cert, cert: c.cp.pki.admin.cert, key: c.cp.pki.admin.key });
  manager = startManager();
  await manager.start();
});

afterAll(async () => {
  await manager?.stop();
  await api?.close();
  await c?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function create(name: string, spec: Record<string, unknown>): Promise<Pod> {
  return api.create<Pod>(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { nodeName: NODE, ...spec } } as Pod, { namespace: "default" });
}

async function get(name: string): Promise<Pod | undefined> {
  try {
    return await api.get<Pod>(PODS, name, { namespace: "default" });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function until(name: string, pred: (p: Pod) => boolean, timeoutMs = 15_000): Promise<Pod> {
  const end = Date.now() + timeoutMs;
  let last: Pod | undefined;
  while (Date.now() < end) {
    last = await get(name);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pod ${name}: condition not met; status ${JSON.stringify(last?.status)}`);
}

async function events(name: string): Promise<Event[]> {
  await new Promise((r) => setTimeout(r, 100));
  return (await api.list<Event>(EVENTS, { namespace: "default", fieldSelector: `involvedObject.name=${name}` })).items;
}

const ready = (p: Pod) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ?? false;
const cs = (p: Pod) => p.status!.containerStatuses![0]!;

describe("pod lifecycle (fake runc)", () => {
  it("runs a pod to Running and Ready, writes its CRI log, and the locator finds it", async () => {
    const created = await create("hello", { containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "echo hi; echo oops >&2; exec sleep 60"] }] });
    const p = await until("hello", ready);
    expect(p.status).toMatchObject({ phase: "Running", podIP: "127.0.0.1", hostIP: "10.1.2.3", qosClass: "BestEffort" });
    expect(cs(p)).toMatchObject({ name: "main", image: "busybox", imageID: "sha256:0123", ready: true, started: true, restartCount: 0 });
    expect(cs(p).containerID).toMatch(/^runc:\/\/[0-9a-f]{64}$/);
    const h = manager.container("default", "hello")!;
    expect(h).toMatchObject({ podUid: created.metadata!.uid, container: "main", running: true, tty: false, runcId: cs(p).containerID!.slice(7) });
    expect(h.logPath).toBe(path.join(tmp, "log", `default_hello_${created.metadata!.uid}`, "main", "0.log"));
    const log = fs.readFileSync(h.logPath, "utf8");
    expect(log).toMatch(/^\S+Z stdout F hi$/m);
    expect(log).toMatch(/^\S+Z stderr F oops$/m);
    expect(manager.podNetwork("default", "hello")).toMatchObject({ uid: created.metadata!.uid, ip: "127.0.0.1" });
    expect((await events("hello")).map((e) => e.reason)).toEqual(expect.arrayContaining(["Pulled", "Created", "Started"]));
  });

  it("runs a tty container under a terminal: attach with stdin and resize, exit code, stdout log", async () => {
    await create("tty", { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["sh"], tty: true, stdin: true }] });
    await until("tty", (x) => x.status?.phase === "Running");
    const h = manager.container("default", "tty")!;
    expect(h).toMatchObject({ tty: true, stdin: true, running: true });
    const att = h.attach!();
    expect(att.stdin).toBeDefined();
    let out = "";
    const exited = new Promise<number | undefined>((r) => att.output.once("exit", r));
    att.output.on("data", (_s: string, b: Buffer) => (out += b.toString()));
    await att.resize!({ width: 101, height: 33 });
    att.stdin!.write("tty; stty size; echo hello-$((1+2)); exit 3\n");
    expect(await exited).toBe(3);
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toContain("33 101");
    expect(out).toContain("hello-3");
    const p = await until("tty", (x) => x.status?.phase === "Failed");
    expect(cs(p).state!.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    const log = fs.readFileSync(h.logPath, "utf8");
    expect(log).toMatch(/^\S+Z stdout F hello-3\r?$/m);
    expect(log).not.toMatch(/ stderr /);
  });

  it("restarts a crashing container with back-off (CrashLoopBackOff)", async () => {
    await create("crash", { containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "exit 3"] }] });
    const p = await until("crash", (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CrashLoopBackOff");
    expect(cs(p).lastState?.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(cs(p).state!.waiting!.message).toMatch(/^back-off 1s restarting failed container=c pod=crash_default\(/);
    expect(p.status!.phase).toBe("Running");
    expect((await events("crash")).find((e) => e.reason === "BackOff")?.message).toMatch(/^Back-off restarting failed container c in pod crash_default/);
  });

  it("runs init containers in order, then ends restartPolicy Never pods in Succeeded or Failed", async () => {
    const marker = path.join(tmp, "init-marker");
    await create("ok", {
      restartPolicy: "Never",
      initContainers: [
        { name: "i1", image: "busybox", command: ["sh", "-c", `echo one > ${marker}`] },
        { name: "i2", image: "busybox", command: ["sh", "-c", `echo two >> ${marker}`] },
      ],
      containers: [{ name: "c", image: "busybox", command: ["sh", "-c", `grep -q two ${marker}`] }],
    });
    await create("bad", { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "exit 7"] }] });
    const ok = await until("ok", (x) => x.status?.phase === "Succeeded");
    expect(fs.readFileSync(marker, "utf8")).toBe("one\ntwo\n");
    expect(ok.status!.initContainerStatuses!.map((s) => s.state?.terminated?.reason)).toEqual(["Completed", "Completed"]);
    expect(ok.status!.conditions!.find((x) => x.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    const bad = await until("bad", (x) => x.status?.phase === "Failed");
    expect(cs(bad).state!.terminated).toMatchObject({ exitCode: 7, reason: "Error" });
    expect(torn).toContain(bad.metadata!.uid); // a finished pod's network is gone; its object stays
  });

  it("fails the pod when an init container fails under restartPolicy Never", async () => {
    await create("init-never", { restartPolicy: "Never", initContainers: [{ name: "i", image: "busybox", command: ["false"] }], containers: [{ name: "c", image: "busybox", command: ["true"] }] });
    const p = await until("init-never", (x) => x.status?.phase === "Failed");
    expect(p.status!.initContainerStatuses![0]!.state!.terminated!.exitCode).toBe(1);
    expect(cs(p).state!.waiting!.reason).toBe("PodInitializing");
  });

  it("reports a missing image with how to load it, and config errors", async () => {
    await create("noimage", { containers: [{ name: "c", image: "missing/app:1" }] });
    // ErrImagePull after each failed attempt, ImagePullBackOff while waiting for the next one.
    await until("noimage", (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff");
    const ev = await events("noimage");
    expect(ev.find((e) => e.message?.startsWith("Failed to pull image"))?.message).toContain("minicluster load docker-image missing/app:1");
    expect(ev.find((e) => e.message?.startsWith("Failed to pull image"))?.involvedObject.fieldPath).toBe("spec.containers{c}");

    await create("badenv", { containers: [{ name: "c", image: "busybox", command: ["true"], env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "absent", key: "k" } } }] }] });
    const p = await until("badenv", (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError");
    expect(cs(p).state!.waiting!.message).toBe('configmap "absent" not found');
    expect(p.status!.phase).toBe("Pending");
  });

  it("gates Ready on a readiness probe and restarts on a failing liveness probe", async () => {
    const readyFile = path.join(tmp, "ready-file");
    const aliveFile = path.join(tmp, "alive-file");
    fs.writeFileSync(aliveFile, "");
    await create("probed", {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "c",
          image: "busybox",
          command: ["sleep", "60"],
          readinessProbe: { exec: { command: ["test", "-f", readyFile] }, periodSeconds: 1 },
          livenessProbe: { exec: { command: ["test", "-f", aliveFile] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    const notReady = await until("probed", (x) => x.status?.phase === "Running");
    expect(ready(notReady)).toBe(false);
    for (let i = 0; i < 100 && !(await events("probed")).some((e) => e.reason === "Unhealthy" && e.message?.startsWith("Readiness probe failed")); i++);
    expect(ready((await get("probed"))!)).toBe(false);
    fs.writeFileSync(readyFile, "");
    await until("probed", ready);
    fs.rmSync(aliveFile);
    const restarted = await until("probed", (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(cs(restarted).lastState?.terminated).toBeDefined();
    const ev = await events("probed");
    expect(ev.some((e) => e.reason === "Killing" && e.message === "Container c failed liveness probe, will be restarted")).toBe(true);
    expect(ev.some((e) => e.reason === "Unhealthy" && e.message?.startsWith("Readiness probe failed"))).toBe(true);
  });

  it("stops a deleted pod with SIGTERM within its grace period and deletes the object", async () => {
    const termFile = path.join(tmp, "got-term");
    const p = await create("graceful", {
      terminationGracePeriodSeconds: 10,
      containers: [{ name: "c", image: "busybox", command: ["sh", "-c", `trap 'touch ${termFile}; exit 0' TERM; while true; do sleep 0.1; done`] }],
    });
    await until("graceful", ready);
    const logDir = path.join(tmp, "log", `default_graceful_${p.metadata!.uid}`);
    expect(fs.existsSync(logDir)).toBe(true);
    const t = Date.now();
    await api.delete(PODS, "graceful", { namespace: "default" });
    for (let i = 0; i < 100 && (await get("graceful")); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await get("graceful")).toBeUndefined();
    expect(Date.now() - t).toBeLessThan(5000);
    expect(fs.existsSync(termFile)).toBe(true);
    expect(fs.existsSync(logDir)).toBe(false);
    expect(cleaned).toContain(p.metadata!.uid);
  });

  it("starts pods anew after a kubelet restart, counting the restart", async () => {
    const before = cs(await until("hello", ready));
    await manager.stop();
    manager = startManager();
    await manager.start();
    const after = await until("hello", (x) => ready(x) && x.status!.containerStatuses![0]!.restartCount === before.restartCount + 1);
    expect(cs(after).lastState?.terminated).toMatchObject({ exitCode: 255, reason: "Unknown" });
    expect(cs(after).containerID).not.toBe(before.containerID);
    expect(manager.container("default", "hello")?.previousLogPath).toMatch(/main\/0\.log$/);
    expect((await get("ok"))!.status!.phase).toBe("Succeeded");
  });
});
