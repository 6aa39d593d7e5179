// What the filters and scores look at: a pod digested once (requests, ports, owner, affinity
// terms) and a node with the sum of what its pods take. Built from API objects by pure
// functions, so tests build snapshots exactly as the cache does.

import type { Node, Pod, PodAffinityTerm, Taint } from "kubernetes-types/core/v1.js";
import { nodeAllocatable, podNonZeroRequests, podRequests, type Resources } from "./resources.js";

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

export interface PodInfo {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  pod: Pod;
  labels: Record<string, string>;
  requests: Resources;
  nonZero: { milliCPU: number; memory: number };
  hostPorts: HostPort[];
  /** uid of the controller owner (ownerReferences with controller: true), for spreading. */
  ownerUid?: string;
  affinityTerms: PodAffinityTerm[];
  antiAffinityTerms: PodAffinityTerm[];
}

export interface NodeInfo {
  name: string;
  node?: Node;
  labels: Record<string, string>;
  /** spec.taints plus, for a node that is not Ready, the taint its condition implies. */
  taints: Taint[];
  unschedulable: boolean;
  allocatable: Resources;
  requested: Resources;
  nonZeroRequested: { milliCPU: number; memory: number };
  pods: Map<string, PodInfo>;
  usedPorts: HostPort[];
  /** Pods per controller owner uid. */
  ownerCounts: Map<string, number>;
}

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_ZONE_BETA = "failure-domain.beta.kubernetes.io/zone";

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export function podInfoOf(pod: Pod): PodInfo {
  const m = pod.metadata ?? {};
  const hostPorts: HostPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) hostPorts.push({ hostIP: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
    }
  }
  const aff = pod.spec?.affinity;
  return {
    key: podKey(m.namespace ?? "", m.name ?? ""),
    uid: m.uid ?? "",
    namespace: m.namespace ?? "",
    name: m.name ?? "",
    pod,
    labels: m.labels ?? {},
    requests: podRequests(pod),
    nonZero: podNonZeroRequests(pod),
    hostPorts,
    ownerUid: m.ownerReferences?.find((o) => o.controller)?.uid,
    affinityTerms: aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    antiAffinityTerms: aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [],
  };
}

/** The taint a node's Ready condition implies (what the node lifecycle controller would add). */
function conditionTaint(node: Node): Taint | undefined {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True") return undefined;
  const key = ready?.status === "False" ? TAINT_NOT_READY : TAINT_UNREACHABLE;
  return { key, effect: "NoSchedule" };
}

export function emptyNodeInfo(name: string): NodeInfo {
  return {
    name,
    labels: {},
    taints: [],
    unschedulable: false,
    allocatable: new Map(),
    requested: new Map(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    pods: new Map(),
    usedPorts: [],
    ownerCounts: new Map(),
  };
}

/** Sets the node's own fields (labels, taints, allocatable), keeping its pods. */
export function setNode(info: NodeInfo, node: Node): void {
  info.node = node;
  info.labels = node.metadata?.labels ?? {};
  const taints = [...(node.spec?.taints ?? [])];
  const implied = conditionTaint(node);
  if (implied && !taints.some((t) => (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE) && t.effect === "NoSchedule")) taints.push(implied);
  info.taints = taints;
  info.unschedulable = node.spec?.unschedulable === true;
  info.allocatable = nodeAllocatable(node);
}

export function addPod(info: NodeInfo, p: PodInfo): void {
  if (info.pods.has(p.key)) removePod(info, p.key);
  info.pods.set(p.key, p);
  for (const [k, v] of p.requests) info.requested.set(k, (info.requested.get(k) ?? 0) + v);
  info.nonZeroRequested.milliCPU += p.nonZero.milliCPU;
  info.nonZeroRequested.memory += p.nonZero.memory;
  for (const hp of p.hostPorts) info.usedPorts.push(hp);
  if (p.ownerUid) info.ownerCounts.set(p.ownerUid, (info.ownerCounts.get(p.ownerUid) ?? 0) + 1);
}

export function removePod(info: NodeInfo, key: string): PodInfo | undefined {
  const p = info.pods.get(key);
  if (!p) return undefined;
  info.pods.delete(key);
  for (const [k, v] of p.requests) info.requested.set(k, (info.requested.get(k) ?? 0) - v);
  info.nonZeroRequested.milliCPU -= p.nonZero.milliCPU;
  info.nonZeroRequested.memory -= p.nonZero.memory;
  if (p.hostPorts.length) {
    for (const hp of p.hostPorts) {
      const i = info.usedPorts.findIndex((u) => u.port === hp.port && u.protocol === hp.protocol && u.hostIP === hp.hostIP);
      if (i >= 0) info.usedPorts.splice(i, 1);
    }
  }
  if (p.ownerUid) {
    const n = (info.ownerCounts.get(p.ownerUid) ?? 1) - 1;
    if (n > 0) info.ownerCounts.set(p.ownerUid, n);
    else info.ownerCounts.delete(p.ownerUid);
  }
  return p;
}

/** A NodeInfo for a Node and the pods on it (tests and snapshots). */
export function nodeInfoOf(node: Node, pods: Pod[] = []): NodeInfo {
  const info = emptyNodeInfo(node.metadata?.name ?? "");
  setNode(info, node);
  for (const p of pods) addPod(info, podInfoOf(p));
  return info;
}
