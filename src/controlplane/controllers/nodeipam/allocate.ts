// Which pod CIDR a node gets: the lowest /24 (the node mask size) of the cluster's pod subnet that
// no node holds. Pure: the controller feeds it the CIDRs the store says are held, plus those it is
// writing at the moment, so two nodes never get the same range.

import { cidrsOverlap, numberToIPv4, parseIPv4Cidr, type IPv4Cidr } from "../../../cluster/config/cidr.js";

/** kube-controller-manager's --node-cidr-mask-size default for IPv4. */
export const DEFAULT_NODE_MASK_SIZE = 24;
export const DEFAULT_POD_SUBNET = "10.244.0.0/16";

export interface PodCidrPlan {
  subnet: IPv4Cidr;
  nodeMaskSize: number;
  /** How many node ranges fit. */
  size: number;
}

/** Checks the cluster's pod subnet against the node mask size; throws with what is wrong. */
export function podCidrPlan(podSubnet: string, nodeMaskSize = DEFAULT_NODE_MASK_SIZE): PodCidrPlan {
  const subnet = parseIPv4Cidr(podSubnet);
  if (typeof subnet === "string") throw new Error(`pod subnet ${JSON.stringify(podSubnet)} ${subnet}`);
  if (nodeMaskSize < subnet.prefix || nodeMaskSize > 30) {
    throw new Error(`pod subnet ${podSubnet} cannot be split into /${nodeMaskSize} node ranges`);
  }
  return { subnet, nodeMaskSize, size: 2 ** (nodeMaskSize - subnet.prefix) };
}

/** The index-th node range of the plan, as text ("10.244.3.0/24"). */
export function nodeCidrAt(plan: PodCidrPlan, index: number): string {
  return `${numberToIPv4(plan.subnet.base + index * 2 ** (32 - plan.nodeMaskSize))}/${plan.nodeMaskSize}`;
}

/**
 * The lowest node range that overlaps none of `held` (CIDR texts, any size; ones that do not parse
 * or lie outside the subnet are ignored), or undefined when the subnet is full.
 */
export function nextFreeCidr(plan: PodCidrPlan, held: Iterable<string>): string | undefined {
  const step = 2 ** (32 - plan.nodeMaskSize);
  const taken = new Set<number>();
  for (const text of held) {
    const c = parseIPv4Cidr(text);
    if (typeof c === "string" || !cidrsOverlap(c, plan.subnet)) continue;
    // Every node range the held CIDR touches is taken (a held /23 takes two /24s).
    const first = Math.max(c.base, plan.subnet.base);
    const last = Math.min(c.base + 2 ** (32 - c.prefix), plan.subnet.base + plan.size * step) - 1;
    for (let i = Math.floor((first - plan.subnet.base) / step); i <= Math.floor((last - plan.subnet.base) / step); i++) taken.add(i);
  }
  for (let i = 0; i < plan.size; i++) if (!taken.has(i)) return nodeCidrAt(plan, i);
  return undefined;
}
