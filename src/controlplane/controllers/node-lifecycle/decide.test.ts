import { describe, expect, it } from "vitest";
import type { Node, NodeCondition, Taint } from "kubernetes-types/core/v1.js";
import { decideNodeHealth, type HealthDecision } from "./decide.js";

const NOW = new Date("2026-01-01T00:01:00Z");
const AT = "2026-01-01T00:01:00Z";
const GRACE = 40_000;
const FRESH = NOW.getTime() - 10_000;
const STALE = NOW.getTime() - 41_000;

const cond = (type: string, status: string): NodeCondition => ({
  type,
  status,
  reason: "KubeletSays",
  message: "m",
  lastHeartbeatTime: "2026-01-01T00:00:00Z",
  lastTransitionTime: "2025-12-31T00:00:00Z",
});
const healthy = () => [cond("MemoryPressure", "False"), cond("DiskPressure", "False"), cond("PIDPressure", "False"), cond("Ready", "True")];
const unknownAll = () =>
  healthy().map((c) => ({ ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: AT }));
const CP_TAINT: Taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };
const UNREACHABLE: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" };
const NOT_READY: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" };

const node = (conditions: NodeCondition[] | undefined, taints: Taint[] = []): Node => ({
  metadata: { name: "n", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: taints.length ? { taints } : {},
  status: conditions ? { conditions } : {},
});

const cases: Array<{ name: string; node: Node; probe: number; want: HealthDecision }> = [
  { name: "fresh and healthy: nothing to do", node: node(healthy()), probe: FRESH, want: {} },
  { name: "exactly at the grace period: not yet stale", node: node(healthy()), probe: NOW.getTime() - GRACE, want: {} },
  {
    name: "stale: every kubelet condition Unknown, unreachable taint added after existing taints",
    node: node(healthy(), [CP_TAINT]),
    probe: STALE,
    want: { conditions: unknownAll(), taints: [CP_TAINT, UNREACHABLE] },
  },
  { name: "stale and already Unknown and tainted: nothing to do", node: node(unknownAll(), [UNREACHABLE]), probe: STALE, want: {} },
  { name: "already Unknown but the taint was removed: taint again", node: node(unknownAll()), probe: STALE, want: { taints: [UNREACHABLE] } },
  { name: "Ready again: the unreachable taint goes, other taints stay", node: node(healthy(), [CP_TAINT, UNREACHABLE]), probe: FRESH, want: { taints: [CP_TAINT] } },
  {
    name: "Ready False: not-ready instead of unreachable",
    node: node([cond("Ready", "False")], [UNREACHABLE]),
    probe: FRESH,
    want: { taints: [NOT_READY] },
  },
  {
    name: "a NoExecute taint with the same key is not ours to remove",
    node: node(healthy(), [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }]),
    probe: FRESH,
    want: {},
  },
  { name: "never posted and not stale: leave it alone", node: node(undefined), probe: FRESH, want: {} },
  {
    name: "never posted and stale: conditions NeverUpdated, unreachable",
    node: node(undefined),
    probe: STALE,
    want: {
      conditions: ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => ({
        type,
        status: "Unknown",
        reason: "NodeStatusNeverUpdated",
        message: "Kubelet never posted node status.",
        lastHeartbeatTime: "2026-01-01T00:00:00Z",
        lastTransitionTime: AT,
      })),
      taints: [UNREACHABLE],
    },
  },
  {
    name: "stale: other writers' conditions are kept as they are",
    node: node([cond("NetworkUnavailable", "False"), ...unknownAll()], [UNREACHABLE]),
    probe: STALE,
    want: {},
  },
];

describe("decideNodeHealth", () => {
  it.each(cases)("$name", ({ node: n, probe, want }) => {
    expect(decideNodeHealth({ node: n, lastProbeMs: probe, now: NOW, gracePeriodMs: GRACE })).toEqual(want);
  });

  it("keeps the kubelet's last heartbeat when marking Unknown", () => {
    const d = decideNodeHealth({ node: node(healthy()), lastProbeMs: STALE, now: NOW, gracePeriodMs: GRACE });
    expect(d.conditions!.every((c) => c.lastHeartbeatTime === "2026-01-01T00:00:00Z")).toBe(true);
  });
});
