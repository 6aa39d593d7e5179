// The pod status the kubelet reports, computed from the spec and the container statuses it
// keeps: phase (the kubelet's getPhase), the conditions it owns (PodReadyToStartContainers,
// Initialized, ContainersReady, Ready; PodScheduled and others are carried over), addresses,
// startTime and qosClass. Pure; the worker decides what the container statuses are.

import type { ContainerStatus, Pod, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import { isDeepStrictEqual } from "node:util";
import { podQosClass } from "./qos.js";

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

export interface PodStatusInput {
  pod: Pod;
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  podIP?: string;
  hostIP?: string;
  /** The sandbox (network namespace, volumes) is set up. */
  sandboxReady: boolean;
  startTime?: string;
  /** RFC 3339 (seconds), for lastTransitionTime of changed conditions. */
  now: string;
}

const KUBELET_CONDITIONS = new Set(["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]);

/** The kubelet's getPhase: what phase the containers' states add up to. */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[]): PodPhase {
  const policy = pod.spec?.restartPolicy ?? "Always";
  const byName = (list: ContainerStatus[], name: string) => list.find((s) => s.name === name);
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    const s = byName(init, c.name);
    if (!s?.state) {
      pendingInit++;
      continue;
    }
    if (s.state.running) pendingInit++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
      else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec?.containers ?? []) {
    const s = byName(app, c.name);
    if (!s?.state) {
      unknown++;
      continue;
    }
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && policy === "Never") return "Failed";
  if (pendingInit > 0 || (failedInit > 0 && policy !== "Never")) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? "True" : "False", ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

const names = (list: string[]) => `[${list.join(" ")}]`;

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const prev = pod.status ?? {};
  const phase = podPhase(pod, input.initContainerStatuses, input.containerStatuses);
  const terminal = phase === "Succeeded" || phase === "Failed";

  const incompleteInit = (pod.spec?.initContainers ?? [])
    .filter((c) => {
      const s = input.initContainerStatuses.find((x) => x.name === c.name);
      return !(s?.state?.terminated && s.state.terminated.exitCode === 0);
    })
    .map((c) => c.name);
  const unready = (pod.spec?.containers ?? []).filter((c) => !input.containerStatuses.find((x) => x.name === c.name)?.ready).map((c) => c.name);

  const own: PodCondition[] = [
    condition("PodReadyToStartContainers", input.sandboxReady && !terminal),
    incompleteInit.length === 0 || phase === "Succeeded"
      ? condition("Initialized", true)
      : condition("Initialized", false, "ContainersNotInitialized", `containers with incomplete status: ${names(incompleteInit)}`),
  ];
  if (phase === "Succeeded") {
    own.push(condition("ContainersReady", false, "PodCompleted"), condition("Ready", false, "PodCompleted"));
  } else if (unready.length) {
    const msg = `containers with unready status: ${names(unready)}`;
    own.push(condition("ContainersReady", false, "ContainersNotReady", msg), condition("Ready", false, "ContainersNotReady", msg));
  } else {
    own.push(condition("ContainersReady", true), condition("Ready", true));
  }
  const prevConditions = prev.conditions ?? [];
  const withTimes = own.map((c) => {
    const old = prevConditions.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? (old.lastTransitionTime ?? input.now) : input.now;
    return { ...c, lastTransitionTime };
  });
  // Conditions of others (PodScheduled, readiness gates ...) stay, in their place; ours follow in a fixed order.
  const conditions = [...prevConditions.filter((c) => !KUBELET_CONDITIONS.has(c.type)), ...withTimes];
  conditions.sort((a, b) => order(a.type) - order(b.type));

  const status: PodStatus = {
    ...prev,
    phase,
    conditions,
    qosClass: prev.qosClass ?? podQosClass(pod),
    ...(input.startTime ? { startTime: input.startTime } : {}),
  };
  if (input.hostIP) {
    status.hostIP = input.hostIP;
    status.hostIPs = [{ ip: input.hostIP }];
  }
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  if (input.initContainerStatuses.length) status.initContainerStatuses = input.initContainerStatuses;
  else delete status.initContainerStatuses;
  status.containerStatuses = input.containerStatuses;
  delete status.message;
  delete status.reason;
  return status;
}

const CONDITION_ORDER = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
function order(type: string): number {
  const i = CONDITION_ORDER.indexOf(type);
  return i < 0 ? CONDITION_ORDER.length : i;
}

/** Whether `next` says something `current` does not (the kubelet posts only then). */
export function podStatusChanged(current: PodStatus | undefined, next: PodStatus): boolean {
  return !isDeepStrictEqual(normalize(current ?? {}), normalize(next));
}

function normalize(s: PodStatus): unknown {
  // The server may drop empty values and null lastProbeTime; compare what matters.
  return JSON.parse(JSON.stringify(s, (_k, v: unknown) => (v === null ? undefined : v)));
}
