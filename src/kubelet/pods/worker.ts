// One pod's lifecycle on this node. Every change (the pod object, a container exit, a probe
// result, a back-off timer) calls kick(); sync() runs one at a time per pod and compares what
// should run with what does: sandbox (network, volumes) → init containers in order, each to
// completion → app containers, restarted per restartPolicy with back-off → status. A pod with a
// deletionTimestamp (or gone from the API) is stopped: preStop, SIGTERM, the grace period,
// SIGKILL, cleanup, then the kubelet's final delete.

import { EventEmitter } from "node:events";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, promises as fs, type WriteStream } from "node:fs";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import type { Container, ContainerState as K8sContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodStatus, Probe } from "kubernetes-types/core/v1.js";
import { isNotFound } from "../../client/api-error.js";
import type { ResourceRef } from "../../client/paths.js";
import type { RestClient } from "../../client/rest.js";
import type { BackOff } from "./backoff.js";
import { memoryFailures, oomKills, podCgroup, prepareMemoryCgroup, removeCgroupTree } from "./cgroups.js";
import { CriLineSplitter, rfc3339Nano, type LogStream } from "./cri-log.js";
import { envPairs, type PodFiles, type PodNetworkResult, type PodRuntimeDeps, type VolumeMap } from "./deps.js";
import { containerFieldPath, type EventRecorder } from "./events.js";
import { runHandler, type HandlerSpec } from "./handlers.js";
import { ProbeState, probeTiming, type ProbeKind } from "./probe-state.js";
import { ptyResizer, type Runc } from "./runc.js";
import type { TerminalSize } from "../../streaming/index.js";
import { computePodStatus, podStatusChanged } from "./status.js";
import { errorChain } from "../../common/error-chain.js";

export const PODS: ResourceRef = { group: "", version: "v1", plural: "pods", namespaced: true };

export interface WorkerEnv {
  client: RestClient;
  nodeName: string;
  hostIP(): string | undefined;
  deps: PodRuntimeDeps;
  runc: Runc;
  events: EventRecorder;
  log(msg: string): void;
  /** /run/minicluster/pods: bundles and rootfs mounts. */
  runDir: string;
  /** /var/log/pods: CRI log files. */
  logDir: string;
  /** The node's own cgroup (pods go below <own>/kubepods). */
  ownCgroup: string;
  backoff: BackOff;
  /** Between attempts to find a missing image (shorter than Kubernetes' 5 min: loading an image is a local, quick act). */
  imageBackoff: BackOff;
  now(): Date;
  /** The worker is finished (pod gone and cleaned up). */
  onDone(uid: string): void;
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** One run of one container. */
export class Attempt {
  readonly output = new EventEmitter();
  finished = false;
  exitCode?: number;
  finishedAt?: Date;
  killedBy?: string;
  stdin?: NodeJS.WritableStream;
  /** A tty container's: sets its terminal's size. */
  resize?: (size: TerminalSize) => Promise<void>;
  readonly abort = new AbortController();
  exited!: Promise<void>;
  proc?: ChildProcess;
  memCgroup?: string;
  oomBefore?: number;
  constructor(
    readonly id: string,
    readonly restartCount: number,
    readonly bundleDir: string,
    readonly logPath: string,
    readonly startedAt: Date,
  ) {
    this.output.setMaxListeners(50);
  }
}

/** A container of the pod: its reported status and its current (or last) run. */
export class Ctr {
  attempt?: Attempt;
  previousLogPath?: string;
  /** It ran before (in this kubelet's life or the last): the next start is a restart. */
  hadRun = false;
  constructor(
    public spec: Container,
    readonly init: boolean,
    public status: ContainerStatus,
  ) {}
  get fieldPath(): string {
    return containerFieldPath(this.spec.name, this.init);
  }
}

function waitingStatus(c: Container, reason: string, message?: string): ContainerStatus {
  return { name: c.name, image: c.image ?? "", imageID: "", ready: false, started: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly containers = new Map<string, Ctr>();
  private gone = false;
  private syncing = false;
  private dirty = false;
  private stopped = false;
  private retryMs = 0;
  private timer?: NodeJS.Timeout;
  private sandbox?: { net: PodNetworkResult; volumes: VolumeMap; files: PodFiles };
  private finalPhase?: "Succeeded" | "Failed";
  private cleanedUp = false;
  private terminating = false;
  private killDeadline = Infinity;
  private startTime?: string;
  private done = false;
  private idleWaiters: Array<() => void> = [];
  /** When looking for a container's image last failed. */
  private readonly lastPullFailure = new Map<string, number>();
  /** How long the sandbox took (logged with the first container start). */
  private timings: { network?: number; volumes?: number } = {};

  constructor(
    pod: Pod,
    private readonly env: WorkerEnv,
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.startTime = pod.status?.startTime;
    const prev = pod.status ?? {};
    if (prev.phase === "Succeeded" || prev.phase === "Failed") this.finalPhase = prev.phase;
    const old = new Map<string, ContainerStatus>([...(prev.initContainerStatuses ?? []), ...(prev.containerStatuses ?? [])].map((s) => [s.name, s]));
    for (const [list, init] of [
      [pod.spec?.initContainers ?? [], true],
      [pod.spec?.containers ?? [], false],
    ] as const) {
      for (const c of list) {
        const ctr = new Ctr(c, init, waitingStatus(c, init ? "PodInitializing" : this.hasInit() ? "PodInitializing" : "ContainerCreating"));
        const o = old.get(c.name);
        if (o && !this.finalPhase) this.adoptPrevious(ctr, o);
        else if (o) ctr.status = o;
        this.containers.set(c.name, ctr);
      }
    }
  }

  /** A container that ran under an earlier kubelet (the node restarted): its run ended unseen. */
  private adoptPrevious(ctr: Ctr, o: ContainerStatus): void {
    const ran = !!(o.state?.running || o.state?.terminated || o.lastState?.terminated);
    if (!ran) return;
    ctr.hadRun = true;
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    let last: ContainerStateTerminated | undefined = o.state?.terminated ?? o.lastState?.terminated;
    if (o.state?.running) {
      last = { exitCode: 255, reason: "Unknown", message: "The container was running when the node restarted", startedAt: o.state.running.startedAt, finishedAt: seconds(this.env.now()), containerID: o.containerID };
    }
    const stays = o.state?.terminated && !ctr.init && (policy === "Never" || (policy === "OnFailure" && o.state.terminated.exitCode === 0));
    if (stays) {
      ctr.status = { ...o, ready: false, started: false };
      return;
    }
    if (policy === "Never" && !ctr.init && o.state?.running) {
      ctr.status = { ...o, ready: false, started: false, state: { terminated: last! } };
      return;
    }
    ctr.status = { ...o, ready: false, started: false, state: { waiting: { reason: "ContainerCreating" } }, ...(last ? { lastState: { terminated: last } } : {}) };
  }

  private hasInit(): boolean {
    return (this.pod.spec?.initContainers?.length ?? 0) > 0;
  }

  get namespace(): string {
    return this.pod.metadata!.namespace!;
  }
  get name(): string {
    return this.pod.metadata!.name!;
  }
  get podIP(): string | undefined {
    return this.sandbox?.net.ip || undefined;
  }
  get netnsPath(): string | undefined {
    return this.sandbox?.net.netnsPath;
  }

  /** A newer version of the pod object. */
  update(pod: Pod): void {
    const cur = Number(this.pod.metadata?.resourceVersion ?? 0);
    const next = Number(pod.metadata?.resourceVersion ?? 0);
    if (next && cur && next < cur) return;
    this.pod = pod;
    if (this.terminating) this.killDeadline = Math.min(this.killDeadline, this.deadlineFromPod());
    this.kick();
  }

  /** The pod object is gone from the API (or no longer bound here). */
  remove(): void {
    this.gone = true;
    this.killDeadline = Math.min(this.killDeadline, Date.now());
    this.kick();
  }

  /** Stops the worker without touching containers or the API (kubelet shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.containers.values()) c.attempt?.abort.abort();
  }

  /** Kills every running container at once (kubelet shutdown: nothing may outlive the node process). */
  async killAll(): Promise<void> {
    await Promise.all(
      [...this.containers.values()].map(async (c) => {
        const a = c.attempt;
        if (!a || a.finished) return;
        a.killedBy = "shutdown";
        if (!(await this.env.runc.kill(a.id, "KILL"))) a.proc?.kill("SIGKILL");
        await Promise.race([a.exited, sleep(5000)]);
      }),
    );
  }

  idle(): Promise<void> {
    if (!this.syncing) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  kick(): void {
    if (this.stopped || this.done) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    void this.loop();
  }

  private kickAfter(ms: number): void {
    if (this.stopped || this.done) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    this.syncing = true;
    try {
      do {
        this.dirty = false;
        try {
          await this.sync();
          this.retryMs = 0;
        } catch (err) {
          if (this.stopped) break;
          this.retryMs = Math.min(Math.max(500, this.retryMs * 2), 30_000);
          this.env.log(`pod ${this.namespace}/${this.name}: ${errorChain(err)} (retrying in ${this.retryMs} ms)`);
          this.kickAfter(this.retryMs);
        }
      } while (this.dirty && !this.stopped && !this.done);
    } finally {
      this.syncing = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  // ---- the reconcile step

  private async sync(): Promise<void> {
    const pod = this.pod;
    if (this.gone || pod.metadata?.deletionTimestamp) return this.terminate();
    if (this.finalPhase) {
      await this.cleanupRuntime();
      await this.postStatus();
      return;
    }
    this.startTime ??= seconds(this.env.now());
    if (!(await this.ensureSandbox())) {
      await this.postStatus();
      return;
    }
    await this.applySpecChanges();
    if (await this.syncInitContainers()) await this.syncAppContainers();
    const status = this.computeStatus();
    if (status.phase === "Succeeded" || status.phase === "Failed") {
      this.finalPhase = status.phase;
      await this.cleanupRuntime();
    }
    await this.postStatus();
  }

  private async ensureSandbox(): Promise<boolean> {
    if (this.sandbox) return true;
    const pod = this.pod;
    // The network and the volumes do not depend on each other: set them up at the same time.
    const t = Date.now();
    const hostNetwork = !!pod.spec?.hostNetwork;
    const setupNet = hostNetwork
      ? Promise.resolve<PodNetworkResult>({ netnsPath: "", ip: this.env.hostIP() ?? "", prefixLength: 32, gateway: "" })
      : this.env.deps.network.setup({ uid: this.uid, namespace: this.namespace, name: this.name });
    const netP = setupNet.then((r) => {
      this.timings.network = Date.now() - t;
      return r;
    });
    const volP = this.env.deps.volumes.prepare(pod).then((r) => {
      this.timings.volumes = Date.now() - t;
      return r;
    });
    const [netR, volR] = await Promise.allSettled([netP, volP]);
    if (netR.status === "rejected") {
      this.env.events.record(pod, "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${errorChain(netR.reason)}`);
      throw netR.reason;
    }
    const net = netR.value;
    let volumes: VolumeMap;
    let files: PodFiles;
    try {
      if (volR.status === "rejected") throw volR.reason;
      volumes = volR.value;
      files = await this.env.deps.volumes.podFiles(pod, net.ip);
    } catch (err) {
      const isSetupError = (err as { reason?: unknown }).reason === "FailedMount";
      this.env.events.record(pod, "Warning", "FailedMount", isSetupError ? (err as Error).message : `MountVolume.SetUp failed: ${errorChain(err)}`);
      throw err;
    }
    this.sandbox = { net, volumes, files };
    this.cleanedUp = false;
    return true;
  }

  /** A changed image (the one mutable field of a container) restarts the container with the new one. */
  private async applySpecChanges(): Promise<void> {
    for (const c of [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])]) {
      const ctr = this.containers.get(c.name);
      if (!ctr || ctr.spec.image === c.image) continue;
      ctr.spec = c;
      const a = ctr.attempt;
      if (a && !a.finished && !ctr.init) {
        const deadline = Date.now() + this.graceMs();
        await this.killContainer(ctr, () => deadline, "spec change", `Container ${c.name} definition changed, will be restarted`);
        // A restart for a new image is not a crash: no back-off.
        this.env.backoff.forget(`${this.uid}/${c.name}`);
      }
    }
  }

  /** Runs init containers in order; true when all completed. */
  private async syncInitContainers(): Promise<boolean> {
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    for (const c of this.pod.spec?.initContainers ?? []) {
      const ctr = this.containers.get(c.name)!;
      const term = ctr.status.state?.terminated;
      if (ctr.attempt && !ctr.attempt.finished) return false;
      if (term && term.exitCode === 0 && !ctr.status.state?.waiting) continue;
      if (term && policy === "Never") return false; // failed: the pod fails
      await this.startWithBackOff(ctr);
      return false;
    }
    return true;
  }

  private async syncAppContainers(): Promise<void> {
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    for (const c of this.pod.spec?.containers ?? []) {
      const ctr = this.containers.get(c.name)!;
      if (ctr.attempt && !ctr.attempt.finished) continue;
      const term = ctr.status.state?.terminated;
      if (term) {
        const restart = policy === "Always" || (policy === "OnFailure" && term.exitCode !== 0);
        if (!restart) continue;
      }
      await this.startWithBackOff(ctr);
    }
  }

  /** Starts (or restarts after the back-off) a container that is not running. */
  private async startWithBackOff(ctr: Ctr): Promise<void> {
    const term = ctr.status.state?.terminated ?? (ctr.status.state?.waiting ? ctr.status.lastState?.terminated : undefined);
    if (ctr.hadRun && term) {
      const key = `${this.uid}/${ctr.spec.name}`;
      const finished = Date.parse(term.finishedAt ?? "") || this.env.now().getTime();
      const now = this.env.now().getTime();
      const remaining = this.env.backoff.remainingMs(key, finished, now);
      if (ctr.status.state?.terminated) ctr.status = { ...ctr.status, lastState: { terminated: ctr.status.state.terminated } };
      if (remaining > 0) {
        const step = Math.round(this.env.backoff.currentMs(key) / 1000);
        const wasBackingOff = ctr.status.state?.waiting?.reason === "CrashLoopBackOff";
        ctr.status = {
          ...ctr.status,
          ready: false,
          started: false,
          state: { waiting: { reason: "CrashLoopBackOff", message: `back-off ${formatDuration(step)} restarting failed container=${ctr.spec.name} pod=${this.name}_${this.namespace}(${this.uid})` } },
        };
        if (!wasBackingOff) this.env.events.record(this.pod, "Warning", "BackOff", `Back-off restarting failed container ${ctr.spec.name} in pod ${this.name}_${this.namespace}(${this.uid})`, ctr.fieldPath);
        this.kickAfter(remaining + 10);
        return;
      }
      this.env.backoff.next(key, finished);
    }
    await this.startContainer(ctr);
  }

  private async startContainer(ctr: Ctr): Promise<void> {
    const { deps, events } = this.env;
    const pod = this.pod;
    const c = ctr.spec;
    const imageRef = c.image ?? "";
    const t0 = Date.now();
    const imageKey = `${this.uid}/${c.name}/image`;
    const nowMs = this.env.now().getTime();
    const pullWait = this.env.imageBackoff.remainingMs(imageKey, this.lastPullFailure.get(c.name) ?? 0, nowMs);
    if (pullWait > 0) {
      // Waiting before the next attempt (Kubernetes tries a pull again only after the back-off).
      ctr.status = { ...ctr.status, state: { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${imageRef}"` } } };
      events.record(pod, "Normal", "BackOff", `Back-off pulling image "${imageRef}"`, ctr.fieldPath);
      events.record(pod, "Warning", "Failed", "Error: ImagePullBackOff", ctr.fieldPath);
      this.kickAfter(pullWait + 10);
      return;
    }
    const image = await deps.images.resolve(imageRef);
    const tImage = Date.now();
    if (!image) {
      this.lastPullFailure.set(c.name, nowMs);
      this.env.imageBackoff.next(imageKey, nowMs);
      const message = `image "${imageRef}" is not present on node ${this.env.nodeName} and pulling is not supported: load it with \`minicluster load docker-image ${imageRef}\``;
      ctr.status = { ...ctr.status, state: { waiting: { reason: "ErrImagePull", message } } };
      events.record(pod, "Warning", "Failed", `Failed to pull image "${imageRef}": ${message}`, ctr.fieldPath);
      events.record(pod, "Warning", "Failed", "Error: ErrImagePull", ctr.fieldPath);
      this.kickAfter(this.env.imageBackoff.currentMs(imageKey) + 10);
      return;
    }
    this.env.imageBackoff.forget(imageKey);
    this.lastPullFailure.delete(c.name);
    events.record(pod, "Normal", "Pulled", `Container image "${imageRef}" already present on machine`, ctr.fieldPath);
    const sandbox = this.sandbox!;
    const hostIP = this.env.hostIP() ?? "";
    let envList: string[];
    try {
      envList = await deps.resolveEnv(pod, c, image, { client: this.env.client, nodeName: this.env.nodeName, hostIP, podIP: sandbox.net.ip });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const reason = (err as { reason?: unknown }).reason;
      ctr.status = { ...ctr.status, imageID: image.id, state: { waiting: { reason: typeof reason === "string" ? reason : "CreateContainerConfigError", message: msg } } };
      events.record(pod, "Warning", "Failed", `Error: ${msg}`, ctr.fieldPath);
      this.kickAfter(10_000);
      return;
    }

    const restartCount = ctr.hadRun ? ctr.status.restartCount + 1 : ctr.status.restartCount;
    const id = createHash("sha256").update(`${this.uid}/${c.name}/${restartCount}/${randomBytes(8).toString("hex")}`).digest("hex");
    const bundleDir = path.join(this.env.runDir, this.uid, `${c.name}-${restartCount}`);
    const logDir = path.join(this.env.logDir, `${this.namespace}_${this.name}_${this.uid}`, c.name);
    const logPath = path.join(logDir, `${restartCount}.log`);
    const attempt = new Attempt(id, restartCount, bundleDir, logPath, this.env.now());
    let spawned = false;
    const mark = { env: 0, rootfs: 0, spawn: 0 };
    try {
      await fs.rm(bundleDir, { recursive: true, force: true });
      await fs.mkdir(bundleDir, { recursive: true });
      await fs.mkdir(logDir, { recursive: true });
      await this.pruneLogs(logDir, restartCount);
      mark.env = Date.now();
      const rootfs = await deps.mountRootfs(image.layers, bundleDir);
      mark.rootfs = Date.now();
      const pairs = envPairs(envList);
      const mounts = deps.volumes.containerMounts(pod, c, sandbox.volumes, sandbox.files, pairs);
      const args = deps.containerArgs(c, image, pairs);
      const user = deps.resolveUser ? await deps.resolveUser(rootfs, pod, c, image) : undefined;
      const podCg = podCgroup(this.env.ownCgroup, this.uid);
      const spec = deps.buildOciSpec({
        pod,
        container: c,
        image,
        rootfs,
        // As containerd does for a tty (its WithTTY).
        env: c.tty && !envList.some((e) => e.startsWith("TERM=")) ? [...envList, "TERM=xterm"] : envList,
        mounts,
        netnsPath: sandbox.net.netnsPath,
        hostname: pod.spec?.hostname ?? this.name,
        cgroupsPath: `${podCg}/${id}`,
        args,
        tty: !!c.tty,
        stdin: !!c.stdin,
        ...(user !== undefined ? { user } : {}),
      }) as { linux?: { cgroupsPath?: string; resources?: { memory?: { limit?: number } } } };
      // The memory limit goes on a cgroup of ours around runc's, so the OOM-kill count survives the container.
      const limit = spec.linux?.resources?.memory?.limit;
      if (limit && limit > 0 && (await prepareMemoryCgroup(`${podCg}/${id}`, limit))) {
        attempt.memCgroup = `${podCg}/${id}`;
        attempt.oomBefore = await oomKills(attempt.memCgroup);
        delete spec.linux!.resources!.memory!.limit;
        spec.linux!.cgroupsPath = `${podCg}/${id}/ctr`;
      }
      await fs.writeFile(path.join(bundleDir, "config.json"), JSON.stringify(spec));
      mark.spawn = Date.now();
      this.spawn(ctr, attempt, !!c.stdin, !!c.tty);
      spawned = true;
    } catch (err) {
      const msg = errorChain(err);
      if (!spawned) {
        await deps.unmountRootfs(bundleDir).catch(() => {});
        ctr.status = { ...ctr.status, imageID: image.id, state: { waiting: { reason: "CreateContainerError", message: msg } } };
        events.record(pod, "Warning", "Failed", `Error: ${msg}`, ctr.fieldPath);
        this.kickAfter(10_000);
        return;
      }
      throw err;
    }
    if (ctr.attempt) ctr.previousLogPath = ctr.attempt.logPath;
    ctr.attempt = attempt;
    ctr.hadRun = true;
    const hasStartup = !!c.startupProbe;
    ctr.status = {
      name: c.name,
      image: imageRef,
      imageID: image.id,
      containerID: `runc://${id}`,
      ready: false,
      started: !hasStartup,
      restartCount,
      state: { running: { startedAt: seconds(attempt.startedAt) } },
      ...(ctr.status.lastState ? { lastState: ctr.status.lastState } : {}),
    };
    if (!c.readinessProbe && !hasStartup && !ctr.init) ctr.status.ready = true;
    events.record(pod, "Normal", "Created", `Created container ${c.name}`, ctr.fieldPath);
    // runc writes the pid file once the container's process runs: only then can hooks and probes exec into it.
    await waitForFile(path.join(bundleDir, "pid"), attempt, 10_000);
    if (attempt.finished) return;
    const tRun = Date.now();
    if (this.timings.network !== undefined) {
      this.env.log(
        `pod ${this.namespace}/${this.name}: sandbox ${Math.max(this.timings.network, this.timings.volumes ?? 0)} ms (network ${this.timings.network}, volumes ${this.timings.volumes ?? 0}); ` +
          `container ${c.name} started in ${tRun - t0} ms (image ${tImage - t0}, env ${mark.env - tImage}, rootfs ${mark.rootfs - mark.env}, spec ${mark.spawn - mark.rootfs}, runc ${tRun - mark.spawn})`,
      );
      this.timings = {};
    }
    events.record(pod, "Normal", "Started", `Started container ${c.name}`, ctr.fieldPath);

    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const r = await runHandler(postStart as HandlerSpec, { runc: this.env.runc, containerId: id, container: c, podIP: sandbox.net.ip, timeoutMs: this.graceMs() });
      if (!r.ok && !attempt.finished) {
        events.record(pod, "Warning", "FailedPostStartHook", `PostStartHook failed: ${r.message}`.trim(), ctr.fieldPath);
        const deadline = Date.now() + this.graceMs();
        await this.killContainer(ctr, () => deadline, "FailedPostStartHook", `FailedPostStartHook`);
        return;
      }
    }
    if (!ctr.init) this.startProbes(ctr, attempt);
  }

  /** Starts runc and wires its output to the log file and attach listeners. */
  private spawn(ctr: Ctr, a: Attempt, stdin: boolean, tty: boolean): void {
    const runcLog = path.join(a.bundleDir, "runc.log");
    // With a tty, runc runs under script(1): its stdout is the container's terminal (logged as stdout, as Kubernetes does).
    const proc = this.env.runc.run(a.id, a.bundleDir, { stdin, tty, logFile: runcLog, pidFile: path.join(a.bundleDir, "pid") });
    a.proc = proc;
    proc.stdin?.on("error", () => {});
    if (proc.stdin && stdin) a.stdin = proc.stdin;
    if (tty) a.resize = ptyResizer(proc);
    const file: WriteStream = createWriteStream(a.logPath, { flags: "a" });
    file.on("error", (err) => this.env.log(`writing ${a.logPath}: ${err.message}`));
    const t0 = process.hrtime.bigint();
    const now = () => rfc3339Nano(new Date(), Number((process.hrtime.bigint() - t0) % 1_000_000n));
    const splitters: Record<LogStream, CriLineSplitter> = {
      stdout: new CriLineSplitter("stdout", (r) => file.write(r), now),
      stderr: new CriLineSplitter("stderr", (r) => file.write(r), now),
    };
    for (const s of ["stdout", "stderr"] as const) {
      proc[s]!.on("data", (chunk: Buffer) => {
        splitters[s].push(chunk);
        a.output.emit("data", s, chunk);
      });
    }
    a.exited = new Promise<void>((resolve) => {
      let closed = false;
      const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
        if (closed) return;
        closed = true;
        splitters.stdout.end();
        splitters.stderr.end();
        file.end();
        void this.onExit(ctr, a, code ?? (signal ? 128 + (signalNumber(signal) ?? 9) : 255), runcLog).finally(resolve);
      };
      proc.on("close", onEnd);
      proc.on("error", (err) => {
        this.env.log(`starting runc for ${this.namespace}/${this.name}/${ctr.spec.name}: ${err.message}`);
        onEnd(128, null);
      });
    });
  }

  private async onExit(ctr: Ctr, a: Attempt, exitCode: number, runcLog: string): Promise<void> {
    a.finishedAt = this.env.now();
    a.exitCode = exitCode;
    a.abort.abort(); // probes
    let reason = exitCode === 0 ? "Completed" : "Error";
    let message: string | undefined;
    if (a.memCgroup) {
      // The kill itself is counted in runc's cgroup (gone now) or, on kernels that pass it up, here.
      const kills = await oomKills(a.memCgroup);
      const failures = await memoryFailures(a.memCgroup);
      if ((kills ?? 0) > (a.oomBefore ?? 0) || (exitCode === 137 && !a.killedBy && (failures ?? 0) > 0)) reason = "OOMKilled";
    } else if (exitCode === 137 && !a.killedBy && ctr.spec.resources?.limits?.memory) {
      reason = "OOMKilled"; // no counter to read (cgroup v2 or no memory controller): the likely cause
    }
    if (exitCode !== 0 && reason === "Error") {
      const startError = await runcError(runcLog);
      if (startError) {
        reason = "StartError";
        message = startError;
        a.exitCode = exitCode = 128;
      }
    }
    if (!message) message = await this.terminationMessage(ctr);
    if (!message && ctr.spec.terminationMessagePolicy === "FallbackToLogsOnError" && exitCode !== 0) message = await tailLog(a.logPath);
    a.finished = true;
    a.output.emit("exit", exitCode);
    if (ctr.attempt === a) {
      const terminated: ContainerStateTerminated = {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        startedAt: seconds(a.startedAt),
        finishedAt: seconds(a.finishedAt),
        containerID: `runc://${a.id}`,
      };
      ctr.status = { ...ctr.status, ready: false, started: false, state: { terminated } };
    }
    this.env.log(`pod ${this.namespace}/${this.name} container ${ctr.spec.name} exited with ${exitCode} (${reason})`);
    await this.env.deps.unmountRootfs(a.bundleDir).catch((err: unknown) => this.env.log(`unmounting ${a.bundleDir}: ${errorChain(err)}`));
    await fs.rm(a.bundleDir, { recursive: true, force: true }).catch(() => {});
    if (a.memCgroup) await removeCgroupTree(a.memCgroup);
    this.kick();
  }

  /** What the container wrote to its terminationMessagePath (at most 4 KiB); the file is emptied for the next run. */
  private async terminationMessage(ctr: Ctr): Promise<string | undefined> {
    const file = this.env.deps.volumes.terminationLogPath?.(this.uid, ctr.spec.name);
    if (!file) return undefined;
    const text = await fs.readFile(file, "utf8").catch(() => "");
    if (!text) return undefined;
    await fs.writeFile(file, "").catch(() => {});
    return text.slice(0, 4096);
  }

  private async pruneLogs(dir: string, current: number): Promise<void> {
    // Kubernetes keeps the current and the previous run's log.
    for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
      const n = Number(f.replace(/\.log$/, ""));
      if (Number.isInteger(n) && n < current - 1) await fs.rm(path.join(dir, f), { force: true });
    }
  }

  // ---- probes

  private startProbes(ctr: Ctr, a: Attempt): void {
    const c = ctr.spec;
    const kinds: Array<[ProbeKind, Probe | undefined]> = [
      ["startup", c.startupProbe],
      ["liveness", c.livenessProbe],
      ["readiness", c.readinessProbe],
    ];
    for (const [kind, probe] of kinds) if (probe) void this.probeLoop(ctr, a, kind, probe);
  }

  private async probeLoop(ctr: Ctr, a: Attempt, kind: ProbeKind, probe: Probe): Promise<void> {
    const timing = probeTiming(probe, kind);
    const state = new ProbeState(kind, timing);
    const signal = a.abort.signal;
    const label = kind === "liveness" ? "Liveness" : kind === "readiness" ? "Readiness" : "Startup";
    await sleep(timing.initialDelayMs, signal);
    while (!signal.aborted && !a.finished && !this.stopped) {
      const started = ctr.status.started === true;
      if (kind === "startup" && started) return;
      if (kind !== "startup" && !started) {
        await sleep(Math.min(timing.periodMs, 1000), signal);
        continue;
      }
      const r = await runHandler(probe as HandlerSpec, { runc: this.env.runc, containerId: a.id, container: ctr.spec, podIP: this.podIP ?? "", timeoutMs: timing.timeoutMs });
      if (signal.aborted || a.finished) return;
      const changed = state.record(r.ok);
      if (!r.ok) this.env.events.record(this.pod, "Warning", "Unhealthy", `${label} probe failed: ${r.message}`.trim(), ctr.fieldPath);
      if (changed && ctr.attempt === a) {
        if (kind === "readiness") {
          ctr.status = { ...ctr.status, ready: state.result === "success" };
          this.kick();
        } else if (kind === "startup" && state.result === "success") {
          ctr.status = { ...ctr.status, started: true, ready: !ctr.spec.readinessProbe };
          this.kick();
        } else if (state.result === "failure") {
          const grace = (probe.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
          const deadline = Date.now() + grace;
          void this.killContainer(ctr, () => deadline, `${kind} probe`, `Container ${ctr.spec.name} failed ${kind} probe, will be restarted`);
          return;
        }
      }
      await sleep(timing.periodMs, signal);
    }
  }

  // ---- stopping

  private graceMs(): number {
    return Math.max(0, this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private deadlineFromPod(): number {
    const g = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return this.terminationStarted + Math.max(0, g) * 1000;
  }
  private terminationStarted = 0;

  /** preStop, SIGTERM, wait until `deadline()`, SIGKILL. */
  private async killContainer(ctr: Ctr, deadline: () => number, why: string, message?: string): Promise<void> {
    const a = ctr.attempt;
    if (!a || a.finished) return;
    if (a.killedBy) {
      // Already being stopped (a failed probe, say): a deletion may only make the wait shorter.
      while (!a.finished && Date.now() < deadline()) await Promise.race([a.exited, sleep(Math.min(200, deadline() - Date.now()))]);
      if (!a.finished && !(await this.env.runc.kill(a.id, "KILL")) && !a.finished) a.proc?.kill("SIGKILL");
      await a.exited;
      return;
    }
    a.killedBy = why;
    this.env.events.record(this.pod, "Normal", "Killing", message ?? `Stopping container ${ctr.spec.name}`, ctr.fieldPath);
    const preStop = ctr.spec.lifecycle?.preStop;
    if (preStop) {
      const budget = Math.max(0, deadline() - Date.now());
      const hook = runHandler(preStop as HandlerSpec, { runc: this.env.runc, containerId: a.id, container: ctr.spec, podIP: this.podIP ?? "", timeoutMs: Math.max(1, budget) });
      const r = await Promise.race([hook, a.exited.then(() => undefined), sleep(budget)]);
      if (r && !r.ok) this.env.events.record(this.pod, "Warning", "FailedPreStopHook", `PreStopHook failed: ${r.message}`.trim(), ctr.fieldPath);
    }
    if (!a.finished && !(await this.env.runc.kill(a.id, "TERM")) && !a.finished) a.proc?.kill("SIGTERM");
    while (!a.finished && Date.now() < deadline()) await Promise.race([a.exited, sleep(Math.min(200, deadline() - Date.now()))]);
    if (!a.finished) {
      if (!(await this.env.runc.kill(a.id, "KILL")) && !a.finished) a.proc?.kill("SIGKILL");
      await Promise.race([a.exited, sleep(5000)]);
      if (!a.finished) a.proc?.kill("SIGKILL");
    }
    await a.exited;
  }

  private async terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      this.terminationStarted = Date.now();
      this.killDeadline = this.gone ? Date.now() : this.deadlineFromPod();
    }
    for (const c of this.containers.values()) c.attempt?.abort.abort();
    const running = [...this.containers.values()].filter((c) => c.attempt && !c.attempt.finished);
    await Promise.all(running.map((c) => this.killContainer(c, () => this.killDeadline, "deletion")));
    await this.cleanupRuntime();
    await fs.rm(path.join(this.env.logDir, `${this.namespace}_${this.name}_${this.uid}`), { recursive: true, force: true });
    if (!this.gone) {
      // Report the containers' final states, then remove the object (the kubelet's part of a graceful delete).
      await this.postStatus().catch(() => {});
      try {
        await this.env.client.delete(PODS, this.name, { namespace: this.namespace, gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof Error && /precondition|Conflict/i.test(err.message))) throw err;
      }
    }
    this.env.backoff.forget(`${this.uid}/`);
    this.env.imageBackoff.forget(`${this.uid}/`);
    this.env.events.forgetPod(this.uid);
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.env.onDone(this.uid);
  }

  /** Network, volumes, mounts, runc state and cgroups of a pod that runs nothing any more. */
  private async cleanupRuntime(): Promise<void> {
    if (this.cleanedUp) return;
    for (const c of this.containers.values()) {
      c.attempt?.abort.abort();
      if (c.attempt && !c.attempt.finished) await this.killContainer(c, () => Date.now(), "cleanup");
    }
    const { deps } = this.env;
    const podRun = path.join(this.env.runDir, this.uid);
    for (const d of await fs.readdir(podRun).catch(() => [] as string[])) await deps.unmountRootfs(path.join(podRun, d)).catch(() => {});
    await fs.rm(podRun, { recursive: true, force: true }).catch(() => {});
    await deps.network.teardown(this.uid);
    await deps.volumes.cleanup(this.uid);
    await removeCgroupTree(podCgroup(this.env.ownCgroup, this.uid));
    // Keep the IP in the status of a finished pod, as Kubernetes does.
    this.cleanedUp = true;
  }

  // ---- status

  computeStatus(): PodStatus {
    const list = (init: boolean) =>
      [...this.containers.values()].filter((c) => c.init === init).map((c) => c.status);
    return computePodStatus({
      pod: this.pod,
      initContainerStatuses: list(true),
      containerStatuses: list(false),
      podIP: this.sandbox?.net.ip || this.pod.status?.podIP,
      hostIP: this.env.hostIP(),
      sandboxReady: !!this.sandbox && !this.cleanedUp,
      startTime: this.startTime,
      now: seconds(this.env.now()),
    });
  }

  private async postStatus(): Promise<void> {
    if (this.gone) return;
    const status = this.computeStatus();
    if (!podStatusChanged(this.pod.status, status)) return;
    const patch: Record<string, unknown> = { ...status };
    for (const k of ["message", "reason", "nominatedNodeName"] as const) if (this.pod.status?.[k] !== undefined && status[k] === undefined) patch[k] = null;
    try {
      const updated = await this.env.client.patchStatus<Pod>(PODS, this.name, { status: patch }, { type: "merge", namespace: this.namespace });
      if (updated.metadata?.uid === this.uid) this.update(updated);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

async function waitForFile(file: string, a: Attempt, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let delay = 2;
  while (!a.finished && Date.now() < end) {
    try {
      await fs.access(file);
      return;
    } catch {
      await Promise.race([sleep(delay), a.exited]);
      delay = Math.min(delay * 2, 50);
    }
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11, SIGPIPE: 13 };
function signalNumber(s: string): number | undefined {
  return SIGNALS[s];
}

function formatDuration(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m0s`;
}

/** runc's own error (its --log), when it failed to start the container rather than the container failing. */
async function runcError(file: string): Promise<string | undefined> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  for (const line of text.split("\n").reverse()) {
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if (e.level === "error" || e.level === "fatal") return e.msg;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

async function tailLog(file: string): Promise<string | undefined> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  const lines = text.split("\n").filter(Boolean).slice(-80).map((l) => l.split(" ").slice(3).join(" "));
  const msg = lines.join("\n").slice(-2048);
  return msg || undefined;
}

export type { K8sContainerState };
