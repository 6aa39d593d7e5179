// Node and Pod objects for the scheduler's table tests.

import type { Node, Pod, Taint } from "kubernetes-types/core/v1.js";

export function mkNode(name: string, o: { labels?: Record<string, string>; cpu?: string; memory?: string; pods?: string; taints?: Taint[]; unschedulable?: boolean; ready?: "True" | "False" | "Unknown" | "missing"; extra?: Record<string, string> } = {}): Node {
  const alloc = { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: o.pods ?? "110", ...(o.extra ?? {}) };
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: alloc, capacity: alloc, conditions: o.ready === "missing" ? [] : [{ type: "Ready", status: o.ready ?? "True" }] },
  };
}

export function mkPod(name: string, spec: Partial<NonNullable<Pod["spec"]>> = {}, meta: Partial<NonNullable<Pod["metadata"]>> = {}): Pod {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}`, ...meta },
    spec: { containers: [{ name: "c", image: "x" }], ...spec },
  };
}

