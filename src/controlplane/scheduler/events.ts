// core/v1 Events about pods, written in the background so that scheduling never waits on them.
// A repeated FailedScheduling with the same message bumps the count of the pod's last event
// instead of writing a new one (what client-go's event correlator does). Writes are bounded:
// under a flood the oldest waiting events are dropped, as client-go's broadcaster drops them.

import type { Pod } from "kubernetes-types/core/v1.js";
import os from "node:os";
import { StatusError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";

const EVENT_DEF = RESOURCES.find((r) => r.kind === "Event" && r.group === "")!;
const MAX_QUEUED = 10_000;
const CONCURRENCY = 8;

export const SCHEDULER_NAME = "default-scheduler";

interface PendingEvent {
  pod: Pod;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export class PodEventRecorder {
  private readonly queue: PendingEvent[] = [];
  private active = 0;
  private seq = 0;
  /** pod uid -> its last event (to aggregate repeats). */
  private readonly last = new Map<string, { name: string; reason: string; message: string }>();
  private stopped = false;
  private readonly instance = `${SCHEDULER_NAME}-${os.hostname()}`;

  constructor(
    private readonly registry: Registry,
    private readonly caller: Caller,
    private readonly log: (m: string) => void,
  ) {}

  record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void {
    if (this.stopped) return;
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push({ pod, type, reason, message });
    this.pump();
  }

  forget(uid: string): void {
    this.last.delete(uid);
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (!this.stopped && this.active < CONCURRENCY && this.queue.length) {
      const ev = this.queue.shift()!;
      this.active++;
      this.write(ev)
        .catch((err) => {
          if (!this.stopped) this.log(`scheduler: writing event ${ev.reason} for pod ${ev.pod.metadata?.namespace}/${ev.pod.metadata?.name}: ${String(err)}`);
        })
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  private async write(ev: PendingEvent): Promise<void> {
    const m = ev.pod.metadata ?? {};
    const ns = m.namespace ?? "default";
    const uid = m.uid ?? "";
    const prev = this.last.get(uid);
    if (prev && prev.reason === ev.reason && prev.message === ev.message) {
      try {
        await this.registry.update(
          EVENT_DEF,
          ns,
          prev.name,
          (cur: KubeObject) => {
            cur.count = ((cur.count as number | undefined) ?? 1) + 1;
            cur.lastTimestamp = now();
            return cur;
          },
          this.caller,
        );
        return;
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    const name = `${m.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const t = now();
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: ns },
      involvedObject: { kind: "Pod", apiVersion: "v1", namespace: ns, name: m.name, uid, resourceVersion: m.resourceVersion },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: SCHEDULER_NAME },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      reportingComponent: SCHEDULER_NAME,
      reportingInstance: this.instance,
    };
    try {
      await this.registry.create(EVENT_DEF, ns, obj, this.caller);
    } catch (err) {
      // The namespace is going away with the pod: nothing to report to.
      if (err instanceof StatusError && (err.code === 403 || err.code === 404)) return;
      throw err;
    }
    // Only failures repeat; remembering every Scheduled event would grow with the pod count.
    if (ev.type === "Warning") this.last.set(uid, { name, reason: ev.reason, message: ev.message });
    else this.last.delete(uid);
  }
}
