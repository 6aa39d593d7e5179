// What the EndpointSlice and Endpoints controllers share: caches of Services and Pods kept from
// the store feed (newer resourceVersions win, so a controller's own write, applied at once, is
// not undone by an older event), the Services a pod change concerns, and each Service's first
// unsynced change time (the last-change-trigger-time annotation).

import type { Pod, Service } from "kubernetes-types/core/v1.js";
import type { KubeObject, ResourceDef } from "../../../api/registry/types.js";
import type { StoreEvent } from "../store-watch.js";
import { keyOf } from "../replicaset/cache.js";
import { managedSelector, podSignature } from "./pods.js";

const rvOf = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0) || 0;

/** An informer-like cache by namespace and name that ignores events older than what it holds. */
export class VersionedCache<T extends KubeObject> {
  private readonly byNs = new Map<string, Map<string, T>>();

  constructor(readonly group: string, readonly kind: string) {}

  handles(r: ResourceDef): boolean {
    return r.kind === this.kind && r.group === this.group;
  }

  /** Applies an event; returns the previous object. */
  apply(ev: Pick<StoreEvent, "type" | "object">): T | undefined {
    const ns = ev.object.metadata?.namespace ?? "";
    const name = ev.object.metadata?.name ?? "";
    let m = this.byNs.get(ns);
    const old = m?.get(name);
    if (ev.type === "DELETED") {
      // A DELETED event for an older incarnation of a re-created object leaves the new one.
      if (old && old.metadata?.uid !== ev.object.metadata?.uid && rvOf(ev.object) < rvOf(old)) return old;
      m?.delete(name);
      if (m && m.size === 0) this.byNs.delete(ns);
      return old;
    }
    if (old && rvOf(ev.object) < rvOf(old)) return old;
    if (!m) this.byNs.set(ns, (m = new Map()));
    m.set(name, ev.object as T);
    return old;
  }

  /** Records the result of one's own write. */
  put(obj: T): void {
    this.apply({ type: "MODIFIED", object: obj });
  }

  remove(obj: T): void {
    this.apply({ type: "DELETED", object: obj });
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNs.get(namespace)?.get(name);
  }

  list(namespace: string): T[] {
    return [...(this.byNs.get(namespace)?.values() ?? [])];
  }

  namespaces(): string[] {
    return [...this.byNs.keys()];
  }
}

export class ServiceTracker {
  readonly services = new VersionedCache<Service & KubeObject>("", "Service");
  readonly pods = new VersionedCache<Pod & KubeObject>("", "Pod");
  private readonly triggers = new Map<string, string>();

  constructor(private readonly clock: () => Date) {}

  /**
   * Applies a Service or Pod event; returns the keys of the Services to sync (undefined when the
   * event is of another kind).
   */
  onEvent(ev: StoreEvent): string[] | undefined {
    if (this.services.handles(ev.resource)) {
      const old = this.services.apply(ev);
      if (ev.type === "MODIFIED" && old && JSON.stringify([old.metadata?.labels, old.spec]) === JSON.stringify([ev.object.metadata?.labels, ev.object.spec])) return [];
      const key = keyOf(ev.object);
      this.touch(key);
      return [key];
    }
    if (this.pods.handles(ev.resource)) {
      const old = this.pods.apply(ev) as Pod | undefined;
      const pod = ev.object as Pod;
      if (ev.type === "MODIFIED" && podSignature(old) === podSignature(pod)) return [];
      const ns = pod.metadata?.namespace ?? "";
      const keys: string[] = [];
      for (const svc of this.services.list(ns)) {
        const sel = managedSelector(svc);
        if (!sel) continue;
        if (sel.matches(pod.metadata?.labels) || (old && sel.matches(old.metadata?.labels))) {
          const key = keyOf(svc);
          this.touch(key);
          keys.push(key);
        }
      }
      return keys;
    }
    return undefined;
  }

  /** The pods a Service selects (none for Services the controllers leave alone). */
  podsOf(svc: Service): Pod[] {
    const sel = managedSelector(svc);
    if (!sel) return [];
    return this.pods.list(svc.metadata?.namespace ?? "").filter((p) => sel.matches(p.metadata?.labels));
  }

  /** The time of the first change not yet synced for a Service (taken: the next sync starts afresh). */
  takeTrigger(key: string): string | undefined {
    const t = this.triggers.get(key);
    this.triggers.delete(key);
    return t;
  }

  /** Puts back a trigger time after a failed sync (an earlier one wins). */
  restoreTrigger(key: string, t: string | undefined): void {
    if (!t) return;
    const cur = this.triggers.get(key);
    if (!cur || t < cur) this.triggers.set(key, t);
  }

  private touch(key: string): void {
    if (!this.triggers.has(key)) this.triggers.set(key, this.clock().toISOString());
  }
}
