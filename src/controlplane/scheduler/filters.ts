// Filters: pure functions of (pod, node, per-cycle state) that say why a node cannot take the
// pod, with kube-scheduler's reason texts (they are what `0/3 nodes are available: ...` counts).
// An empty result means the node fits. Run in kube-scheduler's order; the first plugin that
// rejects a node decides its reasons.

import type { NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, Taint, Toleration } from "kubernetes-types/core/v1.js";
import { labelSelectorAsMatcher, nothing, type LabelMatcher } from "../../api/selectors/labels.js";
import { TAINT_UNSCHEDULABLE, type HostPort, type NodeInfo, type PodInfo } from "./types.js";

export const REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_HOST_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = "Too many pods";
export const REASON_POD_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_POD_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const untoleratedTaintReason = (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ""}}`;

/** What one scheduling cycle computes once for the pod over all nodes (inter-pod affinity). */
export interface CycleState {
  /** Per required affinity term of the pod: topology value -> matching pods there. */
  affinityCounts: Array<Map<string, number>>;
  /** Whether any existing pod matched any of the pod's affinity terms. */
  anyAffinityMatch: boolean;
  /** Whether the pod matches all of its own affinity terms (the first pod of a group may go anywhere). */
  matchesOwnAffinity: boolean;
  /** Per required anti-affinity term of the pod: topology values that hold a matching pod. */
  antiAffinityDomains: Array<Set<string>>;
  /** "key\u0000value" of domains whose existing pods' anti-affinity rejects this pod. */
  existingAntiAffinity: Set<string>;
}

export const EMPTY_CYCLE_STATE: CycleState = {
  affinityCounts: [],
  anyAffinityMatch: false,
  matchesOwnAffinity: true,
  antiAffinityDomains: [],
  existingAntiAffinity: new Set(),
};

/** Returned by a filter that passes (never mutated). */
const NONE: string[] = [];

export type Filter = (pod: PodInfo, node: NodeInfo, state: CycleState) => string[];

// ---- tolerations and taints

export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== "Exists") return false;
  if (t.operator === "Exists") return true;
  return (t.value ?? "") === (taint.value ?? "");
}

export const tolerates = (tolerations: readonly Toleration[] | undefined, taint: Taint): boolean =>
  (tolerations ?? []).some((t) => toleratesTaint(t, taint));

export const nodeUnschedulable: Filter = (pod, node) =>
  node.unschedulable && !tolerates(pod.pod.spec?.tolerations, { key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" }) ? [REASON_UNSCHEDULABLE] : NONE;

export const nodeName: Filter = (pod, node) => {
  const want = pod.pod.spec?.nodeName;
  return want && want !== node.name ? [REASON_NODE_NAME] : NONE;
};

export const taintToleration: Filter = (pod, node) => {
  const tolerations = pod.pod.spec?.tolerations;
  for (const taint of node.taints) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (!tolerates(tolerations, taint)) return [untoleratedTaintReason(taint)];
  }
  return NONE;
};

// ---- node selector and node affinity

function matchesRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || values.length !== 1) return false;
      if (!/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      const have = BigInt(value);
      const bound = BigInt(values[0]);
      return r.operator === "Gt" ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** One NodeSelectorTerm: all expressions and fields must match; an empty term matches nothing. */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const e of exprs) if (!matchesRequirement(e, Object.hasOwn(node.labels, e.key) ? node.labels[e.key] : undefined)) return false;
  for (const f of fields) {
    if (f.key !== "metadata.name" || (f.operator !== "In" && f.operator !== "NotIn")) return false;
    if (!matchesRequirement(f, node.name)) return false;
  }
  return true;
}

export const nodeAffinity: Filter = (pod, node) => {
  const selector = pod.pod.spec?.nodeSelector;
  if (selector) for (const [k, v] of Object.entries(selector)) if (node.labels[k] !== v) return [REASON_NODE_AFFINITY];
  const required = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !(required.nodeSelectorTerms ?? []).some((t) => matchesNodeSelectorTerm(t, node))) return [REASON_NODE_AFFINITY];
  return NONE;
};

// ---- host ports

const portsConflict = (a: HostPort, b: HostPort): boolean =>
  a.port === b.port && a.protocol === b.protocol && (a.hostIP === b.hostIP || a.hostIP === "0.0.0.0" || b.hostIP === "0.0.0.0");

export const nodePorts: Filter = (pod, node) => {
  for (const want of pod.hostPorts) if (node.usedPorts.some((u) => portsConflict(u, want))) return [REASON_HOST_PORTS];
  return NONE;
};

// ---- resources

const RESOURCE_ORDER = ["cpu", "memory", "ephemeral-storage"];
const requestOrder = new WeakMap<PodInfo, Array<[string, number]>>();

/** The pod's positive requests in the order kube-scheduler reports them (cpu, memory, storage, then by name). */
function orderedRequests(pod: PodInfo): Array<[string, number]> {
  let list = requestOrder.get(pod);
  if (!list) {
    const rank = (r: string) => (RESOURCE_ORDER.includes(r) ? RESOURCE_ORDER.indexOf(r) : RESOURCE_ORDER.length);
    list = [...pod.requests].filter(([r, v]) => r !== "pods" && v > 0).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    requestOrder.set(pod, list);
  }
  return list;
}

export const nodeResourcesFit: Filter = (pod, node) => {
  let reasons: string[] | undefined;
  const maxPods = node.allocatable.get("pods") ?? 0;
  if (node.pods.size + 1 > maxPods) (reasons ??= []).push(REASON_TOO_MANY_PODS);
  for (const [r, want] of orderedRequests(pod)) {
    if ((node.allocatable.get(r) ?? 0) < (node.requested.get(r) ?? 0) + want) (reasons ??= []).push(`Insufficient ${r}`);
  }
  return reasons ?? NONE;
};

// ---- inter-pod affinity

const matcherCache = new WeakMap<PodAffinityTerm, LabelMatcher>();

function termMatcher(term: PodAffinityTerm): LabelMatcher {
  let m = matcherCache.get(term);
  if (!m) {
    try {
      m = labelSelectorAsMatcher(term.labelSelector);
    } catch {
      m = nothing();
    }
    matcherCache.set(term, m);
  }
  return m;
}

/** Whether `target` is selected by `term`, a term of a pod in namespace `ownerNamespace`. */
export function termMatchesPod(term: PodAffinityTerm, ownerNamespace: string, target: PodInfo, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const namespaces = term.namespaces ?? [];
  const nsSel = term.namespaceSelector;
  let nsOk: boolean;
  if (namespaces.length === 0 && !nsSel) nsOk = target.namespace === ownerNamespace;
  else {
    nsOk = namespaces.includes(target.namespace);
    if (!nsOk && nsSel) {
      let m: LabelMatcher;
      try {
        m = labelSelectorAsMatcher(nsSel);
      } catch {
        m = nothing();
      }
      nsOk = m.empty || m.matches(namespaceLabels(target.namespace) ?? {});
    }
  }
  return nsOk && termMatcher(term).matches(target.labels);
}

const domainKey = (key: string, value: string): string => `${key}\u0000${value}`;

/**
 * PreFilter of InterPodAffinity: one pass over every pod in the cluster (only when the pod or
 * some existing pod has required (anti-)affinity).
 */
export function computeCycleState(
  pod: PodInfo,
  nodes: Iterable<NodeInfo>,
  antiAffinityPods: Iterable<{ pod: PodInfo; node: NodeInfo }>,
  namespaceLabels: (ns: string) => Record<string, string> | undefined,
): CycleState {
  const state: CycleState = {
    affinityCounts: pod.affinityTerms.map(() => new Map()),
    anyAffinityMatch: false,
    matchesOwnAffinity: pod.affinityTerms.every((t) => termMatchesPod(t, pod.namespace, pod, namespaceLabels)),
    antiAffinityDomains: pod.antiAffinityTerms.map(() => new Set()),
    existingAntiAffinity: new Set(),
  };
  if (pod.affinityTerms.length || pod.antiAffinityTerms.length) {
    for (const node of nodes) {
      for (const other of node.pods.values()) {
        if (other.key === pod.key) continue;
        pod.affinityTerms.forEach((t, i) => {
          const v = node.labels[t.topologyKey];
          if (v === undefined || !termMatchesPod(t, pod.namespace, other, namespaceLabels)) return;
          state.affinityCounts[i].set(v, (state.affinityCounts[i].get(v) ?? 0) + 1);
          state.anyAffinityMatch = true;
        });
        pod.antiAffinityTerms.forEach((t, i) => {
          const v = node.labels[t.topologyKey];
          if (v !== undefined && termMatchesPod(t, pod.namespace, other, namespaceLabels)) state.antiAffinityDomains[i].add(v);
        });
      }
    }
  }
  for (const { pod: other, node } of antiAffinityPods) {
    if (other.key === pod.key) continue;
    for (const t of other.antiAffinityTerms) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && termMatchesPod(t, other.namespace, pod, namespaceLabels)) state.existingAntiAffinity.add(domainKey(t.topologyKey, v));
    }
  }
  return state;
}

export const interPodAffinity: Filter = (pod, node, state) => {
  if (state.existingAntiAffinity.size) {
    for (const [k, v] of Object.entries(node.labels)) if (state.existingAntiAffinity.has(domainKey(k, v))) return [REASON_EXISTING_ANTI_AFFINITY];
  }
  for (let i = 0; i < pod.antiAffinityTerms.length; i++) {
    const v = node.labels[pod.antiAffinityTerms[i].topologyKey];
    if (v !== undefined && state.antiAffinityDomains[i]?.has(v)) return [REASON_POD_ANTI_AFFINITY];
  }
  if (pod.affinityTerms.length) {
    const satisfied = pod.affinityTerms.every((t, i) => {
      const v = node.labels[t.topologyKey];
      return v !== undefined && (state.affinityCounts[i]?.get(v) ?? 0) > 0;
    });
    // The first pod of a group that selects itself may go anywhere.
    if (!satisfied && !(!state.anyAffinityMatch && state.matchesOwnAffinity)) return [REASON_POD_AFFINITY];
  }
  return NONE;
};

/** In kube-scheduler's default order. */
export const FILTERS: readonly Filter[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, interPodAffinity];

export function runFilters(pod: PodInfo, node: NodeInfo, state: CycleState): string[] {
  for (const f of FILTERS) {
    const reasons = f(pod, node, state);
    if (reasons.length) return reasons;
  }
  return NONE;
}
