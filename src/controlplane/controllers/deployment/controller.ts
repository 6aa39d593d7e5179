// The Deployment controller (pkg/controller/deployment): owns ReplicaSets labelled and selected by
// pod-template-hash, rolls from the old ones to the new one (RollingUpdate within maxSurge and
// maxUnavailable, or Recreate), scales proportionally when replicas change mid-rollout, keeps
// revisions (deployment.kubernetes.io/revision) so that `kubectl rollout history/undo` work, prunes
// history beyond revisionHistoryLimit, and reports status with the Available and Progressing
// conditions. The arithmetic is in rollout.ts; this file reads the cache and writes.

import type { Deployment, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { labelSelectorAsMatcher, type LabelMatcher } from "../../../api/selectors/labels.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import { NamespacedCache, keyOf, splitKey } from "../replicaset/cache.js";
import { EventRecorder } from "../replicaset/events.js";
import { claimDecision, controllerOf, type OwnerRef } from "../replicaset/pods.js";
import type { StoreEvent } from "../store-watch.js";
import {
  FOUND_NEW_RS,
  NEW_RS_CREATED,
  PAUSED,
  POD_TEMPLATE_HASH,
  REVISION,
  RESUMED,
  TIMED_OUT,
  activeReplicaSets,
  calculateStatus,
  computeHash,
  condition,
  deploymentComplete,
  equalIgnoreHash,
  findNewReplicaSet,
  getCondition,
  hasProgressDeadline,
  isScalingEvent,
  maxRevision,
  maxSurge,
  msUntilDeadline,
  newRSNewReplicas,
  newReplicaSetTarget,
  oldReplicaSetsScaleDown,
  replicaSetsToCleanUp,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  rfc3339,
  rolloutStatus,
  scalePlan,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  statusReplicaSum,
} from "./rollout.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:deployment-controller", groups: ["system:masters"], userAgent: "deployment-controller" };
const DEPLOY_DEF = RESOURCES.find((r) => r.kind === "Deployment" && r.group === "apps")!;
const RS_DEF = RESOURCES.find((r) => r.kind === "ReplicaSet" && r.group === "apps")!;

type D = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;

export interface DeploymentControllerOptions {
  clock?: () => Date;
  workers?: number;
}

export class DeploymentController {
  readonly queue: WorkQueue;
  readonly deployments = new NamespacedCache<D>("apps", "Deployment");
  readonly replicaSets = new NamespacedCache<RS>("apps", "ReplicaSet");
  readonly pods = new NamespacedCache<Pod & KubeObject>("", "Pod");
  private readonly events: EventRecorder;
  private readonly clock: () => Date;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: DeploymentControllerOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.events = new EventRecorder(registry, "deployment-controller", CALLER, log, this.clock);
    this.queue = new WorkQueue((key) => this.sync(key), { onError: (k, e) => isConflict(e) || log(`deployment ${k}: ${String(e)}`), workers: opts.workers ?? 4 });
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    if (this.deployments.handles(ev.resource)) {
      this.deployments.apply(ev);
      if (ev.type !== "DELETED") this.queue.add(keyOf(ev.object));
      return;
    }
    if (this.replicaSets.handles(ev.resource)) {
      const old = this.replicaSets.apply(ev) as ReplicaSet | undefined;
      const rs = ev.object as ReplicaSet;
      const ref = controllerOf(rs);
      if (old && controllerOf(old)?.uid !== ref?.uid) this.enqueueOwner(old);
      if (ref) this.enqueueOwner(rs);
      else if (ev.type !== "DELETED") {
        for (const d of this.deployments.list(rs.metadata?.namespace ?? "")) {
          if (selectorOf(d)?.matches(rs.metadata?.labels)) this.queue.add(keyOf(d));
        }
      }
      return;
    }
    if (this.pods.handles(ev.resource)) {
      this.pods.apply(ev);
      // Recreate waits for every old pod to be gone.
      if (ev.type !== "DELETED") return;
      const ref = controllerOf(ev.object as Pod);
      if (ref?.kind !== "ReplicaSet") return;
      const rs = this.replicaSets.get(ev.object.metadata?.namespace ?? "", ref.name);
      const d = rs && this.ownerOf(rs);
      if (d && d.spec?.strategy?.type === "Recreate") this.queue.add(keyOf(d));
    }
  }

  private ownerOf(rs: ReplicaSet): D | undefined {
    const ref = controllerOf(rs);
    if (ref?.kind !== "Deployment") return undefined;
    const d = this.deployments.get(rs.metadata?.namespace ?? "", ref.name);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.ownerOf(rs);
    if (d) this.queue.add(keyOf(d));
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.deployments.get(ns, name);
    if (!cached) return;
    const d = structuredClone(cached) as D;
    const selector = selectorOf(d);
    if (!selector) {
      this.events.record(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata?.generation ?? 0 });
      }
      return;
    }
    const rsList = await this.claimReplicaSets(d, selector);
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.replicaSetsAndRevision(d, rsList, false);
      await this.syncStatus(d, [...oldRSs, newRS], newRS);
      return;
    }
    await this.checkPausedConditions(d);
    if (d.spec?.paused || isScalingEvent(d, rsList)) {
      await this.scaleSync(d, rsList);
      return;
    }
    if (d.spec?.strategy?.type === "Recreate") await this.rolloutRecreate(d, rsList);
    else await this.rolloutRolling(d, rsList);
  }

  // ---- claiming

  private async claimReplicaSets(d: D, selector: LabelMatcher): Promise<RS[]> {
    const owner = { uid: d.metadata!.uid!, deleting: !!d.metadata?.deletionTimestamp };
    const out: RS[] = [];
    let fresh: boolean | undefined;
    for (const rs of this.replicaSets.list(d.metadata!.namespace!)) {
      const decision = claimDecision(owner, selector, rs as never);
      if (decision === "claim") out.push(structuredClone(rs));
      else if (decision === "release") await this.patchOwner(rs, d, "release");
      else if (decision === "adopt") {
        if (rs.metadata?.deletionTimestamp) continue;
        if (fresh === undefined) {
          const cur = await this.registry.tryGet(DEPLOY_DEF, d.metadata!.namespace!, d.metadata!.name!);
          fresh = cur?.metadata?.uid === d.metadata!.uid && !cur?.metadata?.deletionTimestamp;
        }
        if (!fresh) continue;
        const adopted = await this.patchOwner(rs, d, "adopt");
        if (adopted) out.push(adopted);
      }
    }
    return out;
  }

  private async patchOwner(rs: RS, d: D, action: "adopt" | "release"): Promise<RS | undefined> {
    const uid = d.metadata!.uid!;
    try {
      return (await this.registry.update(
        RS_DEF,
        rs.metadata!.namespace!,
        rs.metadata!.name!,
        (cur) => {
          if (cur.metadata?.uid !== rs.metadata?.uid) throw new StatusError(409, "Conflict", "the ReplicaSet was replaced");
          const refs = (cur.metadata!.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (action === "adopt") {
            if (refs.some((r) => r.controller)) throw new StatusError(409, "Conflict", "the ReplicaSet has another controller");
            refs.push(deploymentRef(d));
          }
          if (refs.length) cur.metadata!.ownerReferences = refs;
          else delete cur.metadata!.ownerReferences;
          return cur;
        },
        CALLER,
      )) as RS;
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409 || err.code === 422)) return undefined;
      throw err;
    }
  }

  // ---- the new ReplicaSet and revisions

  private async replicaSetsAndRevision(d: D, rsList: RS[], create: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const existing = findNewReplicaSet(d, rsList) as RS | undefined;
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRS = await this.newReplicaSet(d, existing, oldRSs, create);
    return { newRS, oldRSs: rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid) };
  }

  private async newReplicaSet(d: D, existing: RS | undefined, oldRSs: RS[], create: boolean): Promise<RS | undefined> {
    const newRevision = maxRevision(oldRSs) + 1;
    const now = rfc3339(this.clock());
    if (existing) {
      let rs = existing;
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec!.minReadySeconds ?? 0) !== minReady) {
        copy.spec!.minReadySeconds = minReady;
        rs = await this.writeReplicaSet(copy);
      }
      await this.setDeploymentRevision(d, rs.metadata?.annotations?.[REVISION] ?? "");
      if (hasProgressDeadline(d) && !getCondition(d.status, "Progressing")) {
        const s = structuredClone(d.status ?? {});
        setCondition(s, condition("Progressing", "True", FOUND_NEW_RS, `Found new replica set "${rs.metadata!.name}"`, now));
        await this.writeStatus(d, s);
      }
      return rs;
    }
    if (!create) return undefined;

    const template = structuredClone(d.spec!.template!);
    const hash = computeHash(template, d.status?.collisionCount);
    (template.metadata ??= {}).labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const selector = structuredClone(d.spec!.selector!);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: RS = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [deploymentRef(d)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    rs.spec!.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: RS;
    let alreadyExisted = false;
    try {
      created = (await this.registry.create(RS_DEF, d.metadata!.namespace!, rs, CALLER)) as RS;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) {
        if (err instanceof StatusError && err.code === 403) return undefined; // namespace terminating
        const s = structuredClone(d.status ?? {});
        setCondition(s, condition("ReplicaFailure", "True", "FailedCreate", err instanceof Error ? err.message : String(err), now));
        await this.writeStatus(d, s);
        throw err;
      }
      const found = (await this.registry.tryGet(RS_DEF, d.metadata!.namespace!, rs.metadata!.name!)) as RS | undefined;
      if (found && controllerOf(found)?.uid === d.metadata!.uid && equalIgnoreHash(found.spec?.template, d.spec?.template)) {
        created = found;
        alreadyExisted = true;
      } else {
        // A hash collision: another template hashed the same; the next try hashes with a new count.
        const s = structuredClone(d.status ?? {});
        s.collisionCount = (s.collisionCount ?? 0) + 1;
        await this.writeStatus(d, s);
        throw new Error(`hash collision for ReplicaSet ${rs.metadata!.name}; collisionCount is now ${s.collisionCount}`, { cause: err });
      }
    }
    if (!alreadyExisted && (created.spec?.replicas ?? 0) > 0) {
      this.events.record(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${created.metadata!.name} to ${created.spec!.replicas}`);
    }
    await this.setDeploymentRevision(d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const s = structuredClone(d.status ?? {});
      setCondition(s, condition("Progressing", "True", NEW_RS_CREATED, `Created new replica set "${created.metadata!.name}"`, now));
      await this.writeStatus(d, s);
    }
    return created;
  }

  private async setDeploymentRevision(d: D, revision: string): Promise<void> {
    if (!revision || d.metadata?.annotations?.[REVISION] === revision) return;
    const updated = await this.updateDeployment(d, (cur) => ((cur.metadata!.annotations ??= {})[REVISION] = revision));
    d.metadata = updated.metadata as D["metadata"];
  }

  /** Changes the Deployment as the cache has it: a conflict if the cache was stale. */
  private updateDeployment(d: D, change: (cur: KubeObject) => void, opts?: { subresource: "status" }): Promise<KubeObject> {
    return this.registry.update(
      DEPLOY_DEF,
      d.metadata!.namespace!,
      d.metadata!.name!,
      (cur) => {
        cur.metadata!.resourceVersion = d.metadata!.resourceVersion;
        change(cur);
        return cur;
      },
      CALLER,
      opts,
    );
  }

  // ---- writes

  /** Replaces a ReplicaSet's spec and metadata, failing with a conflict if the cache was stale. */
  private async writeReplicaSet(rs: RS): Promise<RS> {
    return (await this.registry.update(
      RS_DEF,
      rs.metadata!.namespace!,
      rs.metadata!.name!,
      () => {
        const next = structuredClone(rs);
        next.metadata!.resourceVersion = rs.metadata!.resourceVersion;
        return next;
      },
      CALLER,
    )) as RS;
  }

  private async scaleReplicaSet(rs: RS, size: number, d: D): Promise<RS> {
    const old = rs.spec?.replicas ?? 0;
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    if (old === size && !replicasAnnotationsNeedUpdate(rs, desired, max)) return rs;
    const copy = structuredClone(rs);
    copy.spec!.replicas = size;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.writeReplicaSet(copy);
    if (old !== size) {
      this.events.record(d, "Normal", "ScalingReplicaSet", `Scaled ${size > old ? "up" : "down"} replica set ${rs.metadata!.name} to ${size} from ${old}`);
    }
    return updated;
  }

  private async writeStatus(d: D, status: DeploymentStatus): Promise<void> {
    if (JSON.stringify(sortKeys(status)) === JSON.stringify(sortKeys(d.status ?? {}))) return;
    const updated = await this.updateDeployment(d, (cur) => (cur.status = status), { subresource: "status" });
    d.metadata = updated.metadata as D["metadata"];
    (d as { status?: DeploymentStatus }).status = updated.status as DeploymentStatus;
  }

  // ---- strategies

  private async checkPausedConditions(d: D): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cur = getCondition(d.status, "Progressing");
    if (cur?.reason === TIMED_OUT) return;
    const pausedShown = cur?.reason === PAUSED;
    const now = rfc3339(this.clock());
    const s = structuredClone(d.status ?? {});
    if (d.spec?.paused && !pausedShown) setCondition(s, condition("Progressing", "Unknown", PAUSED, "Deployment is paused", now));
    else if (!d.spec?.paused && pausedShown) setCondition(s, condition("Progressing", "Unknown", RESUMED, "Deployment is resumed", now));
    else return;
    await this.writeStatus(d, s);
  }

  /** sync(): scaling and paused deployments — sizes change, the template does not roll. */
  private async scaleSync(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(d, rsList, false);
    const plan = scalePlan(d, newRS, oldRSs);
    const all = await this.applyPlan(d, [...oldRSs, ...(newRS ? [newRS] : [])], plan);
    const updatedNew = newRS && all.find((rs) => rs.metadata?.uid === newRS.metadata?.uid);
    const updatedOld = all.filter((rs) => rs !== updatedNew);
    if (d.spec?.paused) await this.cleanup(d, updatedOld);
    const s = calculateStatus(d, all, updatedNew, rfc3339(this.clock()));
    await this.writeStatus(d, s);
  }

  private async applyPlan(d: D, rss: RS[], plan: Map<string, number>): Promise<RS[]> {
    const out: RS[] = [];
    for (const rs of rss) {
      const size = plan.get(rs.metadata!.name!);
      out.push(size === undefined ? rs : await this.scaleReplicaSet(rs, size, d));
    }
    return out;
  }

  private async rolloutRolling(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(d, rsList, true);
    if (!newRS) return;
    const target = newReplicaSetTarget(d, [...oldRSs, newRS], newRS);
    if (target !== undefined) {
      const scaled = await this.scaleReplicaSet(newRS, target, d);
      await this.syncRolloutStatus(d, [...oldRSs, scaled], scaled);
      return;
    }
    const plan = oldReplicaSetsScaleDown(d, activeReplicaSets(oldRSs), newRS);
    if (plan.size) {
      const olds = await this.applyPlan(d, oldRSs, plan);
      await this.syncRolloutStatus(d, [...olds, newRS], newRS);
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    await this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  private async rolloutRecreate(d: D, rsList: RS[]): Promise<void> {
    let { newRS, oldRSs } = await this.replicaSetsAndRevision(d, rsList, false);
    let scaledDown = false;
    const olds: RS[] = [];
    for (const rs of oldRSs) {
      if ((rs.spec?.replicas ?? 0) > 0) {
        olds.push(await this.scaleReplicaSet(rs, 0, d));
        scaledDown = true;
      } else olds.push(rs);
    }
    if (scaledDown) {
      await this.syncRolloutStatus(d, [...olds, newRS], newRS);
      return;
    }
    if (this.oldPodsRunning(newRS, oldRSs)) {
      await this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await this.replicaSetsAndRevision(d, rsList, true));
    if (!newRS) return;
    newRS = await this.scaleReplicaSet(newRS, replicasOf(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    await this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  private oldPodsRunning(newRS: RS | undefined, oldRSs: RS[]): boolean {
    if (statusReplicaSum(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata!.uid!));
    for (const pod of this.pods.list(oldRSs[0]?.metadata?.namespace ?? newRS?.metadata?.namespace ?? "")) {
      const ref = controllerOf(pod);
      if (!ref || !oldUids.has(ref.uid)) continue;
      const phase = pod.status?.phase;
      if (phase !== "Failed" && phase !== "Succeeded") return true;
    }
    return false;
  }

  private async cleanup(d: D, oldRSs: RS[]): Promise<void> {
    for (const rs of replicaSetsToCleanUp(d, oldRSs)) {
      try {
        await this.registry.delete(RS_DEF, rs.metadata!.namespace!, rs.metadata!.name!, CALLER, { preconditions: { uid: rs.metadata!.uid } });
      } catch (err) {
        if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
  }

  private async syncRolloutStatus(d: D, allRSs: Array<RS | undefined>, newRS: RS | undefined): Promise<void> {
    const now = this.clock();
    const s = rolloutStatus(d, allRSs, newRS, now);
    await this.writeStatus(d, s);
    const wait = msUntilDeadline(d, s, now.getTime());
    if (wait !== undefined) this.queue.addAfter(keyOf(d), wait + 1000);
  }

  private async syncStatus(d: D, allRSs: Array<RS | undefined>, newRS: RS | undefined): Promise<void> {
    await this.writeStatus(d, calculateStatus(d, allRSs, newRS, rfc3339(this.clock())));
  }
}

export function deploymentRef(d: Deployment): OwnerRef {
  return { apiVersion: "apps/v1", kind: "Deployment", name: d.metadata!.name!, uid: d.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

function selectorOf(d: Deployment): LabelMatcher | undefined {
  try {
    const m = labelSelectorAsMatcher(d.spec?.selector);
    return m.empty || m.matchesNothing ? undefined : m;
  } catch {
    return undefined;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** Conflicts are the normal outcome of acting on a cache a write behind; the retry resolves them. */
function isConflict(err: unknown): boolean {
  return err instanceof StatusError && err.code === 409;
}
