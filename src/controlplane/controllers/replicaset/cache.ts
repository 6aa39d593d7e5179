// A small informer-like cache of the kinds the workload controllers read (Pods, ReplicaSets,
// Deployments), kept from the control plane's store feed. Objects are the decoded values of the
// feed and are never mutated: controllers copy before they change anything.

import type { KubeObject, ResourceDef } from "../../../api/registry/types.js";
import type { StoreEvent } from "../store-watch.js";

export class NamespacedCache<T extends KubeObject> {
  private readonly byNs = new Map<string, Map<string, T>>();

  constructor(readonly group: string, readonly kind: string) {}

  handles(r: ResourceDef): boolean {
    return r.kind === this.kind && r.group === this.group;
  }

  /** Applies an event; returns the previous object (for update handlers). */
  apply(ev: StoreEvent): T | undefined {
    const ns = ev.object.metadata?.namespace ?? "";
    const name = ev.object.metadata?.name ?? "";
    let m = this.byNs.get(ns);
    const old = m?.get(name);
    if (ev.type === "DELETED") {
      m?.delete(name);
      if (m && m.size === 0) this.byNs.delete(ns);
      return old;
    }
    if (!m) this.byNs.set(ns, (m = new Map()));
    m.set(name, ev.object as T);
    return old;
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNs.get(namespace)?.get(name);
  }

  list(namespace: string): T[] {
    return [...(this.byNs.get(namespace)?.values() ?? [])];
  }
}

export const splitKey = (key: string): [string, string] => {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
};

export const keyOf = (obj: { metadata?: { namespace?: string; name?: string } }): string => `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
