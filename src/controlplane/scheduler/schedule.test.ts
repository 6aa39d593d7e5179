import type { Pod } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import { SchedulerCache } from "./cache.js";
import { EMPTY_CYCLE_STATE } from "./filters.js";
import { mkNode, mkPod } from "./test-fixtures.js";
import { failureMessage, numFeasibleNodesToFind, schedulePod } from "./schedule.js";
import { balancedAllocation, intolerablePreferNoSchedule, leastAllocated, normalize, preferredNodeAffinity, scoreNodes, spread } from "./scores.js";
import { nodeInfoOf, podInfoOf } from "./types.js";

const req = (cpu: string, memory = "0"): Partial<NonNullable<Pod["spec"]>> => ({ containers: [{ name: "c", image: "x", resources: { requests: { cpu, memory } } }] });
const owned = (name: string, uid: string) => mkPod(name, {}, { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid, controller: true }] });

describe("scores", () => {
  it("least allocated prefers the emptier node", () => {
    const pod = podInfoOf(mkPod("p", req("1", "1Gi")));
    const empty = nodeInfoOf(mkNode("a"));
    const busy = nodeInfoOf(mkNode("b"), [mkPod("q", req("2", "4Gi"))]);
    // (4-1)/4 = 75 and (8-1)/8 = 87.5 -> 81; (4-3)/4 = 25 and (8-5)/8 = 37.5 -> 31
    expect(leastAllocated(pod, empty)).toBe(81);
    expect(leastAllocated(pod, busy)).toBe(31);
  });

  it("a pod without requests counts as 100m and 200Mi", () => {
    const node = nodeInfoOf(mkNode("a", { cpu: "1", memory: "1000Mi" }));
    expect(leastAllocated(podInfoOf(mkPod("p")), node)).toBe(85); // 90 and 80
  });

  it("balanced allocation prefers equal cpu and memory fractions", () => {
    const node = nodeInfoOf(mkNode("a", { cpu: "4", memory: "4Gi" }));
    expect(balancedAllocation(podInfoOf(mkPod("p", req("2", "2Gi"))), node)).toBe(100);
    expect(balancedAllocation(podInfoOf(mkPod("p", req("4", "0"))), node)).toBeLessThan(60);
  });

  it("preferred node affinity sums the weights of matching terms", () => {
    const pod = podInfoOf(
      mkPod("p", {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
              { weight: 5, preference: { matchExpressions: [{ key: "zone", operator: "Exists" }] } },
            ],
          },
        },
      }),
    );
    expect(preferredNodeAffinity(pod, nodeInfoOf(mkNode("a", { labels: { disk: "ssd", zone: "z" } })))).toBe(15);
    expect(preferredNodeAffinity(pod, nodeInfoOf(mkNode("b", { labels: { zone: "z" } })))).toBe(5);
    expect(preferredNodeAffinity(pod, nodeInfoOf(mkNode("c")))).toBe(0);
  });

  it("counts PreferNoSchedule taints the pod does not tolerate", () => {
    const node = nodeInfoOf(mkNode("a", { taints: [{ key: "x", effect: "PreferNoSchedule" }, { key: "y", effect: "PreferNoSchedule" }, { key: "z", effect: "NoSchedule" }] }));
    expect(intolerablePreferNoSchedule(podInfoOf(mkPod("p")), node)).toBe(2);
    expect(intolerablePreferNoSchedule(podInfoOf(mkPod("p", { tolerations: [{ key: "x", operator: "Exists" }] })), node)).toBe(1);
    // A NoSchedule-only toleration does not cover a PreferNoSchedule taint.
    expect(intolerablePreferNoSchedule(podInfoOf(mkPod("p", { tolerations: [{ key: "x", operator: "Exists", effect: "NoSchedule" }] })), node)).toBe(2);
  });

  it.each([
    [[0, 5, 10], false, [0, 50, 100]],
    [[0, 5, 10], true, [100, 50, 0]],
    [[0, 0], false, [0, 0]],
    [[0, 0], true, [100, 100]],
  ])("normalize(%j, reverse=%s)", (raw, reverse, want) => {
    expect(normalize(raw, reverse)).toEqual(want);
  });

  it("spreads pods of one owner across nodes, and across zones first", () => {
    const z = (zone: string) => ({ labels: { "topology.kubernetes.io/zone": zone } });
    const a = nodeInfoOf(mkNode("a", z("1")), [owned("r1", "rs1"), owned("r2", "rs1")]);
    const b = nodeInfoOf(mkNode("b", z("1")));
    const c = nodeInfoOf(mkNode("c", z("2")));
    const d = nodeInfoOf(mkNode("d"), [owned("x", "other")]);
    const pod = podInfoOf(owned("new", "rs1"));
    expect(spread(pod, [a, b])).toEqual([0, 100].map((n) => Math.floor(n / 3))); // same zone: only the node part differs
    const [sa, sb, sc] = spread(pod, [a, b, c]);
    expect(sc).toBeGreaterThan(sb);
    expect(sb).toBeGreaterThan(sa);
    expect(spread(pod, [b, d])).toEqual([100, 100].map((n, i) => (i === 0 ? Math.floor(n / 3 + (2 * n) / 3) : n)));
    expect(spread(podInfoOf(mkPod("lonely")), [a, b])).toEqual([100, 100]);
  });

  it("scoreNodes ranks the node with room and without a preferred-against taint first", () => {
    const pod = podInfoOf(mkPod("p", req("1", "1Gi")));
    const tainted = nodeInfoOf(mkNode("a", { taints: [{ key: "x", effect: "PreferNoSchedule" }] }));
    const clean = nodeInfoOf(mkNode("b"));
    const [ta, tb] = scoreNodes(pod, [tainted, clean]);
    expect(tb).toBeGreaterThan(ta);
  });
});

describe("schedulePod", () => {
  it("picks the feasible node with the best score", () => {
    const nodes = [nodeInfoOf(mkNode("a"), [mkPod("q", req("3"))]), nodeInfoOf(mkNode("b")), nodeInfoOf(mkNode("c", { unschedulable: true }))];
    const r = schedulePod({ pod: podInfoOf(mkPod("p", req("500m"))), nodes, state: EMPTY_CYCLE_STATE });
    expect(r).toMatchObject({ ok: true, node: "b", feasible: 2 });
  });

  it("breaks ties at random among the best", () => {
    const nodes = [nodeInfoOf(mkNode("a")), nodeInfoOf(mkNode("b")), nodeInfoOf(mkNode("c"))];
    const pod = podInfoOf(mkPod("p"));
    expect(schedulePod({ pod, nodes, state: EMPTY_CYCLE_STATE, random: () => 0.99 })).toMatchObject({ node: "a" });
    expect(schedulePod({ pod, nodes, state: EMPTY_CYCLE_STATE, random: () => 0 })).toMatchObject({ node: "c" });
  });

  it("explains a failure as kube-scheduler does", () => {
    const nodes = [
      nodeInfoOf(mkNode("cp", { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] })),
      nodeInfoOf(mkNode("w1", { cpu: "1" })),
      nodeInfoOf(mkNode("w2", { cpu: "1" })),
    ];
    const r = schedulePod({ pod: podInfoOf(mkPod("p", req("2"))), nodes, state: EMPTY_CYCLE_STATE });
    expect(r).toEqual({
      ok: false,
      message: "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.",
      nextStartIndex: 0,
    });
    expect(schedulePod({ pod: podInfoOf(mkPod("p")), nodes: [], state: EMPTY_CYCLE_STATE })).toMatchObject({ ok: false, message: "no nodes available to schedule pods" });
  });

  it("counts every reason of a node", () => {
    expect(failureMessage(2, new Map([["Insufficient memory", 2], ["Insufficient cpu", 1]]))).toBe("0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.");
  });

  it("stops after enough feasible nodes in big clusters and rotates the start", () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => nodeInfoOf(mkNode(`n${String(i).padStart(4, "0")}`)));
    expect(numFeasibleNodesToFind(1000)).toBe(420); // 50 - 1000/125 = 42 %
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
    const r = schedulePod({ pod: podInfoOf(mkPod("p")), nodes, state: EMPTY_CYCLE_STATE, startIndex: 900 });
    expect(r).toMatchObject({ ok: true, feasible: 420, nextStartIndex: (900 + 420) % 1000 });
  });
});

describe("SchedulerCache", () => {
  it("assumed pods take room until forgotten; bound pods replace them", () => {
    const cache = new SchedulerCache();
    cache.upsertNode(mkNode("a", { cpu: "1" }));
    const p = podInfoOf(mkPod("p", req("600m")));
    cache.assume(p, "a");
    expect(cache.isAssumed("default/p")).toBe(true);
    expect(cache.node("a")!.requested.get("cpu")).toBe(600);
    const second = schedulePod({ pod: podInfoOf(mkPod("q", req("600m"))), nodes: cache.nodeList(), state: EMPTY_CYCLE_STATE });
    expect(second).toMatchObject({ ok: false, message: "0/1 nodes are available: 1 Insufficient cpu." });
    cache.addBoundPod({ ...mkPod("p", req("600m")), spec: { ...mkPod("p", req("600m")).spec!, nodeName: "a" } });
    expect(cache.isAssumed("default/p")).toBe(false);
    expect(cache.node("a")!.requested.get("cpu")).toBe(600);
    cache.removePod("default/p");
    expect(cache.node("a")!.requested.get("cpu")).toBe(0);
    expect(cache.node("a")!.pods.size).toBe(0);
  });

  it("keeps pods of a node that is not (yet) known and attaches them when it appears", () => {
    const cache = new SchedulerCache();
    cache.addBoundPod({ ...mkPod("p", req("1")), spec: { ...mkPod("p", req("1")).spec!, nodeName: "late" } });
    expect(cache.nodeList()).toEqual([]);
    cache.upsertNode(mkNode("late"));
    expect(cache.nodeList().map((n) => n.name)).toEqual(["late"]);
    expect(cache.node("late")!.requested.get("cpu")).toBe(1000);
    cache.removeNode("late");
    expect(cache.nodeList()).toEqual([]);
  });
});
