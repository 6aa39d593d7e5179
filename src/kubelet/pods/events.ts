// Events the kubelet records about pods (core/v1 Event, source component "kubelet"). Repeats of
// the same event (same object, field path, reason and message) within 10 minutes bump the count
// and lastTimestamp of the first instead of creating another, as client-go's event correlator
// does; posting happens in the background and failures are only logged.

import { randomBytes } from "node:crypto";
import type { Event, Pod } from "kubernetes-types/core/v1.js";
import type { ResourceRef } from "../../client/paths.js";
import type { RestClient } from "../../client/rest.js";

export const EVENTS: ResourceRef = { group: "", version: "v1", plural: "events", namespaced: true };

const AGGREGATE_MS = 10 * 60 * 1000;

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  private readonly seen = new Map<string, { name: string; count: number; at: number; first: string }>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: RestClient,
    private readonly nodeName: string,
    private readonly log: (m: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const meta = pod.metadata!;
    const key = [meta.uid, fieldPath ?? "", reason, message].join("\u0000");
    const now = this.now();
    const ts = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    const prev = this.seen.get(key);
    const repeat = !!prev && now.getTime() - prev.at < AGGREGATE_MS;
    const name = repeat ? prev.name : `${meta.name}.${randomBytes(8).toString("hex")}`;
    let count = 1;
    if (repeat) {
      count = ++prev.count;
      prev.at = now.getTime();
    } else {
      this.seen.set(key, { name, count: 1, at: now.getTime(), first: ts });
    }
    // Events of one kubelet are posted in order, one at a time (they are few; order matters to readers).
    this.chain = this.chain.then(async () => {
      try {
        if (repeat) {
          await this.client.patch(EVENTS, name, { count, lastTimestamp: ts }, { type: "merge", namespace: meta.namespace });
          return;
        }
        const ev: Event = {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name, namespace: meta.namespace },
          involvedObject: {
            apiVersion: "v1",
            kind: "Pod",
            namespace: meta.namespace,
            name: meta.name,
            uid: meta.uid,
            ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
            ...(fieldPath ? { fieldPath } : {}),
          },
          reason,
          message,
          type,
          source: { component: "kubelet", host: this.nodeName },
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
          reportingComponent: "kubelet",
          reportingInstance: this.nodeName,
        };
        await this.client.create(EVENTS, ev, { namespace: meta.namespace });
      } catch (err) {
        this.log(`recording event ${reason} for pod ${meta.namespace}/${meta.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    if (this.seen.size > 5000) this.prune(now.getTime());
  }

  forgetPod(uid: string): void {
    for (const k of this.seen.keys()) if (k.startsWith(`${uid}\u0000`)) this.seen.delete(k);
  }

  /** Resolves when every event recorded so far is posted. */
  flush(): Promise<void> {
    return this.chain;
  }

  private prune(nowMs: number): void {
    for (const [k, v] of this.seen) if (nowMs - v.at > AGGREGATE_MS) this.seen.delete(k);
  }
}

export const containerFieldPath = (name: string, init: boolean): string => `${init ? "spec.initContainers" : "spec.containers"}{${name}}`;
