// The Deployment controller's arithmetic and decisions as pure functions (Kubernetes'
// pkg/controller/deployment/util and the rolling/recreate/sync steps): maxSurge and
// maxUnavailable resolution, the pod-template-hash, revisions and their annotations, how far the
// new ReplicaSet may grow and the old ones shrink, proportional scaling, status and conditions.

import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";

export const POD_TEMPLATE_HASH = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** Deployment annotations never copied onto its ReplicaSets (and not copied back by `rollout undo`). */
const SKIP_COPY = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);

// Progressing condition reasons.
export const NEW_RS_CREATED = "NewReplicaSetCreated";
export const FOUND_NEW_RS = "FoundNewReplicaSet";
export const RS_UPDATED = "ReplicaSetUpdated";
export const NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
export const TIMED_OUT = "ProgressDeadlineExceeded";
export const PAUSED = "DeploymentPaused";
export const RESUMED = "DeploymentResumed";
export const MIN_AVAILABLE = "MinimumReplicasAvailable";
export const MIN_UNAVAILABLE = "MinimumReplicasUnavailable";

const MAX_INT32 = 2147483647;

// ---- maxSurge / maxUnavailable

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` rounded up or down.
 * Throws on a malformed value (validation rejects those first).
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value;
  const m = /^(-?[0-9]+)%$/.exec(value);
  if (!m) {
    if (/^-?[0-9]+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** ResolveFenceposts: surge rounds up, unavailable down; both zero would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const replicasOf = (x: { spec?: { replicas?: number } } | undefined): number => x?.spec?.replicas ?? 1;
const rsReplicas = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";
}

function fenceposts(d: Deployment) {
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d));
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicasOf(d));
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return fenceposts(d).surge;
}

// ---- counting

export const specReplicaSum = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + rsReplicas(rs), 0);
export const statusReplicaSum = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const availableSum = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
export const readySum = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const activeReplicaSets = (rss: Array<ReplicaSet | undefined>): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && rsReplicas(rs) > 0);

const created = (rs: ReplicaSet): number => Date.parse(rs.metadata?.creationTimestamp ?? "") || 0;
/** ReplicaSetsByCreationTimestamp: older first, then by name. */
export const byCreation = (a: ReplicaSet, b: ReplicaSet): number =>
  created(a) - created(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");

// ---- the new ReplicaSet's size

/** NewRSNewReplicas: how many replicas the new ReplicaSet may have now. */
export function newRSNewReplicas(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? "25%", replicasOf(d), true);
  const current = specReplicaSum(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return rsReplicas(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - rsReplicas(newRS));
  return rsReplicas(newRS) + up;
}

/** reconcileNewReplicaSet: the new ReplicaSet's target size, or undefined when it stays. */
export function newReplicaSetTarget(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number | undefined {
  const want = replicasOf(d);
  if (rsReplicas(newRS) === want) return undefined;
  if (rsReplicas(newRS) > want) return want;
  const n = newRSNewReplicas(d, allRSs, newRS);
  return n === rsReplicas(newRS) ? undefined : n;
}

// ---- old ReplicaSets scaling down (rolling update)

/**
 * reconcileOldReplicaSets: new sizes for old ReplicaSets. First the unhealthy replicas (spec minus
 * available) go, oldest ReplicaSet first, then healthy ones as long as at least
 * replicas − maxUnavailable stay available. Returns the sizes that change, by name.
 */
export function oldReplicaSetsScaleDown(d: Deployment, oldRSs: ReplicaSet[], newRS: ReplicaSet | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const oldCount = specReplicaSum(oldRSs);
  if (oldCount === 0) return out;
  const size = (rs: ReplicaSet) => out.get(rs.metadata!.name!) ?? rsReplicas(rs);
  const allCount = oldCount + rsReplicas(newRS);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  const maxScaledDown = allCount - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  const sorted = [...oldRSs].sort(byCreation);
  // cleanupUnhealthyReplicas
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const spec = rsReplicas(rs);
    const avail = rs.status?.availableReplicas ?? 0;
    if (spec === 0 || spec === avail) continue;
    const down = Math.min(maxScaledDown - cleaned, spec - avail);
    out.set(rs.metadata!.name!, spec - down);
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate, on the sizes after the clean-up
  const available = availableSum([...oldRSs, newRS]);
  if (available <= minAvailable) return out;
  const total = available - minAvailable;
  let done = 0;
  for (const rs of sorted) {
    if (done >= total) break;
    const spec = size(rs);
    if (spec === 0) continue;
    const down = Math.min(spec, total - done);
    out.set(rs.metadata!.name!, spec - down);
    done += down;
  }
  return out;
}

// ---- scaling (a changed spec.replicas, or a paused deployment)

/** FindActiveOrLatest: the only active ReplicaSet, else the newest when none is active, else undefined. */
export function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  const sortedOld = [...oldRSs].sort(byCreation);
  const active = activeReplicaSets([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[sortedOld.length - 1];
  if (active.length === 1) return active[0];
  return undefined;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS);
  return desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d) && rsReplicas(rs) === replicasOf(d);
}

/** isScalingEvent: an active ReplicaSet records a desired size other than the deployment's. */
export function isScalingEvent(d: Deployment, allRSs: Array<ReplicaSet | undefined>): boolean {
  for (const rs of activeReplicaSets(allRSs)) {
    const desired = intAnnotation(rs, DESIRED_REPLICAS);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** Go's math.Round: half away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

function fraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -rsReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAway((rsReplicas(rs) * deploymentReplicas) / annotated) - rsReplicas(rs);
}

function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

/**
 * scale(): the sizes every ReplicaSet should have after the deployment's replicas changed. One
 * active ReplicaSet takes the new size; a saturated new ReplicaSet sends the old ones to zero;
 * during a rolling update the difference is shared in proportion to each ReplicaSet's size
 * (larger first; newer first when growing, older first when shrinking), the rounding leftover going
 * to the first. Returns the target size of every ReplicaSet to (re)scale, by name: the controller
 * writes those whose size or replicas annotations differ.
 */
export function scalePlan(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Map<string, number> {
  const out = new Map<string, number>();
  const single = activeOrLatest(newRS, oldRSs);
  if (single) {
    out.set(single.metadata!.name!, replicasOf(d));
    return out;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of activeReplicaSets(oldRSs)) out.set(rs.metadata!.name!, 0);
    return out;
  }
  if (!isRollingUpdate(d)) return out;
  const all = activeReplicaSets([...oldRSs, newRS]);
  const current = specReplicaSum(all);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - current;
  if (toAdd > 0) all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreation(b, a));
  else if (toAdd < 0) all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreation(a, b));
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata!.name!, rsReplicas(rs) + p);
      added += p;
    } else sizes.set(rs.metadata!.name!, rsReplicas(rs));
  }
  if (all.length && added !== toAdd) {
    const first = all[0].metadata!.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  return sizes;
}

// ---- hash, templates, revisions

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      // nil and empty maps/slices are equal (apimachinery's semantic equality)
      if (c === null || c === undefined) continue;
      if (typeof c === "object" && Object.keys(c).length === 0) continue;
      out[k] = c;
    }
    return out;
  }
  return v;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * ComputeHash: FNV-32a over the template (canonical JSON here; Kubernetes hashes a Go dump, so the
 * values differ but are as stable) and the collision count, written with the alphabet of
 * rand.SafeEncodeString so that it never spells words.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(canonical(template ?? {}))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join("");
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
  return canonical(c);
}

/** EqualIgnoreHash: templates equal but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(withoutHash(a)) === JSON.stringify(withoutHash(b));
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the deployment's. */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[REVISION];
  const n = v === undefined ? 0 : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export const maxRevision = (rss: ReplicaSet[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

/** SetReplicasAnnotations: desired-replicas and max-replicas; true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = ((rs.metadata ??= {}).annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations: copies the deployment's annotations, raises the revision (recording
 * the one it replaces in revision-history, as `rollout undo` makes an old ReplicaSet new again) and,
 * for a ReplicaSet about to be created, the replicas annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  const a = ((rs.metadata ??= {}).annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIP_COPY.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevision = a[REVISION];
  const oldInt = oldRevision === undefined ? 0 : Number(oldRevision) || 0;
  if (oldInt < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined && oldRevision !== "") {
      let history = a[REVISION_HISTORY] ? a[REVISION_HISTORY].split(",") : [];
      history.push(oldRevision);
      while (history.join(",").length > MAX_REVISION_HISTORY_CHARS && history.length > 1) history = history.slice(1);
      a[REVISION_HISTORY] = history.join(",");
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** The annotations `kubectl rollout undo` would copy back; exported for tests. */
export const skipsCopy = (key: string): boolean => SKIP_COPY.has(key);

/** cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit that are empty, oldest revision first. */
export function replicaSetsToCleanUp(d: Deployment, oldRSs: ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  alive.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  const out: ReplicaSet[] = [];
  for (const rs of alive.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0) continue;
    if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    out.push(rs);
  }
  return out;
}

// ---- status and conditions

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** SetDeploymentCondition: no change for the same status and reason; keeps lastTransitionTime while the status holds. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = { ...cond };
  if (cur && cur.status === cond.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (!status.conditions.length) delete status.conditions;
}

export function condition(type: string, status: "True" | "False" | "Unknown", reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== MAX_INT32;
}

/** calculateStatus: sums over the ReplicaSets, and the Available condition. */
export function calculateStatus(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, now: string): DeploymentStatus {
  const available = availableSum(allRSs);
  const total = statusReplicaSum(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: total,
    updatedReplicas: statusReplicaSum([newRS]),
    readyReplicas: readySum(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  // Zero counts are omitted, as Go's omitempty does.
  for (const k of ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] as const) {
    if (!status[k]) delete status[k];
  }
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = structuredClone(d.status.conditions);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now));
  } else {
    setCondition(status, condition("Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now));
  }
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, "Progressing");
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE) return false;
  if (c.reason === TIMED_OUT) return true;
  const from = Date.parse(c.lastUpdateTime ?? "");
  return Number.isFinite(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}

/**
 * syncRolloutStatus: the status after a rollout step, with the Progressing condition moved on
 * (complete, progressing, or past its deadline).
 */
export function rolloutStatus(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, nowDate: Date): DeploymentStatus {
  const now = rfc3339(nowDate);
  const s = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(s, "Progressing");
  const cur = getCondition(s, "Progressing");
  const complete = s.replicas === s.updatedReplicas && cur?.reason === NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !complete) {
    const rsName = newRS?.metadata?.name;
    if (deploymentComplete(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata?.name}" has successfully progressed.`;
      setCondition(s, condition("Progressing", "True", NEW_RS_AVAILABLE, msg, now));
    } else if (deploymentProgressing(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
      const c = condition("Progressing", "True", RS_UPDATED, msg, now);
      if (cur?.status === "True") c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, "Progressing");
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, nowDate.getTime())) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata?.name}" has timed out progressing.`;
      setCondition(s, condition("Progressing", "False", TIMED_OUT, msg, now));
    }
  }
  // A ReplicaSet that cannot create or delete pods (quota, admission) shows on the deployment.
  const failure = [newRS, ...allRSs].map((rs) => rs?.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True")).find((c) => c);
  if (failure) setCondition(s, condition("ReplicaFailure", "True", failure.reason ?? "", failure.message ?? "", failure.lastTransitionTime ?? now));
  else removeCondition(s, "ReplicaFailure");
  return s;
}

/** requeueStuckDeployment: ms until the progress deadline passes, or undefined when nothing waits for it. */
export function msUntilDeadline(d: Deployment, s: DeploymentStatus, nowMs: number): number | undefined {
  const c = getCondition(s, "Progressing");
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (c.reason === NEW_RS_AVAILABLE || c.reason === TIMED_OUT || deploymentComplete(d, s)) return undefined;
  const from = Date.parse(c.lastUpdateTime ?? "");
  if (!Number.isFinite(from)) return undefined;
  return Math.max(0, from + d.spec!.progressDeadlineSeconds! * 1000 - nowMs);
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
