// The scheduler service, in-process in the control plane and fed by the store watch: keeps the
// cache of nodes and pods, queues pods that are ours to place (schedulerName default-scheduler,
// no nodeName, not being deleted, no scheduling gates), decides synchronously on the cache,
// assumes the pod on its node and binds it through the pods/binding subresource in the
// background. A pod that fits nowhere gets PodScheduled=False (Unschedulable) and a
// FailedScheduling event, and waits until the cluster changes (then after its back-off) or, at
// the latest, the next periodic flush.

import type { Node, Pod, PodCondition } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";
import { bindPod } from "../apiserver/subresources.js";
import type { StoreEvent } from "../controllers/store-watch.js";
import { SchedulerCache } from "./cache.js";
import { PodEventRecorder, SCHEDULER_NAME } from "./events.js";
import { computeCycleState, EMPTY_CYCLE_STATE } from "./filters.js";
import { schedulePod } from "./schedule.js";
import { podInfoOf, podKey } from "./types.js";

const CALLER: Caller = { user: "system:kube-scheduler", groups: ["system:masters"], userAgent: "kube-scheduler" };
const POD_DEF = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;

export interface SchedulerOptions {
  /** Unschedulable pods are retried at least this often (default 30 s). */
  flushIntervalMs?: number;
  /** Back-off after a failed attempt: initial (default 1 s), doubled per attempt up to max (10 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** kube-scheduler's percentageOfNodesToScore (0 = adaptive). */
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 256). */
  maxInFlightBindings?: number;
  random?: () => number;
}

type QueueState = "active" | "backoff" | "unschedulable" | "binding" | "gated";

interface QueuedPod {
  key: string;
  pod: Pod;
  state: QueueState;
  attempts: number;
  lastAttemptMs: number;
  /** What a change must touch to be worth another attempt right away. */
  signature: string;
}

const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

function podSignature(pod: Pod): string {
  return JSON.stringify([pod.metadata?.labels, pod.metadata?.annotations, pod.spec]);
}

function nodeSignature(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status;
  return JSON.stringify([node.metadata?.labels, node.spec?.taints, node.spec?.unschedulable, node.status?.allocatable ?? node.status?.capacity, ready]);
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  private readonly pending = new Map<string, QueuedPod>();
  private readonly active = new Set<string>();
  private readonly backoff = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private readonly nodeSignatures = new Map<string, string>();
  private readonly events: PodEventRecorder;
  private readonly opts: Required<Omit<SchedulerOptions, "random">> & { random: () => number };
  private startIndex = 0;
  private inFlight = 0;
  private started = false;
  private stopped = false;
  private kicked = false;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushMs = Date.now();
  /** Counters for logs and benchmarks. */
  readonly stats = { scheduled: 0, bound: 0, unschedulable: 0, bindErrors: 0 };

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: SchedulerOptions = {},
  ) {
    this.opts = {
      flushIntervalMs: opts.flushIntervalMs ?? 30_000,
      initialBackoffMs: opts.initialBackoffMs ?? 1_000,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
      percentageOfNodesToScore: opts.percentageOfNodesToScore ?? 0,
      maxInFlightBindings: opts.maxInFlightBindings ?? 256,
      random: opts.random ?? Math.random,
    };
    this.events = new PodEventRecorder(registry, CALLER, log);
  }

  start(): void {
    this.started = true;
    const tick = Math.min(1_000, this.opts.initialBackoffMs, this.opts.flushIntervalMs);
    this.timer = setInterval(() => this.onTick(), tick);
    this.timer.unref?.();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.events.stop();
  }

  // ---- feed

  onEvent(ev: StoreEvent): void {
    const r = ev.resource;
    if (r.group !== "") return;
    if (r.kind === "Pod") this.onPod(ev.type, ev.object as Pod);
    else if (r.kind === "Node") this.onNode(ev.type, ev.object as Node);
    else if (r.kind === "Namespace") {
      const name = ev.object.metadata?.name ?? "";
      this.cache.setNamespaceLabels(name, ev.type === "DELETED" ? undefined : (ev.object.metadata?.labels ?? {}));
    }
  }

  private onNode(type: StoreEvent["type"], node: Node): void {
    const name = node.metadata?.name ?? "";
    if (type === "DELETED") {
      this.cache.removeNode(name);
      this.nodeSignatures.delete(name);
      return;
    }
    this.cache.upsertNode(node);
    const sig = nodeSignature(node);
    if (this.nodeSignatures.get(name) !== sig) {
      this.nodeSignatures.set(name, sig);
      this.retryUnschedulable();
    }
  }

  private onPod(type: StoreEvent["type"], pod: Pod): void {
    const m = pod.metadata ?? {};
    const key = podKey(m.namespace ?? "", m.name ?? "");
    if (type === "DELETED" || isTerminal(pod)) {
      const held = this.cache.has(key) && !this.cache.isAssumed(key);
      this.cache.removePod(key);
      this.dequeue(key);
      if (type === "DELETED") this.events.forget(m.uid ?? "");
      if (held) this.retryUnschedulable(); // room was freed
      return;
    }
    if (pod.spec?.nodeName) {
      const known = this.cache.has(key);
      const wasAssumed = this.cache.isAssumed(key);
      this.cache.addBoundPod(pod);
      this.dequeue(key);
      // A pod placed by someone else may satisfy an affinity rule that blocked others.
      if (!known && !wasAssumed) this.retryUnschedulable();
      return;
    }
    const schedulerName = pod.spec?.schedulerName;
    if ((schedulerName && schedulerName !== SCHEDULER_NAME) || m.deletionTimestamp) {
      this.dequeue(key);
      return;
    }
    // A stale view of a pod whose binding is under way.
    if (this.cache.isAssumed(key)) return;
    const gated = (pod.spec?.schedulingGates?.length ?? 0) > 0;
    const sig = podSignature(pod);
    let q = this.pending.get(key);
    if (!q) {
      q = { key, pod, state: "gated", attempts: 0, lastAttemptMs: 0, signature: sig };
      this.pending.set(key, q);
      this.setState(q, gated ? "gated" : "active");
      return;
    }
    q.pod = pod;
    if (q.state === "binding") return;
    if (gated) this.setState(q, "gated");
    else if (q.signature !== sig || q.state === "gated") this.setState(q, "active");
    q.signature = sig;
  }

  private dequeue(key: string): void {
    const q = this.pending.get(key);
    if (!q) return;
    this.setState(q, "binding"); // removes it from every queue
    this.pending.delete(key);
  }

  private setState(q: QueuedPod, state: QueueState): void {
    this.active.delete(q.key);
    this.backoff.delete(q.key);
    this.unschedulable.delete(q.key);
    q.state = state;
    if (state === "active") {
      this.active.add(q.key);
      this.kick();
    } else if (state === "backoff") this.backoff.add(q.key);
    else if (state === "unschedulable") this.unschedulable.add(q.key);
  }

  private backoffMs(q: QueuedPod): number {
    return Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** Math.max(0, q.attempts - 1));
  }

  /** The cluster changed: unschedulable pods go back, each after its back-off. */
  private retryUnschedulable(): void {
    if (this.unschedulable.size === 0) return;
    const now = Date.now();
    for (const key of [...this.unschedulable]) {
      const q = this.pending.get(key)!;
      this.setState(q, now - q.lastAttemptMs >= this.backoffMs(q) ? "active" : "backoff");
    }
  }

  private onTick(): void {
    const now = Date.now();
    for (const key of [...this.backoff]) {
      const q = this.pending.get(key)!;
      if (now - q.lastAttemptMs >= this.backoffMs(q)) this.setState(q, "active");
    }
    if (now - this.lastFlushMs >= this.opts.flushIntervalMs) {
      this.lastFlushMs = now;
      for (const key of [...this.unschedulable]) {
        const q = this.pending.get(key)!;
        if (now - q.lastAttemptMs >= this.opts.flushIntervalMs) this.setState(q, "active");
      }
    }
  }

  // ---- scheduling loop

  private kick(): void {
    if (!this.started || this.stopped || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.run();
    });
  }

  private run(): void {
    const deadline = performance.now() + 10;
    while (!this.stopped && this.active.size && this.inFlight < this.opts.maxInFlightBindings) {
      const key = this.active.values().next().value as string;
      this.active.delete(key);
      const q = this.pending.get(key);
      if (q) this.scheduleOne(q);
      // Let the store commit and the watch deliver between batches.
      if (performance.now() > deadline) break;
    }
    if (this.active.size && this.inFlight < this.opts.maxInFlightBindings) this.kick();
  }

  private scheduleOne(q: QueuedPod): void {
    const info = podInfoOf(q.pod);
    const needsState = info.affinityTerms.length > 0 || info.antiAffinityTerms.length > 0 || this.cache.hasAntiAffinityPods();
    const state = needsState ? computeCycleState(info, this.cache.allNodes(), this.cache.antiAffinityPods(), this.cache.namespaceLabels) : EMPTY_CYCLE_STATE;
    const result = schedulePod({
      pod: info,
      nodes: this.cache.nodeList(),
      state,
      startIndex: this.startIndex,
      percentageOfNodesToScore: this.opts.percentageOfNodesToScore,
      random: this.opts.random,
    });
    this.startIndex = result.nextStartIndex;
    q.attempts++;
    q.lastAttemptMs = Date.now();
    if (!result.ok) {
      this.stats.unschedulable++;
      this.setState(q, "unschedulable");
      this.recordUnschedulable(q.pod, result.message);
      return;
    }
    this.stats.scheduled++;
    this.cache.assume(info, result.node);
    this.setState(q, "binding");
    this.inFlight++;
    void this.bind(q, result.node).finally(() => {
      this.inFlight--;
      this.kick();
    });
  }

  private async bind(q: QueuedPod, node: string): Promise<void> {
    const m = q.pod.metadata ?? {};
    const ns = m.namespace ?? "";
    const name = m.name ?? "";
    try {
      await bindPod(this.registry, POD_DEF, ns, name, { apiVersion: "v1", kind: "Binding", metadata: { name, namespace: ns }, target: { kind: "Node", name: node } }, CALLER, {});
      this.stats.bound++;
      this.events.record(q.pod, "Normal", "Scheduled", `Successfully assigned ${ns}/${name} to ${node}`);
      if (this.pending.get(q.key) === q) this.pending.delete(q.key);
    } catch (err) {
      if (this.stopped) return;
      this.stats.bindErrors++;
      if (this.cache.isAssumed(q.key)) this.cache.removePod(q.key);
      const gone = err instanceof StatusError && (err.code === 404 || (err.code === 409 && /already assigned|being deleted/.test(err.message)));
      if (gone || this.pending.get(q.key) !== q) {
        if (this.pending.get(q.key) === q) this.pending.delete(q.key);
        return;
      }
      this.log(`scheduler: binding ${q.key} to ${node}: ${String(err)}`);
      this.setState(q, "backoff");
    }
  }

  private recordUnschedulable(pod: Pod, message: string): void {
    const m = pod.metadata ?? {};
    this.events.record(pod, "Warning", "FailedScheduling", message);
    void this.registry
      .update(
        POD_DEF,
        m.namespace ?? "",
        m.name ?? "",
        (cur: KubeObject) => {
          const p = cur as Pod;
          if (p.spec?.nodeName || p.metadata?.uid !== m.uid) return cur;
          const status = (cur.status ??= {}) as { conditions?: PodCondition[] };
          const conditions = status.conditions ?? [];
          const old = conditions.find((c) => c.type === "PodScheduled");
          const cond: PodCondition = {
            type: "PodScheduled",
            status: "False",
            lastProbeTime: null as unknown as string,
            lastTransitionTime: old?.status === "False" ? old.lastTransitionTime : nowIso(),
            reason: "Unschedulable",
            message,
          };
          status.conditions = [...conditions.filter((c) => c.type !== "PodScheduled"), cond];
          return cur;
        },
        CALLER,
        { subresource: "status" },
      )
      .catch((err) => {
        if (this.stopped || (err instanceof StatusError && err.code === 404)) return;
        this.log(`scheduler: updating the status of ${m.namespace}/${m.name}: ${String(err)}`);
      });
  }
}
