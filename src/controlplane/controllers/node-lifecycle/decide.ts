// What the node lifecycle controller does to one node, as a pure function of the node, when the
// controller last saw a sign of life from its kubelet, and the time:
// - no lease renewal (or Ready heartbeat) seen for longer than the grace period: the kubelet's
//   conditions become Unknown ("Kubelet stopped posting node status."), as Kubernetes'
//   nodelifecycle controller does after --node-monitor-grace-period;
// - the Ready condition decides the NoSchedule taints (TaintNodesByCondition): Unknown →
//   node.kubernetes.io/unreachable, False → node.kubernetes.io/not-ready, True → neither.
// No NoExecute taints and no evictions: there are no pods to evict yet.

import type { Node, NodeCondition, Taint } from "kubernetes-types/core/v1.js";

export const UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";
export const NOT_READY_TAINT = "node.kubernetes.io/not-ready";
/** The conditions the kubelet owns and the controller marks Unknown when it falls silent. */
export const KUBELET_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const;
export const DEFAULT_GRACE_PERIOD_MS = 40_000;

export interface HealthInput {
  node: Node;
  /** When the controller last saw the node's lease renewed or its kubelet post status (ms since epoch). */
  lastProbeMs: number;
  now: Date;
  gracePeriodMs: number;
}

export interface HealthDecision {
  /** The node's new status.conditions, when they must change. */
  conditions?: NodeCondition[];
  /** The node's new spec.taints, when they must change. */
  taints?: Taint[];
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The conditions with the kubelet's ones set to Unknown; undefined when they already are. */
export function markUnknown(conditions: readonly NodeCondition[], node: Node, now: Date): NodeCondition[] | undefined {
  const ts = rfc3339(now);
  let changed = false;
  const out = conditions.map((c) => {
    if (!(KUBELET_CONDITIONS as readonly string[]).includes(c.type) || c.status === "Unknown") return c;
    changed = true;
    // The heartbeat stays: it records when the kubelet was last heard from.
    return { ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: ts };
  });
  for (const type of KUBELET_CONDITIONS) {
    if (out.some((c) => c.type === type)) continue;
    changed = true;
    out.push({
      type,
      status: "Unknown",
      reason: "NodeStatusNeverUpdated",
      message: "Kubelet never posted node status.",
      ...(node.metadata?.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
      lastTransitionTime: ts,
    });
  }
  return changed ? out : undefined;
}

/** The taints for a node whose Ready condition has `ready` status; undefined when they need no change. */
export function taintsFor(taints: readonly Taint[], ready: string | undefined): Taint[] | undefined {
  if (ready === undefined) return undefined; // nothing known yet: leave the node as registered
  const want = new Set<string>();
  if (ready === "Unknown") want.add(UNREACHABLE_TAINT);
  if (ready === "False") want.add(NOT_READY_TAINT);
  const ours = (t: Taint) => (t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT) && t.effect === "NoSchedule";
  const kept = taints.filter((t) => !ours(t) || want.has(t.key));
  const missing = [...want].filter((key) => !kept.some((t) => t.key === key && t.effect === "NoSchedule"));
  if (missing.length === 0 && kept.length === taints.length) return undefined;
  return [...kept, ...missing.map((key) => ({ key, effect: "NoSchedule" }))];
}

export function decideNodeHealth(input: HealthInput): HealthDecision {
  const { node, now } = input;
  const current = node.status?.conditions ?? [];
  const stale = now.getTime() - input.lastProbeMs > input.gracePeriodMs;
  const conditions = stale ? markUnknown(current, node, now) : undefined;
  const ready = (conditions ?? current).find((c) => c.type === "Ready")?.status;
  const taints = taintsFor(node.spec?.taints ?? [], ready);
  return { ...(conditions ? { conditions } : {}), ...(taints ? { taints } : {}) };
}
