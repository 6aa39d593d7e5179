// Container cgroup resources and OOM score as the kubelet computes them
// (pkg/kubelet/cm/helpers_linux.go, kuberuntime_container_linux.go, qos/policy.go): CPU shares
// from the request (milliCPU × 1024 / 1000, at least 2), CFS quota from the limit over a
// 100 ms period (at least 1 ms), the memory limit in bytes; oom_score_adj by QoS class.

import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityMilliValue, quantityValue } from "../../api/quantity.js";

export const MIN_SHARES = 2;
export const SHARES_PER_CPU = 1024;
export const CPU_PERIOD = 100_000;
export const MIN_QUOTA = 1_000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((milliCPU * SHARES_PER_CPU) / 1000));
}

export function milliCPUToQuota(milliCPU: number, period = CPU_PERIOD): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA, Math.floor((milliCPU * period) / 1000));
}

const milli = (v: string | number | undefined): number => (v === undefined ? 0 : Number(quantityMilliValue(parseQuantity(v))));
const bytes = (v: string | number | undefined): number => (v === undefined ? 0 : Number(quantityValue(parseQuantity(v))));

export interface LinuxResources {
  devices: Array<{ allow: boolean; access?: string; type?: string; major?: number; minor?: number }>;
  cpu: { shares: number; quota?: number; period?: number };
  memory?: { limit: number };
  pids?: { limit: number };
}

/** The OCI linux.resources of a container (requests default to limits, as the API defaults them). */
export function containerResources(container: Container, opts: { privileged?: boolean; pidsLimit?: number } = {}): LinuxResources {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuRequest = milli(req.cpu ?? lim.cpu);
  const cpuLimit = milli(lim.cpu);
  const memLimit = bytes(lim.memory);
  const out: LinuxResources = {
    devices: [{ allow: !!opts.privileged, access: "rwm" }],
    cpu: { shares: milliCPUToShares(cpuRequest) },
  };
  if (cpuLimit > 0) {
    out.cpu.quota = milliCPUToQuota(cpuLimit);
    out.cpu.period = CPU_PERIOD;
  }
  if (memLimit > 0) out.memory = { limit: memLimit };
  if (opts.pidsLimit !== undefined && opts.pidsLimit > 0) out.pids = { limit: opts.pidsLimit };
  return out;
}

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

/** The pod's QoS class (status.qosClass when set, else computed like the API server does). */
export function podQOSClass(pod: Pod): QOSClass {
  if (pod.status?.qosClass) return pod.status.qosClass as QOSClass;
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ["cpu", "memory"]) {
      const l = lim[r];
      const q = req[r] ?? l;
      if ((q !== undefined && !isZero(q)) || (l !== undefined && !isZero(l))) any = true;
      if (l === undefined || q === undefined || milli(l) !== milli(q)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

const isZero = (v: string | number): boolean => parseQuantity(v).unscaled === 0n;

/** The kubelet's oom_score_adj for a container (qos/policy.go). */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacityBytes: number): number {
  const qos = podQOSClass(pod);
  if (qos === "Guaranteed") return -997;
  if (qos === "BestEffort") return 1000;
  const request = bytes(container.resources?.requests?.memory ?? container.resources?.limits?.memory);
  if (memoryCapacityBytes <= 0) return 999;
  let adj = 1000 - Math.floor((1000 * request) / memoryCapacityBytes);
  if (adj < 1000 - 997) adj = 1000 - 997;
  if (adj === 1000) adj = 999;
  return adj;
}
