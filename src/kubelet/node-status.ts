// The Node object the kubelet registers and the status it keeps posting, as pure functions of the
// node's configuration, the host facts and the current time.
//
// Conditions follow the real kubelet: every post sets lastHeartbeatTime to now; lastTransitionTime
// changes only when a condition's status changes. A status is worth posting when anything but the
// heartbeats differs from what the API server holds (nodeStatusHasChanged in the kubelet).

import { isDeepStrictEqual } from "node:util";
import type { Node, NodeCondition, NodeStatus, Taint } from "kubernetes-types/core/v1.js";
import type { HostInfo } from "./host-info.js";
import { formatCpu } from "./proc.js";

export type NodeRole = "control-plane" | "worker";

export interface NodeIdentity {
  nodeName: string;
  role: NodeRole;
  /** Extra labels from the cluster configuration. */
  labels?: Record<string, string>;
  /** Taints set at registration only (a user may remove them later). */
  taints?: Taint[];
}

export interface Versions {
  kubeletVersion: string;
  kubeProxyVersion: string;
}

export const KUBELET_PORT = 10250;
export const MAX_PODS = 110;
export const CONTROL_PLANE_ROLE_LABEL = "node-role.kubernetes.io/control-plane";

/** A condition as the kubelet decides it, before timestamps. */
export type ConditionState = Pick<NodeCondition, "type" | "status" | "reason" | "message">;

/** The kubelet's own conditions, in the real kubelet's order. There is no eviction manager yet, so no pressure. */
export const HEALTHY_CONDITIONS: readonly ConditionState[] = [
  { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
  { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
  { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
  { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
];

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nodeLabels(id: NodeIdentity, arch: string, os = "linux"): Record<string, string> {
  return {
    ...id.labels,
    "beta.kubernetes.io/arch": arch,
    "beta.kubernetes.io/os": os,
    "kubernetes.io/arch": arch,
    "kubernetes.io/hostname": id.nodeName,
    "kubernetes.io/os": os,
    ...(id.role === "control-plane" ? { [CONTROL_PLANE_ROLE_LABEL]: "" } : {}),
  };
}

/** Capacity as the kubelet writes it (memory and storage in Ki); allocatable equals it (nothing is reserved). */
export function capacityOf(host: HostInfo): Record<string, string> {
  return {
    cpu: formatCpu(host.cpuMillis),
    ...(host.ephemeralStorageKi !== undefined ? { "ephemeral-storage": `${host.ephemeralStorageKi}Ki` } : {}),
    memory: `${host.memoryKi}Ki`,
    pods: String(MAX_PODS),
  };
}

/** The status fields the kubelet owns, except conditions. */
export function statusFacts(id: NodeIdentity, host: HostInfo, versions: Versions): Omit<NodeStatus, "conditions"> {
  const capacity = capacityOf(host);
  return {
    addresses: [...(host.internalIP ? [{ type: "InternalIP", address: host.internalIP }] : []), { type: "Hostname", address: id.nodeName }],
    capacity,
    allocatable: { ...capacity },
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: host.machineID,
      systemUUID: host.systemUUID,
      bootID: host.bootID,
      kernelVersion: host.kernelVersion,
      osImage: host.osImage,
      containerRuntimeVersion: host.containerRuntimeVersion,
      kubeletVersion: versions.kubeletVersion,
      kubeProxyVersion: versions.kubeProxyVersion,
      operatingSystem: host.operatingSystem,
      architecture: host.architecture,
    },
  };
}

/**
 * Merges the kubelet's conditions into those the server holds: ours get a heartbeat of `now` and
 * keep their transition time unless the status changed; conditions of other writers (e.g.
 * NetworkUnavailable) stay as they are, in place.
 */
export function mergeConditions(existing: readonly NodeCondition[] | undefined, desired: readonly ConditionState[], now: Date): NodeCondition[] {
  const ts = rfc3339(now);
  const stamp = (want: ConditionState, old: NodeCondition | undefined): NodeCondition => ({
    ...want,
    lastHeartbeatTime: ts,
    lastTransitionTime: old && old.status === want.status && old.lastTransitionTime ? old.lastTransitionTime : ts,
  });
  const byType = new Map(desired.map((c) => [c.type, c]));
  const out: NodeCondition[] = [];
  const placed = new Set<string>();
  for (const old of existing ?? []) {
    const want = byType.get(old.type);
    if (!want) out.push(old);
    else if (!placed.has(old.type)) {
      out.push(stamp(want, old));
      placed.add(old.type);
    }
  }
  for (const want of desired) if (!placed.has(want.type)) out.push(stamp(want, undefined));
  return out;
}

/** The Node to create on first registration. */
export function newNode(id: NodeIdentity, host: HostInfo, versions: Versions, now: Date): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: id.nodeName, labels: nodeLabels(id, host.architecture, host.operatingSystem) },
    spec: id.taints?.length ? { taints: id.taints.map((t) => ({ ...t })) } : {},
    status: { ...statusFacts(id, host, versions), conditions: mergeConditions(undefined, HEALTHY_CONDITIONS, now) },
  };
}

/**
 * The metadata/spec update for a Node that already exists (a restarted kubelet), or undefined when
 * none is needed. Our labels are (re)set on top of the existing ones, so labels a user added stay;
 * taints are left alone: they are registration-time only, and a user may have removed them.
 */
export function reconcileExistingNode(existing: Node, id: NodeIdentity, host: HostInfo): Node | undefined {
  const labels = { ...existing.metadata?.labels, ...nodeLabels(id, host.architecture, host.operatingSystem) };
  if (isDeepStrictEqual(labels, existing.metadata?.labels ?? {})) return undefined;
  return { ...existing, metadata: { ...existing.metadata, labels } };
}

/** The status to post: the server's status with our facts and conditions in it. */
export function desiredStatus(existing: NodeStatus | undefined, id: NodeIdentity, host: HostInfo, versions: Versions, now: Date): NodeStatus {
  return { ...existing, ...statusFacts(id, host, versions), conditions: mergeConditions(existing?.conditions, HEALTHY_CONDITIONS, now) };
}

function withoutHeartbeats(status: NodeStatus | undefined): unknown {
  if (!status) return {};
  return { ...status, conditions: (status.conditions ?? []).map(({ lastHeartbeatTime: _h, ...c }) => c) };
}

/** Whether `next` differs from `current` in anything but the conditions' heartbeat times. */
export function statusChanged(current: NodeStatus | undefined, next: NodeStatus): boolean {
  return !isDeepStrictEqual(withoutHeartbeats(current), withoutHeartbeats(next));
}
