// One scheduling decision, pure: filter the nodes (starting where the last cycle stopped, and
// stopping once enough feasible nodes are found, as kube-scheduler's percentageOfNodesToScore
// does), score the feasible ones, pick the best (ties broken at random). On failure, the
// message kube-scheduler writes: "0/3 nodes are available: 1 node(s) were unschedulable, 2
// Insufficient cpu."

import { runFilters, type CycleState } from "./filters.js";
import { scoreNodes } from "./scores.js";
import type { NodeInfo, PodInfo } from "./types.js";

export const NO_NODES_MESSAGE = "no nodes available to schedule pods";

export interface ScheduleInput {
  pod: PodInfo;
  /** Every node with a Node object, in a stable order. */
  nodes: readonly NodeInfo[];
  state: CycleState;
  /** Where to start filtering (rotates between cycles so that all nodes get their turn). */
  startIndex?: number;
  /** 0 = adaptive (kube-scheduler's default), 100 = every node. */
  percentageOfNodesToScore?: number;
  random?: () => number;
}

export type ScheduleResult =
  | { ok: true; node: string; nextStartIndex: number; feasible: number }
  | { ok: false; message: string; nextStartIndex: number };

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/** How many feasible nodes to look for before scoring (numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(total: number, percentage = 0): number {
  if (total < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return total;
  let p = percentage;
  if (p <= 0) p = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(total / 125));
  const n = Math.floor((total * p) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

/** "0/N nodes are available: <count reason>, ... ." with the parts sorted as kube sorts them. */
export function failureMessage(total: number, reasons: ReadonlyMap<string, number>): string {
  if (total === 0) return NO_NODES_MESSAGE;
  const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(", ")}.`;
}

export function schedulePod(input: ScheduleInput): ScheduleResult {
  const { pod, nodes, state } = input;
  const total = nodes.length;
  const start = total ? (input.startIndex ?? 0) % total : 0;
  if (total === 0) return { ok: false, message: NO_NODES_MESSAGE, nextStartIndex: 0 };
  const want = numFeasibleNodesToFind(total, input.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const reasons = new Map<string, number>();
  let visited = 0;
  for (; visited < total && feasible.length < want; visited++) {
    const node = nodes[(start + visited) % total];
    const why = runFilters(pod, node, state);
    if (why.length === 0) feasible.push(node);
    else for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const nextStartIndex = (start + visited) % total;
  if (feasible.length === 0) return { ok: false, message: failureMessage(total, reasons), nextStartIndex };
  if (feasible.length === 1) return { ok: true, node: feasible[0].name, nextStartIndex, feasible: 1 };
  const scores = scoreNodes(pod, feasible);
  const random = input.random ?? Math.random;
  let best = -Infinity;
  let chosen = 0;
  let ties = 0;
  scores.forEach((s, i) => {
    if (s > best) {
      best = s;
      chosen = i;
      ties = 1;
    } else if (s === best) {
      ties++;
      if (random() * ties < 1) chosen = i; // reservoir sampling: each tied node equally likely
    }
  });
  return { ok: true, node: feasible[chosen].name, nextStartIndex, feasible: feasible.length };
}
