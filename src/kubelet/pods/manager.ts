// The kubelet's pod manager: watches the pods bound to this node (fieldSelector
// spec.nodeName=<node>; relists on 410), keeps one PodWorker per pod UID, and answers the
// streaming server's questions about containers (PodLocator). On start it clears what a previous
// kubelet left behind: after a node restart no container survives, so every pod starts anew.

import { promises as fs } from "node:fs";
import path from "node:path";
import type { Pod } from "kubernetes-types/core/v1.js";
import { WatchExpiredError } from "../../client/api-error.js";
import type { RestClient } from "../../client/rest.js";
import { BackOff, type BackOffOptions } from "./backoff.js";
import { ownCgroup, removeCgroupTree } from "./cgroups.js";
import type { PodRuntimeDeps } from "./deps.js";
import { EventRecorder } from "./events.js";
import { Runc } from "./runc.js";
import { PODS, PodWorker } from "./worker.js";
import { errorChain } from "../../common/error-chain.js";

// The interfaces the kubelet's HTTPS API reads pods through; this manager implements them.
import type { ContainerHandle, PodLocator } from "../server/types.js";

export type { ContainerHandle, PodLocator };

export interface PodManagerOptions {
  client: RestClient;
  nodeName: string;
  hostIP(): string | undefined;
  /** The runtime modules, or how to make them (called at start, when the node's facts are known). */
  deps: PodRuntimeDeps | (() => PodRuntimeDeps);
  log?: (msg: string) => void;
  /** Bundles and rootfs mounts (default /run/minicluster/pods). */
  runDir?: string;
  /** CRI logs (default /var/log/pods). */
  logDir?: string;
  /** Pod volume dirs, checked for leftovers at start (default /var/lib/minicluster/pods). */
  podsDir?: string;
  /** runc's state root (default runc's own, /run/runc, so `runc exec` finds containers). */
  runcRoot?: string;
  runcBinary?: string;
  backoff?: BackOffOptions;
  now?: () => Date;
}

export class PodManager implements PodLocator {
  private readonly workers = new Map<string, PodWorker>();
  private readonly abort = new AbortController();
  private readonly runc: Runc;
  private readonly events: EventRecorder;
  private readonly backoff: BackOff;
  private readonly imageBackoff: BackOff;
  private readonly log: (msg: string) => void;
  private readonly runDir: string;
  private readonly logDir: string;
  private readonly podsDir: string;
  private own = "/";
  private deps!: PodRuntimeDeps;
  private loop?: Promise<void>;
  /** Resolves after the first list has been handed to the workers. */
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;

  constructor(private readonly opts: PodManagerOptions) {
    this.log = opts.log ?? (() => {});
    this.runc = new Runc({ binary: opts.runcBinary, root: opts.runcRoot ?? "/run/runc" });
    this.events = new EventRecorder(opts.client, opts.nodeName, this.log, opts.now);
    this.backoff = new BackOff(opts.backoff);
    this.imageBackoff = new BackOff({ initialMs: opts.backoff?.initialMs ?? 10_000, maxMs: Math.min(20_000, opts.backoff?.maxMs ?? 20_000) });
    this.runDir = opts.runDir ?? "/run/minicluster/pods";
    this.logDir = opts.logDir ?? "/var/log/pods";
    this.podsDir = opts.podsDir ?? "/var/lib/minicluster/pods";
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  /** Clears leftovers, then watches pods in the background. */
  async start(): Promise<void> {
    this.own = (await ownCgroup()).path;
    this.deps ??= typeof this.opts.deps === "function" ? this.opts.deps() : this.opts.deps;
    this.deps.start?.();
    await this.cleanLeftovers();
    this.loop = this.watchLoop();
  }

  /** Stops watching and kills every container (a stopping node takes its containers with it). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => {});
    const ws = [...this.workers.values()];
    for (const w of ws) w.stop();
    await Promise.all(ws.map((w) => w.killAll()));
    await this.deps?.stop?.();
    await this.events.flush();
  }

  /** Every pod worker is between syncs (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }

  private async cleanLeftovers(): Promise<void> {
    const ids = await this.runc.list();
    await Promise.all(ids.map((id) => this.runc.delete(id)));
    const uids = new Set<string>();
    for (const uid of await fs.readdir(this.runDir).catch(() => [] as string[])) {
      uids.add(uid);
      for (const d of await fs.readdir(path.join(this.runDir, uid)).catch(() => [] as string[])) {
        await this.deps.unmountRootfs(path.join(this.runDir, uid, d)).catch(() => {});
      }
      await fs.rm(path.join(this.runDir, uid), { recursive: true, force: true }).catch(() => {});
    }
    for (const uid of await fs.readdir(this.podsDir).catch(() => [] as string[])) uids.add(uid);
    for (const uid of uids) await this.deps.network.teardown(uid).catch(() => {});
    await removeCgroupTree(path.posix.join(this.own, "kubepods"));
    if (ids.length || uids.size) this.log(`cleaned up after the previous kubelet: ${ids.length} runc containers, ${uids.size} pod sandboxes`);
  }

  /** Volumes and logs of pods that no longer exist on this node (after the first list). */
  private async cleanOrphans(live: Set<string>): Promise<void> {
    for (const uid of await fs.readdir(this.podsDir).catch(() => [] as string[])) {
      if (!live.has(uid)) await this.deps.volumes.cleanup(uid).catch(() => {});
    }
    await this.deps.network.cleanupExcept?.(live).catch((err: unknown) => this.log(`cleaning up pod networks: ${errorChain(err)}`));
    for (const d of await fs.readdir(this.logDir).catch(() => [] as string[])) {
      const uid = d.split("_").at(-1) ?? "";
      if (!live.has(uid)) await fs.rm(path.join(this.logDir, d), { recursive: true, force: true }).catch(() => {});
    }
  }

  private async watchLoop(): Promise<void> {
    const signal = this.abort.signal;
    const fieldSelector = `spec.nodeName=${this.opts.nodeName}`;
    let failures = 0;
    let first = true;
    while (!signal.aborted) {
      try {
        const list = await this.opts.client.list<Pod>(PODS, { fieldSelector, signal });
        const live = new Set(list.items.map((p) => p.metadata!.uid!));
        for (const p of list.items) this.upsert(p);
        for (const [uid, w] of this.workers) if (!live.has(uid)) w.remove();
        if (first) {
          first = false;
          this.resolveSynced();
          void this.cleanOrphans(live);
        }
        let rv = list.metadata.resourceVersion;
        failures = 0;
        for (;;) {
          for await (const ev of this.opts.client.watch<Pod>(PODS, { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 600, signal })) {
            rv = ev.object.metadata?.resourceVersion ?? rv;
            if (ev.type === "BOOKMARK") continue;
            if (ev.type === "DELETED") this.workers.get(ev.object.metadata!.uid!)?.remove();
            else this.upsert(ev.object);
          }
          if (signal.aborted) return;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof WatchExpiredError)) {
          failures++;
          this.log(`watching pods: ${errorChain(err)}`);
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 5000)));
        }
      }
    }
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (pod.spec?.nodeName !== this.opts.nodeName) {
      this.workers.get(uid)?.remove();
      return;
    }
    const w = this.workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    const worker = new PodWorker(pod, {
      client: this.opts.client,
      nodeName: this.opts.nodeName,
      hostIP: this.opts.hostIP,
      deps: this.deps,
      runc: this.runc,
      events: this.events,
      log: this.log,
      runDir: this.runDir,
      logDir: this.logDir,
      ownCgroup: this.own,
      backoff: this.backoff,
      imageBackoff: this.imageBackoff,
      now: this.opts.now ?? (() => new Date()),
      onDone: (id) => this.workers.delete(id),
    });
    this.workers.set(uid, worker);
    worker.kick();
  }

  // ---- PodLocator

  private find(namespace: string, pod: string): PodWorker | undefined {
    let found: PodWorker | undefined;
    for (const w of this.workers.values()) if (w.namespace === namespace && w.name === pod) found = w;
    return found;
  }

  container(namespace: string, pod: string, container?: string): ContainerHandle | undefined {
    const w = this.find(namespace, pod);
    if (!w) return undefined;
    const name = container ?? w.pod.metadata?.annotations?.["kubectl.kubernetes.io/default-container"] ?? w.pod.spec?.containers?.[0]?.name;
    const ctr = name ? w.containers.get(name) : undefined;
    if (!ctr) return undefined;
    const a = ctr.attempt;
    const running = !!a && !a.finished;
    const dir = path.join(this.logDir, `${namespace}_${pod}_${w.uid}`, ctr.spec.name);
    const logPath = a?.logPath ?? path.join(dir, `${ctr.status.restartCount}.log`);
    // The run before: known in this kubelet's life, else by the file naming (after a restart of the node).
    const count = a?.restartCount ?? ctr.status.restartCount;
    const previousLogPath = ctr.previousLogPath ?? (count > 0 ? path.join(dir, `${count - 1}.log`) : undefined);
    return {
      runcId: a?.id ?? "",
      ...(a ? { bundleDir: a.bundleDir } : {}),
      podUid: w.uid,
      namespace,
      pod,
      container: ctr.spec.name,
      logPath,
      ...(previousLogPath ? { previousLogPath } : {}),
      running,
      tty: !!ctr.spec.tty,
      stdin: !!ctr.spec.stdin,
      ...(ctr.status.state?.waiting ? { waitingReason: ctr.status.state.waiting.reason } : {}),
      ...(running ? { attach: () => ({ ...(a.stdin ? { stdin: a.stdin } : {}), output: a.output, ...(a.resize ? { resize: a.resize } : {}) }) } : {}),
    };
  }

  podNetwork(namespace: string, pod: string): { uid: string; netnsPath: string; ip: string } | undefined {
    const w = this.find(namespace, pod);
    if (!w?.netnsPath) return undefined;
    return { uid: w.uid, netnsPath: w.netnsPath, ip: w.podIP ?? "" };
  }

  /** The runc wrapper (for kubectl exec in the streaming server). */
  get runtime(): Runc {
    return this.runc;
  }
}
