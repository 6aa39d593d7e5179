// Scores: pure functions over the nodes that passed the filters, each giving 0..100 per node
// (MaxNodeScore), combined with kube-scheduler's default weights. Plugins whose raw value is
// relative (affinity weights, taint counts, pods of the same owner) are normalised over the
// candidate nodes, as kube-scheduler's NormalizeScore does.

import type { Taint } from "kubernetes-types/core/v1.js";
import { matchesNodeSelectorTerm, tolerates } from "./filters.js";
import { LABEL_ZONE, LABEL_ZONE_BETA, type NodeInfo, type PodInfo } from "./types.js";

export const MAX_NODE_SCORE = 100;

export const WEIGHTS = {
  leastAllocated: 1,
  balancedAllocation: 1,
  nodeAffinity: 2,
  taintToleration: 3,
  spread: 2,
} as const;

/** NodeResourcesFit / LeastAllocated on cpu and memory (non-zero requests, pod included). */
export function leastAllocated(pod: PodInfo, node: NodeInfo): number {
  const part = (alloc: number, used: number): number => (alloc <= 0 || used > alloc ? 0 : ((alloc - used) * MAX_NODE_SCORE) / alloc);
  const cpu = part(node.allocatable.get("cpu") ?? 0, node.nonZeroRequested.milliCPU + pod.nonZero.milliCPU);
  const mem = part(node.allocatable.get("memory") ?? 0, node.nonZeroRequested.memory + pod.nonZero.memory);
  return Math.floor((cpu + mem) / 2);
}

/** NodeResourcesBalancedAllocation: cpu and memory fractions close to each other score high. */
export function balancedAllocation(pod: PodInfo, node: NodeInfo): number {
  const frac = (alloc: number, used: number): number => (alloc <= 0 ? 1 : Math.min(1, used / alloc));
  const cpu = frac(node.allocatable.get("cpu") ?? 0, node.nonZeroRequested.milliCPU + pod.nonZero.milliCPU);
  const mem = frac(node.allocatable.get("memory") ?? 0, node.nonZeroRequested.memory + pod.nonZero.memory);
  const std = Math.abs(cpu - mem) / 2;
  return Math.floor((1 - std) * MAX_NODE_SCORE);
}

/** Raw NodeAffinity score: the sum of the weights of the preferred terms the node matches. */
export function preferredNodeAffinity(pod: PodInfo, node: NodeInfo): number {
  let sum = 0;
  for (const p of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (p.weight && matchesNodeSelectorTerm(p.preference, node)) sum += p.weight;
  }
  return sum;
}

/** Raw TaintToleration score: how many PreferNoSchedule taints the pod does not tolerate. */
export function intolerablePreferNoSchedule(pod: PodInfo, node: NodeInfo): number {
  const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
  return node.taints.filter((t: Taint) => t.effect === "PreferNoSchedule" && !tolerates(tolerations, t)).length;
}

/** Scales raw scores to 0..100 by the largest; `reverse` makes the smallest raw value best. */
export function normalize(raw: readonly number[], reverse = false): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return raw.map((r) => {
    const s = Math.floor((r * MAX_NODE_SCORE) / max);
    return reverse ? MAX_NODE_SCORE - s : s;
  });
}

export const zoneOf = (node: NodeInfo): string | undefined => node.labels[LABEL_ZONE] ?? node.labels[LABEL_ZONE_BETA];

/**
 * Spreading of the pods of one controller (SelectorSpread with the owner's uid as the
 * selector): fewer pods of the same owner on a node, and in its zone, score higher; the zone
 * counts for two thirds where nodes have zones.
 */
export function spread(pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const owner = pod.ownerUid;
  if (!owner) return nodes.map(() => MAX_NODE_SCORE);
  const counts = nodes.map((n) => n.ownerCounts.get(owner) ?? 0);
  const zoneCounts = new Map<string, number>();
  nodes.forEach((n, i) => {
    const z = zoneOf(n);
    if (z !== undefined) zoneCounts.set(z, (zoneCounts.get(z) ?? 0) + counts[i]);
  });
  const maxNode = Math.max(0, ...counts);
  const maxZone = Math.max(0, ...zoneCounts.values());
  return nodes.map((n, i) => {
    let s = maxNode > 0 ? (MAX_NODE_SCORE * (maxNode - counts[i])) / maxNode : MAX_NODE_SCORE;
    const z = zoneOf(n);
    if (zoneCounts.size > 0 && z !== undefined) {
      const zs = maxZone > 0 ? (MAX_NODE_SCORE * (maxZone - (zoneCounts.get(z) ?? 0))) / maxZone : MAX_NODE_SCORE;
      s = s / 3 + (2 * zs) / 3;
    }
    return Math.floor(s);
  });
}

/** The weighted total per node (same order as `nodes`). */
export function scoreNodes(pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const total = nodes.map((n) => WEIGHTS.leastAllocated * leastAllocated(pod, n) + WEIGHTS.balancedAllocation * balancedAllocation(pod, n));
  const add = (scores: number[], w: number) => scores.forEach((s, i) => (total[i] += w * s));
  if (pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) {
    add(normalize(nodes.map((n) => preferredNodeAffinity(pod, n))), WEIGHTS.nodeAffinity);
  }
  if (nodes.some((n) => n.taints.some((t) => t.effect === "PreferNoSchedule"))) {
    add(normalize(nodes.map((n) => intolerablePreferNoSchedule(pod, n)), true), WEIGHTS.taintToleration);
  }
  add(spread(pod, nodes), WEIGHTS.spread);
  return total;
}
