// The ReplicaSet controller (pkg/controller/replicaset): keeps spec.replicas active pods per
// ReplicaSet. Fed by the store watch (ReplicaSet and Pod events), it claims pods (adopts orphans
// that match the selector, releases its pods that no longer match), creates missing pods in
// slow-start batches, deletes surplus pods in the controller's ranking order, and reports status.
// Expectations keep a burst of events from creating or deleting twice before the cache catches up.

import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { labelSelectorAsMatcher, type LabelMatcher } from "../../../api/selectors/labels.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";
import { NamespacedCache, keyOf, splitKey } from "./cache.js";
import { EventRecorder } from "./events.js";
import { Expectations } from "./expectations.js";
import {
  claimDecision,
  controllerOf,
  isPodActive,
  msUntilAvailable,
  podFromTemplate,
  podsToDelete,
  replicaSetStatus,
  slowStartBatches,
  type OwnerRef,
} from "./pods.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:masters"], userAgent: "replicaset-controller" };
/** At most this many creates or deletes per sync (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

const POD_DEF = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;
const RS_DEF = RESOURCES.find((r) => r.kind === "ReplicaSet" && r.group === "apps")!;

export interface ReplicaSetControllerOptions {
  clock?: () => Date;
  workers?: number;
}

export class ReplicaSetController {
  readonly queue: WorkQueue;
  readonly pods = new NamespacedCache<Pod & KubeObject>("", "Pod");
  readonly replicaSets = new NamespacedCache<ReplicaSet & KubeObject>("apps", "ReplicaSet");
  readonly expectations: Expectations;
  private readonly events: EventRecorder;
  private readonly clock: () => Date;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.expectations = new Expectations(() => this.clock().getTime());
    this.events = new EventRecorder(registry, "replicaset-controller", CALLER, log, this.clock);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (k, e) => isConflict(e) || log(`replicaset ${k}: ${String(e)}`), workers: opts.workers ?? 4 });
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    if (this.replicaSets.handles(ev.resource)) {
      const old = this.replicaSets.apply(ev);
      const key = keyOf(ev.object);
      if (ev.type === "DELETED") {
        this.expectations.delete(key);
        return;
      }
      const rs = ev.object as ReplicaSet;
      // Status-only writes by this controller need no sync unless the spec or metadata changed.
      if (old && ev.type === "MODIFIED" && (old as ReplicaSet).metadata?.generation === rs.metadata?.generation &&
        JSON.stringify(old.metadata?.labels) === JSON.stringify(rs.metadata?.labels) &&
        !!old.metadata?.deletionTimestamp === !!rs.metadata?.deletionTimestamp &&
        JSON.stringify(old.metadata?.ownerReferences) === JSON.stringify(rs.metadata?.ownerReferences)) {
        return;
      }
      this.queue.add(key);
      return;
    }
    if (this.pods.handles(ev.resource)) {
      const old = this.pods.apply(ev) as Pod | undefined;
      this.onPod(ev.type, ev.object as Pod, old);
    }
  }

  private ownerKey(pod: Pod, ref: OwnerRef | undefined): string | undefined {
    if (!ref || ref.kind !== "ReplicaSet" || !ref.apiVersion.startsWith("apps/")) return undefined;
    const rs = this.replicaSets.get(pod.metadata?.namespace ?? "", ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    return keyOf(rs);
  }

  private enqueueMatching(pod: Pod): void {
    const ns = pod.metadata?.namespace ?? "";
    for (const rs of this.replicaSets.list(ns)) {
      if (selectorOf(rs)?.matches(pod.metadata?.labels)) this.queue.add(keyOf(rs));
    }
  }

  private onPod(type: StoreEvent["type"], pod: Pod, old: Pod | undefined): void {
    const podKey = keyOf(pod);
    const ref = controllerOf(pod);
    const owner = this.ownerKey(pod, ref);
    if (type === "DELETED") {
      if (owner) {
        this.expectations.deletionObserved(owner, podKey);
        this.queue.add(owner);
      }
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // A pod being deleted counts as deleted (it is no longer active).
      if (owner) {
        this.expectations.deletionObserved(owner, podKey);
        this.queue.add(owner);
      }
      return;
    }
    if (type === "ADDED" || !old) {
      if (owner) {
        this.expectations.creationObserved(owner);
        this.queue.add(owner);
      } else if (!ref) {
        this.enqueueMatching(pod);
      }
      return;
    }
    const oldRef = controllerOf(old);
    if (oldRef?.uid !== ref?.uid) {
      const oldOwner = this.ownerKey(old, oldRef);
      if (oldOwner) this.queue.add(oldOwner);
    }
    if (owner) {
      this.queue.add(owner);
      // A pod that just became ready becomes available minReadySeconds later.
      const rs = this.replicaSets.get(pod.metadata?.namespace ?? "", ref!.name);
      const wait = msUntilAvailable(pod, rs?.spec?.minReadySeconds ?? 0, this.clock());
      if (wait !== undefined && wait > 0) this.queue.addAfter(owner, wait + 50);
    } else if (!ref) {
      this.enqueueMatching(pod);
    }
  }

  /** Every pod the ReplicaSet's sibling ReplicaSets (same controller) control, for the deletion ranking. */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ns = rs.metadata?.namespace ?? "";
    const owner = controllerOf(rs);
    const uids = new Set<string>([rs.metadata!.uid!]);
    if (owner) {
      for (const other of this.replicaSets.list(ns)) if (controllerOf(other)?.uid === owner.uid) uids.add(other.metadata!.uid!);
    }
    return this.pods.list(ns).filter((p) => {
      const ref = controllerOf(p);
      return ref !== undefined && uids.has(ref.uid);
    });
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.replicaSets.get(ns, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = selectorOf(rs);
    if (!selector) return;
    const active = this.pods.list(ns).filter(isPodActive);
    const pods = await this.claimPods(rs, selector, active);
    let manageError: Error | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err instanceof Error ? err : new Error(String(err));
      }
    }
    const now = this.clock();
    const status = replicaSetStatus(rs, pods, manageError, now);
    await this.updateStatus(rs, status);
    if (manageError) throw manageError;
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.readyReplicas === (rs.spec?.replicas ?? 1) && status.availableReplicas !== status.readyReplicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
  }

  private async claimPods(rs: ReplicaSet, selector: LabelMatcher, pods: Pod[]): Promise<Pod[]> {
    const owner = { uid: rs.metadata!.uid!, deleting: !!rs.metadata?.deletionTimestamp };
    const claimed: Pod[] = [];
    let fresh: boolean | undefined;
    for (const pod of pods) {
      const decision = claimDecision(owner, selector, pod);
      if (decision === "claim") claimed.push(pod);
      else if (decision === "release") await this.patchOwner(pod, rs, "release");
      else if (decision === "adopt") {
        // Re-read the ReplicaSet before adopting (RecheckDeletionTimestamp): never adopt for a
        // ReplicaSet that is gone, replaced or being deleted.
        if (fresh === undefined) {
          const cur = await this.registry.tryGet(RS_DEF, rs.metadata!.namespace!, rs.metadata!.name!);
          fresh = cur?.metadata?.uid === rs.metadata!.uid && !cur?.metadata?.deletionTimestamp;
        }
        if (!fresh) continue;
        const adopted = await this.patchOwner(pod, rs, "adopt");
        if (adopted) claimed.push(adopted);
      }
    }
    return claimed;
  }

  private async patchOwner(pod: Pod, rs: ReplicaSet, action: "adopt" | "release"): Promise<Pod | undefined> {
    const uid = rs.metadata!.uid!;
    try {
      const updated = await this.registry.update(
        POD_DEF,
        pod.metadata!.namespace!,
        pod.metadata!.name!,
        (cur) => {
          if (cur.metadata?.uid !== pod.metadata?.uid) throw new StatusError(409, "Conflict", "the pod was replaced");
          const refs = (cur.metadata!.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (action === "adopt") {
            if (refs.some((r) => r.controller)) throw new StatusError(409, "Conflict", "the pod has another controller");
            refs.push(controllerRef(rs));
          }
          if (refs.length) cur.metadata!.ownerReferences = refs;
          else delete cur.metadata!.ownerReferences;
          return cur;
        },
        CALLER,
      );
      return updated as Pod;
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409 || err.code === 422)) return undefined;
      throw err;
    }
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const ns = rs.metadata!.namespace!;
    const desired = rs.spec?.replicas ?? 1;
    const diff = pods.length - desired;
    if (diff < 0) {
      const want = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, want);
      const ref = controllerRef(rs);
      let attempted = 0;
      let firstError: unknown;
      for (const size of slowStartBatches(want)) {
        attempted += size;
        const results = await Promise.allSettled(
          Array.from({ length: size }, () =>
            this.registry.create(POD_DEF, ns, podFromTemplate(rs.spec!.template!, ns, rs.metadata!.name!, ref) as KubeObject, CALLER),
          ),
        );
        for (const r of results) {
          if (r.status === "fulfilled") {
            this.events.record(rs as KubeObject, "Normal", "SuccessfulCreate", `Created pod: ${r.value.metadata!.name}`);
          } else {
            // The feed will never show this pod.
            this.expectations.creationObserved(key);
            firstError ??= r.reason;
          }
        }
        if (firstError) break;
      }
      if (firstError) {
        // Batches never started will not be observed either.
        for (let i = attempted; i < want; i++) this.expectations.creationObserved(key);
        const msg = firstError instanceof Error ? firstError.message : String(firstError);
        if (isNamespaceTerminating(firstError)) return;
        this.events.record(rs as KubeObject, "Warning", "FailedCreate", `Error creating: ${msg}`);
        throw new Error(msg);
      }
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.relatedPods(rs), count, this.clock());
      this.expectations.expectDeletions(key, victims.map(keyOf));
      let firstError: unknown;
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.registry.delete(POD_DEF, ns, pod.metadata!.name!, CALLER, { preconditions: { uid: pod.metadata!.uid } });
            this.events.record(rs as KubeObject, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata!.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, keyOf(pod));
            if (err instanceof StatusError && err.code === 404) return;
            firstError ??= err;
          }
        }),
      );
      if (firstError) {
        const msg = firstError instanceof Error ? firstError.message : String(firstError);
        this.events.record(rs as KubeObject, "Warning", "FailedDelete", `Error deleting: ${msg}`);
        throw new Error(msg);
      }
    }
  }

  private async updateStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet["status"]>): Promise<void> {
    if (JSON.stringify(normalizeStatus(rs.status)) === JSON.stringify(normalizeStatus(status))) return;
    try {
      await this.registry.update(
        RS_DEF,
        rs.metadata!.namespace!,
        rs.metadata!.name!,
        (cur) => {
          if (cur.metadata?.uid !== rs.metadata?.uid) throw new StatusError(404, "NotFound", "replaced");
          cur.status = status;
          return cur;
        },
        CALLER,
        { subresource: "status" },
      );
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }
}

function normalizeStatus(s: ReplicaSet["status"]): unknown {
  if (!s) return {};
  const keys = Object.keys(s).sort();
  return Object.fromEntries(keys.map((k) => [k, (s as unknown as Record<string, unknown>)[k]]));
}

export function controllerRef(rs: ReplicaSet): OwnerRef {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata!.name!, uid: rs.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

function selectorOf(rs: ReplicaSet): LabelMatcher | undefined {
  try {
    const m = labelSelectorAsMatcher(rs.spec?.selector);
    // An empty selector would select every pod: the controller ignores such ReplicaSets.
    return m.empty || m.matchesNothing ? undefined : m;
  } catch {
    return undefined;
  }
}

function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof StatusError && err.code === 403 && /being terminated/.test(err.message);
}

/** Conflicts are the normal outcome of acting on a cache a write behind; the retry resolves them. */
function isConflict(err: unknown): boolean {
  return err instanceof StatusError && err.code === 409;
}
