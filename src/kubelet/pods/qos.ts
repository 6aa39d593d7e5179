// The pod's QoS class as Kubernetes computes it (pkg/apis/core/helper/qos GetPodQOS): requests and
// limits of cpu and memory summed over all containers (init and app), zero values ignored;
// nothing set → BestEffort; every container limits both cpu and memory and the sums of requests
// equal the sums of limits → Guaranteed; anything else → Burstable. The API server already sets
// status.qosClass at create; the kubelet keeps that and computes it only when it is missing.

import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { addQuantities, compareQuantities, isZeroQuantity, tryParseQuantity, type Quantity } from "../../api/quantity.js";

export type QosClass = "Guaranteed" | "Burstable" | "BestEffort";

const COMPUTE = ["cpu", "memory"] as const;

function add(sum: Map<string, Quantity>, values: Record<string, unknown> | undefined): Set<string> {
  const seen = new Set<string>();
  for (const r of COMPUTE) {
    const raw = values?.[r];
    if (raw === undefined || raw === null) continue;
    const q = tryParseQuantity(raw as string | number);
    if (!q || isZeroQuantity(q)) continue;
    seen.add(r);
    const prev = sum.get(r);
    sum.set(r, prev ? addQuantities(prev, q) : q);
  }
  return seen;
}

export function podQosClass(pod: Pod): QosClass {
  const spec = pod.spec;
  const containers: Container[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of containers) {
    add(requests, c.resources?.requests as Record<string, unknown> | undefined);
    const limited = add(limits, c.resources?.limits as Record<string, unknown> | undefined);
    if (COMPUTE.some((r) => !limited.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [r, req] of requests) {
      const lim = limits.get(r);
      if (!lim || compareQuantities(lim, req) !== 0) guaranteed = false;
    }
  }
  return guaranteed && limits.size === COMPUTE.length ? "Guaranteed" : "Burstable";
}
