import { describe, expect, it } from "vitest";
import type { Node, NodeCondition } from "kubernetes-types/core/v1.js";
import type { HostInfo } from "./host-info.js";
import { HEALTHY_CONDITIONS, desiredStatus, mergeConditions, newNode, reconcileExistingNode, rfc3339, statusChanged, type NodeIdentity } from "./node-status.js";

const HOST: HostInfo = {
  internalIP: "172.18.0.2",
  cpuMillis: 4000,
  memoryKi: 8000000,
  ephemeralStorageKi: 1000000,
  osImage: "Debian GNU/Linux 12 (bookworm)",
  kernelVersion: "6.1.0",
  operatingSystem: "linux",
  architecture: "arm64",
  machineID: "m",
  systemUUID: "u",
  bootID: "b",
  containerRuntimeVersion: "runc://1.1.5",
};
const VERSIONS = { kubeletVersion: "v1.32.0-minicluster", kubeProxyVersion: "v1.32.0-minicluster" };
const CP: NodeIdentity = {
  nodeName: "dev-control-plane",
  role: "control-plane",
  labels: { extra: "yes", "kubernetes.io/hostname": "cannot-override" },
  taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
};
const WORKER: NodeIdentity = { nodeName: "dev-worker", role: "worker" };
const T0 = new Date("2026-01-01T00:00:00.123Z");
const T1 = new Date("2026-01-01T00:00:10Z");

describe("newNode", () => {
  it("registers a control-plane node with labels, taints, addresses, capacity, nodeInfo and conditions", () => {
    const n = newNode(CP, HOST, VERSIONS, T0);
    expect(n.metadata).toEqual({
      name: "dev-control-plane",
      labels: {
        extra: "yes",
        "beta.kubernetes.io/arch": "arm64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "arm64",
        "kubernetes.io/hostname": "dev-control-plane",
        "kubernetes.io/os": "linux",
        "node-role.kubernetes.io/control-plane": "",
      },
    });
    expect(n.spec).toEqual({ taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] });
    const s = n.status!;
    expect(s.addresses).toEqual([
      { type: "InternalIP", address: "172.18.0.2" },
      { type: "Hostname", address: "dev-control-plane" },
    ]);
    expect(s.capacity).toEqual({ cpu: "4", memory: "8000000Ki", pods: "110", "ephemeral-storage": "1000000Ki" });
    expect(s.allocatable).toEqual(s.capacity);
    expect(s.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(s.nodeInfo).toMatchObject({ kubeletVersion: "v1.32.0-minicluster", containerRuntimeVersion: "runc://1.1.5", architecture: "arm64", operatingSystem: "linux", bootID: "b" });
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason, c.lastHeartbeatTime, c.lastTransitionTime])).toEqual([
      ["MemoryPressure", "False", "KubeletHasSufficientMemory", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
      ["DiskPressure", "False", "KubeletHasNoDiskPressure", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
      ["PIDPressure", "False", "KubeletHasSufficientPID", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
      ["Ready", "True", "KubeletReady", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
    ]);
    expect(s.conditions!.find((c) => c.type === "Ready")!.message).toBe("kubelet is posting ready status");
  });

  it("a worker has no role label and no taints; a missing InternalIP leaves only Hostname", () => {
    const n = newNode(WORKER, { ...HOST, internalIP: undefined, cpuMillis: 1500 }, VERSIONS, T0);
    expect(n.metadata!.labels).not.toHaveProperty("node-role.kubernetes.io/control-plane");
    expect(n.spec).toEqual({});
    expect(n.status!.addresses).toEqual([{ type: "Hostname", address: "dev-worker" }]);
    expect(n.status!.capacity!.cpu).toBe("1500m");
  });
});

describe("mergeConditions", () => {
  const cond = (type: string, status: string, hb: string, tr: string): NodeCondition => ({ type, status, reason: "r", message: "m", lastHeartbeatTime: hb, lastTransitionTime: tr });

  it("refreshes heartbeats, keeps transition times of unchanged statuses, moves them for changed ones", () => {
    const before = [cond("MemoryPressure", "False", "old", "t-mem"), cond("Ready", "Unknown", "old", "t-ready")];
    const out = mergeConditions(before, HEALTHY_CONDITIONS, T1);
    const at = rfc3339(T1);
    expect(out.map((c) => [c.type, c.status, c.lastHeartbeatTime, c.lastTransitionTime])).toEqual([
      ["MemoryPressure", "False", at, "t-mem"],
      ["Ready", "True", at, at],
      ["DiskPressure", "False", at, at],
      ["PIDPressure", "False", at, at],
    ]);
    expect(out.find((c) => c.type === "Ready")!.reason).toBe("KubeletReady");
  });

  it("leaves other writers' conditions alone and drops duplicates of ours", () => {
    const net = cond("NetworkUnavailable", "False", "x", "y");
    const out = mergeConditions([net, cond("Ready", "True", "a", "b"), cond("Ready", "True", "c", "d")], HEALTHY_CONDITIONS, T1);
    expect(out[0]).toBe(net);
    expect(out.filter((c) => c.type === "Ready")).toHaveLength(1);
    expect(out.find((c) => c.type === "Ready")!.lastTransitionTime).toBe("b");
  });
});

describe("restarts", () => {
  const existing = (): Node => {
    const n = newNode(CP, HOST, VERSIONS, T0);
    n.metadata = { ...n.metadata, uid: "u1", resourceVersion: "7", labels: { ...n.metadata!.labels, "user-added": "keep" } };
    n.spec = { taints: [] }; // the user removed the registration taint
    return n;
  };

  it("keeps user labels and taints; needs no update when our labels are all there", () => {
    expect(reconcileExistingNode(existing(), CP, HOST)).toBeUndefined();
  });

  it("re-sets our labels on top of the user's", () => {
    const n = existing();
    delete n.metadata!.labels!["kubernetes.io/os"];
    n.metadata!.labels!["kubernetes.io/arch"] = "amd64";
    const u = reconcileExistingNode(n, { ...CP, labels: { extra: "changed" } }, HOST)!;
    expect(u.metadata!.labels).toMatchObject({ "user-added": "keep", "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64", extra: "changed" });
    expect(u.metadata!.resourceVersion).toBe("7");
    expect(u.spec).toEqual({ taints: [] });
  });

  it("posts new addresses and facts, keeping status fields we do not own", () => {
    const base = existing();
    const n: Node = { ...base, status: { ...base.status, images: [{ names: ["x"] }] } };
    const s = desiredStatus(n.status, CP, { ...HOST, internalIP: "172.18.0.9", bootID: "b2" }, VERSIONS, T1);
    expect(s.addresses![0]).toEqual({ type: "InternalIP", address: "172.18.0.9" });
    expect(s.nodeInfo!.bootID).toBe("b2");
    expect(s.images).toEqual([{ names: ["x"] }]);
    expect(statusChanged(n.status, s)).toBe(true);
  });
});

describe("statusChanged", () => {
  it("ignores heartbeat times only", () => {
    const s0 = newNode(WORKER, HOST, VERSIONS, T0).status!;
    const s1 = desiredStatus(s0, WORKER, HOST, VERSIONS, T1);
    expect(s1.conditions!.every((c) => c.lastHeartbeatTime === rfc3339(T1))).toBe(true);
    expect(statusChanged(s0, s1)).toBe(false);
    const flipped = { ...s1, conditions: s1.conditions!.map((c) => (c.type === "Ready" ? { ...c, status: "Unknown" } : c)) };
    expect(statusChanged(flipped, desiredStatus(flipped, WORKER, HOST, VERSIONS, T1))).toBe(true);
    expect(statusChanged(undefined, s1)).toBe(true);
    expect(statusChanged(s0, { ...s1, capacity: { ...s1.capacity, pods: "10" } })).toBe(true);
  });
});
