// The Endpoints controller (pkg/controller/endpoint): keeps the legacy Endpoints object (named as
// the Service) of every Service with a selector (not ExternalName) current from its pods, and
// deletes it when the Service goes. Writes only when the subsets or labels differ; the
// endpoints.kubernetes.io/last-change-trigger-time annotation carries the first unsynced change.

import type { Endpoints } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";
import { keyOf, splitKey } from "../replicaset/cache.js";
import { managedSelector } from "../endpointslice/pods.js";
import { TRIGGER_TIME_ANNOTATION } from "../endpointslice/slices.js";
import { ServiceTracker, VersionedCache } from "../endpointslice/tracker.js";
import { endpointsToWrite } from "./subsets.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:endpoint-controller", groups: ["system:masters"], userAgent: "endpoint-controller" };
const ENDPOINTS_DEF = RESOURCES.find((r) => r.kind === "Endpoints" && r.group === "")!;

type Ep = Endpoints & KubeObject;

export interface EndpointsControllerOptions {
  clock?: () => Date;
  workers?: number;
}

export class EndpointsController {
  readonly queue: WorkQueue;
  private readonly tracker: ServiceTracker;
  private readonly endpoints = new VersionedCache<Ep>("", "Endpoints");
  private started = false;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: EndpointsControllerOptions = {},
  ) {
    this.tracker = new ServiceTracker(opts.clock ?? (() => new Date()));
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers ?? 4,
      onError: (k, e) => (e instanceof StatusError && (e.code === 409 || e.code === 404)) || log(`endpoints ${k}: ${String(e)}`),
    });
  }

  /** Starts syncing after the feed's initial listing; Endpoints we wrote for Services now gone are deleted. */
  start(): void {
    this.started = true;
    for (const ns of this.tracker.services.namespaces()) for (const svc of this.tracker.services.list(ns)) this.queue.add(keyOf(svc));
    for (const ns of this.endpoints.namespaces()) {
      for (const ep of this.endpoints.list(ns)) {
        // Only Endpoints this controller wrote carry the trigger time; others may be hand-made.
        if (ep.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION] !== undefined && !this.tracker.services.get(ns, ep.metadata!.name!)) this.queue.add(keyOf(ep));
      }
    }
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    const keys = this.tracker.onEvent(ev);
    if (keys) {
      if (this.started) for (const k of keys) this.queue.add(k);
      return;
    }
    if (this.endpoints.handles(ev.resource)) {
      this.endpoints.apply(ev);
      const key = keyOf(ev.object);
      // Outside edits (or deletion) of a managed Service's Endpoints are undone.
      const [ns, name] = splitKey(key);
      const svc = this.tracker.services.get(ns, name);
      if (this.started && svc && managedSelector(svc)) this.queue.add(key);
    }
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.tracker.services.get(ns, name);
    const current = this.endpoints.get(ns, name);
    if (!svc) {
      if (current) await this.deleteEndpoints(current);
      return;
    }
    if (!managedSelector(svc) || svc.metadata?.deletionTimestamp) return;
    const trigger = this.tracker.takeTrigger(key);
    try {
      const desired = endpointsToWrite(svc, this.tracker.podsOf(svc), current, trigger);
      if (!desired) return;
      let written: KubeObject;
      if (!current) {
        written = await this.registry.create(ENDPOINTS_DEF, ns, desired as unknown as KubeObject, CALLER);
      } else {
        const rv = current.metadata!.resourceVersion!;
        written = await this.registry.update(ENDPOINTS_DEF, ns, name, () => structuredClone({ ...desired, metadata: { ...desired.metadata, resourceVersion: rv } }) as unknown as KubeObject, CALLER);
      }
      this.endpoints.put(written as Ep);
    } catch (err) {
      this.tracker.restoreTrigger(key, trigger);
      throw err;
    }
  }

  private async deleteEndpoints(ep: Ep): Promise<void> {
    try {
      await this.registry.delete(ENDPOINTS_DEF, ep.metadata!.namespace!, ep.metadata!.name!, CALLER, { preconditions: { uid: ep.metadata!.uid } });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    this.endpoints.remove(ep);
  }
}
