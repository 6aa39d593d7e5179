// Pure pod logic of the ReplicaSet controller (pkg/controller/replicaset and pkg/controller's
// helpers in Kubernetes): which pods count, readiness and availability, the pod made from a
// template, the order in which surplus pods are deleted, claiming (adopt/release) decisions and
// the status a ReplicaSet reports.

import type { Pod, PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from "kubernetes-types/apps/v1.js";
import type { LabelMatcher } from "../../../api/selectors/labels.js";

export type OwnerRef = NonNullable<NonNullable<Pod["metadata"]>["ownerReferences"]>[number];

export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

/** metav1.GetControllerOf: the owner reference with controller=true. */
export function controllerOf(obj: { metadata?: { ownerReferences?: OwnerRef[] } }): OwnerRef | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** controller.FilterActivePods: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

/** podutil.IsPodAvailable: Ready for at least minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const c = readyCondition(pod);
  if (c?.status !== "True") return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

/** Milliseconds until a Ready pod becomes available, or undefined when it is not Ready. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== "True" || !minReadySeconds) return undefined;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : now.getTime();
  return Math.max(0, since + minReadySeconds * 1000 - now.getTime());
}

/** The pod a ReplicaSet creates (controller.GetPodFromTemplate): generateName `<rs>-`, the controller reference. */
export function podFromTemplate(template: PodTemplateSpec, namespace: string, ownerName: string, ownerRef: OwnerRef): Pod {
  const tm = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace,
      generateName: `${ownerName}-`,
      labels: { ...(tm.labels ?? {}) },
      ownerReferences: [{ ...ownerRef }],
    },
    spec: structuredClone(template.spec!),
  };
  if (tm.annotations && Object.keys(tm.annotations).length) pod.metadata!.annotations = { ...tm.annotations };
  if (tm.finalizers?.length) pod.metadata!.finalizers = [...tm.finalizers];
  return pod;
}

// ---- deletion order (controller.ActivePodsWithRanks)

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? "Pending"] ?? 0;
}

function deletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

function timeMs(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

function readyTimeMs(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  return c?.status === "True" ? timeMs(c.lastTransitionTime) : undefined;
}

function maxRestarts(pod: Pod): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

/** Log2 buckets of age: two times in the same bucket count as equally old (LogarithmicScaleDown). */
function logBucket(t: number, nowMs: number): number {
  const d = (nowMs - t) * 1e6; // nanoseconds, as Go's Duration
  return d <= 0 ? -1 : Math.floor(Math.log2(d));
}

/**
 * Negative when `a` should be deleted before `b`. Order: unscheduled, then Pending < Unknown <
 * Running, not ready before ready, lower deletion cost, more pods of the same owner on the node
 * (higher rank), ready for less time, more restarts, newer.
 */
export function compareForDeletion(a: Pod, b: Pod, rankA: number, rankB: number, now: Date): number {
  const nodeA = !!a.spec?.nodeName;
  const nodeB = !!b.spec?.nodeName;
  if (nodeA !== nodeB) return nodeA ? 1 : -1;
  const pa = phaseOrdinal(a);
  const pb = phaseOrdinal(b);
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  const nowMs = now.getTime();
  const uidOrder = () => ((a.metadata?.uid ?? "") < (b.metadata?.uid ?? "") ? -1 : (a.metadata?.uid ?? "") > (b.metadata?.uid ?? "") ? 1 : 0);
  if (ra && rb) {
    const ta = readyTimeMs(a);
    const tb = readyTimeMs(b);
    if (ta !== tb) {
      // Unknown times first, then the more recent.
      if (ta === undefined || tb === undefined) return ta === undefined ? -1 : 1;
      const diff = logBucket(ta, nowMs) - logBucket(tb, nowMs);
      return diff === 0 ? uidOrder() : diff;
    }
  }
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa !== xb) return xb - xa;
  const ta = timeMs(a.metadata?.creationTimestamp);
  const tb = timeMs(b.metadata?.creationTimestamp);
  if (ta !== tb) {
    if (ta === undefined || tb === undefined) return ta === undefined ? -1 : 1;
    const diff = logBucket(ta, nowMs) - logBucket(tb, nowMs);
    return diff === 0 ? uidOrder() : diff;
  }
  return 0;
}

/**
 * The `count` pods to delete (getPodsToDelete): ranked by how many related pods (of the same
 * ReplicaSet or its sibling ReplicaSets under one Deployment) share their node.
 */
export function podsToDelete(pods: Pod[], related: Pod[], count: number, now: Date): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (!node || !isPodActive(p)) continue;
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, y.pod, x.rank, y.rank, now));
  return ranked.slice(0, count).map((x) => x.pod);
}

// ---- claiming (controller.PodControllerRefManager)

export type ClaimDecision = "claim" | "adopt" | "release" | "ignore";

/** What the owner does with a pod: keep it, adopt an orphan, release a pod that no longer matches. */
export function claimDecision(
  owner: { uid: string; deleting: boolean },
  selector: LabelMatcher,
  pod: Pod,
): ClaimDecision {
  const match = selector.matches(pod.metadata?.labels);
  const ref = controllerOf(pod);
  if (ref) {
    if (ref.uid !== owner.uid) return "ignore";
    if (match) return "claim";
    return owner.deleting ? "ignore" : "release";
  }
  if (owner.deleting || !match || pod.metadata?.deletionTimestamp) return "ignore";
  return "adopt";
}

// ---- slow start

/**
 * Batch sizes for creating `count` objects (controller.slowStartBatch): 1, 2, 4, ... so that a
 * failing create (quota, admission) fails once rather than `count` times.
 */
export function slowStartBatches(count: number, initial = 1): number[] {
  const out: number[] = [];
  let remaining = count;
  let size = Math.min(remaining, initial);
  while (size > 0) {
    out.push(size);
    remaining -= size;
    size = Math.min(2 * size, remaining);
  }
  return out;
}

// ---- status

export function templateLabelsMatch(rs: ReplicaSet, pod: Pod): boolean {
  const want = rs.spec?.template?.metadata?.labels ?? {};
  const have = pod.metadata?.labels ?? {};
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** calculateStatus: counts over the ReplicaSet's active pods; a ReplicaFailure condition while creates/deletes fail. */
export function replicaSetStatus(rs: ReplicaSet, pods: Pod[], manageError: Error | undefined, now: Date): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => templateLabelsMatch(rs, p)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  let conditions: ReplicaSetCondition[] = (rs.status?.conditions ?? []).filter((c) => c.type !== "ReplicaFailure");
  const failure = rs.status?.conditions?.find((c) => c.type === "ReplicaFailure");
  if (manageError) {
    const desired = rs.spec?.replicas ?? 1;
    const reason = pods.length < desired ? "FailedCreate" : "FailedDelete";
    if (failure && failure.reason === reason && failure.message === manageError.message) conditions.push(failure);
    else conditions.push({ type: "ReplicaFailure", status: "True", reason, message: manageError.message, lastTransitionTime: rfc3339(now) });
  }
  if (!conditions.length) conditions = [];
  if (conditions.length) status.conditions = conditions;
  // Zero counts are omitted, as Go's omitempty does.
  for (const k of ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] as const) if (!status[k]) delete status[k];
  return status;
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
