// Resource arithmetic as the scheduler sees it: a pod's effective requests (containers summed,
// init containers as the max they need at any moment, sidecars included, plus overhead), a
// node's allocatable, and the "non-zero" requests used only for scoring (a pod that asks for
// nothing still counts as 100m CPU and 200 MiB, as kube-scheduler assumes).

import type { Container, Node, Pod } from "kubernetes-types/core/v1.js";
import { quantityValue, tryParseQuantity } from "../../api/quantity.js";

/** Amounts: cpu in millicores, everything else in whole units (bytes, pods, devices). */
export type Resources = Map<string, number>;

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Default pod capacity when a node reports none (the kubelet's --max-pods default). */
export const DEFAULT_MAX_PODS = 110;

function amount(name: string, value: string | number | undefined): number {
  if (value === undefined) return 0;
  const q = tryParseQuantity(value);
  if (!q) return 0;
  return name === "cpu" ? Number(q.milli) : Number(quantityValue(q));
}

export function parseResourceList(list: Record<string, string | number> | undefined): Resources {
  const out: Resources = new Map();
  if (!list) return out;
  for (const [k, v] of Object.entries(list)) {
    const n = amount(k, v);
    if (n !== 0) out.set(k, n);
  }
  return out;
}

function add(into: Resources, from: Resources): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: Resources, from: Resources): void {
  for (const [k, v] of from) if (v > (into.get(k) ?? 0)) into.set(k, v);
}

const requestsOf = (c: Container): Resources => parseResourceList(c.resources?.requests as Record<string, string> | undefined);

/**
 * The pod's effective request (resourcehelper.PodRequests): regular containers are summed; an
 * init container runs alone, after the sidecars (restartable init containers) started before it,
 * so the pod needs the max of that and the sum; overhead is added last.
 */
export function podRequests(pod: Pod): Resources {
  const spec = pod.spec;
  const sum: Resources = new Map();
  if (!spec) return sum;
  for (const c of spec.containers ?? []) add(sum, requestsOf(c));
  const sidecars: Resources = new Map();
  const initMax: Resources = new Map();
  for (const c of spec.initContainers ?? []) {
    const req = requestsOf(c);
    if (c.restartPolicy === "Always") {
      add(sidecars, req);
      maxInto(initMax, sidecars);
    } else {
      const need = new Map(sidecars);
      add(need, req);
      maxInto(initMax, need);
    }
  }
  add(sum, sidecars);
  maxInto(sum, initMax);
  add(sum, parseResourceList(spec.overhead as Record<string, string> | undefined));
  return sum;
}

/** cpu and memory as used for scoring: a container without a request counts the defaults. */
export function podNonZeroRequests(pod: Pod): { milliCPU: number; memory: number } {
  let milliCPU = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = requestsOf(c);
    milliCPU += r.get("cpu") || DEFAULT_MILLI_CPU_REQUEST;
    memory += r.get("memory") || DEFAULT_MEMORY_REQUEST;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = requestsOf(c);
    milliCPU = Math.max(milliCPU, r.get("cpu") || DEFAULT_MILLI_CPU_REQUEST);
    memory = Math.max(memory, r.get("memory") || DEFAULT_MEMORY_REQUEST);
  }
  const over = parseResourceList(pod.spec?.overhead as Record<string, string> | undefined);
  return { milliCPU: milliCPU + (over.get("cpu") ?? 0), memory: memory + (over.get("memory") ?? 0) };
}

/** status.allocatable, falling back to capacity; pods default to 110 when neither says. */
export function nodeAllocatable(node: Node): Resources {
  const st = node.status ?? {};
  const list = (st.allocatable ?? st.capacity) as Record<string, string> | undefined;
  const out = parseResourceList(list);
  if (!out.has("pods") && !(list && "pods" in list)) out.set("pods", DEFAULT_MAX_PODS);
  return out;
}
