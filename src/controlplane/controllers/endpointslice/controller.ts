// The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector
// (not ExternalName), keeps EndpointSlices `<service>-xxxxx` (labels kubernetes.io/service-name
// and managed-by, owned by the Service, so the garbage collector removes them with it) listing
// the selected pods with their ready/serving/terminating conditions. Fed by the store feed
// (Services, Pods, Nodes for zones, its own slices to undo outside edits); writes only what
// differs, pinned to the cached resourceVersion so that a stale decision conflicts and is retried.

import type { Node } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";
import { keyOf, splitKey } from "../replicaset/cache.js";
import { managedSelector } from "./pods.js";
import { MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices } from "./slices.js";
import { ServiceTracker, VersionedCache } from "./tracker.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:endpointslice-controller", groups: ["system:masters"], userAgent: "endpointslice-controller" };
const SLICE_DEF = RESOURCES.find((r) => r.kind === "EndpointSlice" && r.group === "discovery.k8s.io")!;
const ZONE_LABEL = "topology.kubernetes.io/zone";

type Slice = EndpointSlice & KubeObject;

export interface EndpointSliceControllerOptions {
  clock?: () => Date;
  workers?: number;
}

export class EndpointSliceController {
  readonly queue: WorkQueue;
  private readonly tracker: ServiceTracker;
  private readonly slices = new VersionedCache<Slice>("discovery.k8s.io", "EndpointSlice");
  private readonly nodes = new VersionedCache<Node & KubeObject>("", "Node");
  private started = false;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: EndpointSliceControllerOptions = {},
  ) {
    this.tracker = new ServiceTracker(opts.clock ?? (() => new Date()));
    this.queue = new WorkQueue((key) => this.sync(key), {
      workers: opts.workers ?? 4,
      onError: (k, e) => (e instanceof StatusError && (e.code === 409 || e.code === 404)) || log(`endpointslice ${k}: ${String(e)}`),
    });
  }

  /** Starts syncing (after the feed's initial listing, so that no sync sees half a cache). */
  start(): void {
    this.started = true;
    for (const key of this.serviceKeys()) this.queue.add(key);
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    const keys = this.tracker.onEvent(ev);
    if (keys) return this.enqueue(keys);
    if (this.slices.handles(ev.resource)) {
      const s = ev.object as Slice;
      if (s.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return;
      this.slices.apply(ev);
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.enqueue([`${s.metadata?.namespace ?? ""}/${svc}`]);
      return;
    }
    if (this.nodes.handles(ev.resource)) {
      const old = this.nodes.apply(ev);
      if (old?.metadata?.labels?.[ZONE_LABEL] !== ev.object.metadata?.labels?.[ZONE_LABEL] && old) this.enqueue(this.serviceKeys());
    }
  }

  private enqueue(keys: string[]): void {
    if (!this.started) return;
    for (const k of keys) this.queue.add(k);
  }

  private serviceKeys(): string[] {
    const out: string[] = [];
    for (const ns of this.tracker.services.namespaces()) for (const svc of this.tracker.services.list(ns)) out.push(keyOf(svc));
    return out;
  }

  private managedSlices(ns: string, service: string): Slice[] {
    return this.slices.list(ns).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === service);
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.tracker.services.get(ns, name);
    // A deleted Service's slices go with it (ownerReferences, garbage collector).
    if (!svc || svc.metadata?.deletionTimestamp) return;
    const existing = this.managedSlices(ns, name);
    if (!managedSelector(svc)) {
      // ExternalName or selector-less (now): slices are the user's business; ours go.
      await Promise.all(existing.map((s) => this.deleteSlice(s)));
      return;
    }
    const trigger = this.tracker.takeTrigger(key);
    try {
      const plan = planSlices({
        service: svc,
        pods: this.tracker.podsOf(svc),
        existing,
        zoneOf: (node) => this.nodes.get("", node)?.metadata?.labels?.[ZONE_LABEL],
        triggerTime: trigger,
      });
      // Creates and updates before deletes, so that endpoints never vanish in between.
      await Promise.all([
        ...plan.create.map(async (s) => this.slices.put((await this.registry.create(SLICE_DEF, ns, s as unknown as KubeObject, CALLER)) as Slice)),
        ...plan.update.map((s) => this.updateSlice(s)),
      ]);
      await Promise.all(plan.delete.map((s) => this.deleteSlice(s)));
    } catch (err) {
      this.tracker.restoreTrigger(key, trigger);
      throw err;
    }
  }

  private async updateSlice(desired: EndpointSlice): Promise<void> {
    const rv = desired.metadata!.resourceVersion!;
    try {
      const updated = await this.registry.update(
        SLICE_DEF,
        desired.metadata!.namespace!,
        desired.metadata!.name!,
        () => structuredClone({ ...desired, metadata: { ...desired.metadata, resourceVersion: rv } }) as unknown as KubeObject,
        CALLER,
      );
      this.slices.put(updated as Slice);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) this.slices.remove(desired as unknown as Slice);
      throw err;
    }
  }

  private async deleteSlice(s: EndpointSlice): Promise<void> {
    try {
      await this.registry.delete(SLICE_DEF, s.metadata!.namespace!, s.metadata!.name!, CALLER, { preconditions: { uid: s.metadata!.uid } });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    this.slices.remove(s as unknown as Slice);
  }
}
