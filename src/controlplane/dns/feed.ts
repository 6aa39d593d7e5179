// The control plane's feed into cluster DNS: keeps the Services, EndpointSlices, Pods and
// Namespaces seen on the store watch (src/controlplane/controllers/store-watch.ts), and rebuilds
// the record model lazily, on the first question after a change, so a burst of events costs
// one rebuild.

import type { KubeObject } from "../../api/registry/types.js";
import type { Backend } from "../store/backend.js";
import { watchStore, type StoreEvent } from "../controllers/store-watch.js";
import { DnsZone, type DnsModelOptions, type Lookup } from "./records.js";

type Kind = "services" | "endpointSlices" | "pods" | "namespaces";

function kindOf(ev: StoreEvent): Kind | undefined {
  const r = ev.resource;
  if (r.group === "" && r.kind === "Service") return "services";
  if (r.group === "" && r.kind === "Pod") return "pods";
  if (r.group === "" && r.kind === "Namespace") return "namespaces";
  if (r.group === "discovery.k8s.io" && r.kind === "EndpointSlice") return "endpointSlices";
  return undefined;
}

export class ClusterDnsFeed {
  private readonly objects: Record<Kind, Map<string, KubeObject>> = {
    services: new Map(),
    endpointSlices: new Map(),
    pods: new Map(),
    namespaces: new Map(),
  };
  private zone: DnsZone | undefined;
  /** How many times the model was rebuilt (for tests and metrics). */
  rebuilds = 0;

  constructor(private readonly opts: DnsModelOptions = {}) {}

  onEvent(ev: StoreEvent): void {
    const kind = kindOf(ev);
    if (!kind) return;
    const m = ev.object.metadata ?? {};
    const key = `${m.namespace ?? ""}/${m.name ?? ""}`;
    if (ev.type === "DELETED") this.objects[kind].delete(key);
    else this.objects[kind].set(key, ev.object);
    this.zone = undefined;
  }

  /** Watches a store on its own (the control plane may instead pass its shared feed to onEvent). */
  start(backend: Backend, signal: AbortSignal): Promise<void> {
    return watchStore(backend, (ev) => this.onEvent(ev), signal);
  }

  current(): DnsZone {
    if (!this.zone) {
      this.zone = new DnsZone(
        {
          services: [...this.objects.services.values()],
          endpointSlices: [...this.objects.endpointSlices.values()],
          pods: [...this.objects.pods.values()],
          namespaces: [...this.objects.namespaces.values()],
        },
        this.opts,
      );
      this.rebuilds++;
    }
    return this.zone;
  }

  readonly lookup = (name: string, type: string): Lookup => this.current().lookup(name, type);
}
