import type { Pod, PodAffinityTerm } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import {
  computeCycleState,
  EMPTY_CYCLE_STATE,
  interPodAffinity,
  nodeAffinity,
  nodeName,
  nodePorts,
  nodeResourcesFit,
  nodeUnschedulable,
  runFilters,
  taintToleration,
  toleratesTaint,
  type Filter,
} from "./filters.js";
import { podRequests } from "./resources.js";
import { mkNode, mkPod } from "./test-fixtures.js";
import { nodeInfoOf, podInfoOf, type NodeInfo } from "./types.js";

const req = (cpu?: string, memory?: string) => ({ containers: [{ name: "c", image: "x", resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }] });

function check(filter: Filter, pod: Pod, node: NodeInfo): string[] {
  return filter(podInfoOf(pod), node, EMPTY_CYCLE_STATE);
}

describe("tolerations", () => {
  const taint = { key: "k", value: "v", effect: "NoSchedule" };
  it.each([
    ["equal key/value/effect", { key: "k", operator: "Equal", value: "v", effect: "NoSchedule" }, true],
    ["default operator is Equal", { key: "k", value: "v" }, true],
    ["wrong value", { key: "k", value: "w" }, false],
    ["exists on key", { key: "k", operator: "Exists" }, true],
    ["exists on everything", { operator: "Exists" }, true],
    ["empty key without Exists", { value: "v" }, false],
    ["other effect", { key: "k", operator: "Exists", effect: "NoExecute" }, false],
    ["other key", { key: "j", operator: "Exists" }, false],
  ])("%s", (_n, tol, want) => {
    expect(toleratesTaint(tol, taint)).toBe(want);
  });
});

describe("filters", () => {
  const cases: Array<[string, Filter, Pod, NodeInfo, string[]]> = [
    ["cordoned node", nodeUnschedulable, mkPod("p"), nodeInfoOf(mkNode("n", { unschedulable: true })), ["node(s) were unschedulable"]],
    [
      "cordoned node, tolerated",
      nodeUnschedulable,
      mkPod("p", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] }),
      nodeInfoOf(mkNode("n", { unschedulable: true })),
      [],
    ],
    ["schedulable node", nodeUnschedulable, mkPod("p"), nodeInfoOf(mkNode("n")), []],
    ["nodeName other", nodeName, mkPod("p", { nodeName: "m" }), nodeInfoOf(mkNode("n")), ["node(s) didn't match the requested node name"]],
    ["nodeName same", nodeName, mkPod("p", { nodeName: "n" }), nodeInfoOf(mkNode("n")), []],
    [
      "NoSchedule taint",
      taintToleration,
      mkPod("p"),
      nodeInfoOf(mkNode("n", { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] })),
      ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
    ],
    ["NoExecute taint with value", taintToleration, mkPod("p"), nodeInfoOf(mkNode("n", { taints: [{ key: "a", value: "b", effect: "NoExecute" }] })), ["node(s) had untolerated taint {a: b}"]],
    ["PreferNoSchedule is no filter", taintToleration, mkPod("p"), nodeInfoOf(mkNode("n", { taints: [{ key: "a", effect: "PreferNoSchedule" }] })), []],
    [
      "tolerated taint",
      taintToleration,
      mkPod("p", { tolerations: [{ key: "a", operator: "Exists" }] }),
      nodeInfoOf(mkNode("n", { taints: [{ key: "a", value: "b", effect: "NoSchedule" }] })),
      [],
    ],
    ["not ready node counts as tainted", taintToleration, mkPod("p"), nodeInfoOf(mkNode("n", { ready: "False" })), ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]],
    ["unknown node counts as unreachable", taintToleration, mkPod("p"), nodeInfoOf(mkNode("n", { ready: "Unknown" })), ["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]],
    [
      "unreachable tolerated",
      taintToleration,
      mkPod("p", { tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }] }),
      nodeInfoOf(mkNode("n", { ready: "missing" })),
      [],
    ],
    ["nodeSelector match", nodeAffinity, mkPod("p", { nodeSelector: { disk: "ssd" } }), nodeInfoOf(mkNode("n", { labels: { disk: "ssd" } })), []],
    ["nodeSelector mismatch", nodeAffinity, mkPod("p", { nodeSelector: { disk: "ssd" } }), nodeInfoOf(mkNode("n", { labels: { disk: "hdd" } })), ["node(s) didn't match Pod's node affinity/selector"]],
    ["host port free", nodePorts, mkPod("p", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }] }), nodeInfoOf(mkNode("n")), []],
    [
      "host port taken",
      nodePorts,
      mkPod("p", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
      nodeInfoOf(mkNode("n"), [mkPod("q", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 81, hostPort: 8080, hostIP: "10.0.0.1" }] }] })]),
      ["node(s) didn't have free ports for the requested pod ports"],
    ],
    [
      "same port, other protocol",
      nodePorts,
      mkPod("p", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: 8080, protocol: "UDP" }] }] }),
      nodeInfoOf(mkNode("n"), [mkPod("q", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 81, hostPort: 8080 }] }] })]),
      [],
    ],
    [
      "same port, other host IPs",
      nodePorts,
      mkPod("p", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: 8080, hostIP: "10.0.0.2" }] }] }),
      nodeInfoOf(mkNode("n"), [mkPod("q", { containers: [{ name: "c", image: "x", ports: [{ containerPort: 81, hostPort: 8080, hostIP: "10.0.0.1" }] }] })]),
      [],
    ],
    ["fits", nodeResourcesFit, mkPod("p", req("1", "1Gi")), nodeInfoOf(mkNode("n"), [mkPod("q", req("3", "7Gi"))]), []],
    ["insufficient cpu", nodeResourcesFit, mkPod("p", req("1500m")), nodeInfoOf(mkNode("n"), [mkPod("q", req("3"))]), ["Insufficient cpu"]],
    ["insufficient both", nodeResourcesFit, mkPod("p", req("5", "9Gi")), nodeInfoOf(mkNode("n")), ["Insufficient cpu", "Insufficient memory"]],
    ["too many pods", nodeResourcesFit, mkPod("p"), nodeInfoOf(mkNode("n", { pods: "1" }), [mkPod("q")]), ["Too many pods"]],
    [
      "extended resource missing",
      nodeResourcesFit,
      mkPod("p", { containers: [{ name: "c", image: "x", resources: { requests: { "example.com/gpu": "1" } } }] }),
      nodeInfoOf(mkNode("n")),
      ["Insufficient example.com/gpu"],
    ],
    [
      "extended resource present",
      nodeResourcesFit,
      mkPod("p", { containers: [{ name: "c", image: "x", resources: { requests: { "example.com/gpu": "1" } } }] }),
      nodeInfoOf(mkNode("n", { extra: { "example.com/gpu": "2" } })),
      [],
    ],
    ["best effort pod on a full node", nodeResourcesFit, mkPod("p"), nodeInfoOf(mkNode("n", { cpu: "1" }), [mkPod("q", req("1"))]), []],
  ];
  it.each(cases)("%s", (_name, filter, pod, node, want) => {
    expect(check(filter, pod, node)).toEqual(want);
  });
});

describe("node affinity (required)", () => {
  const node = nodeInfoOf(mkNode("node-a", { labels: { zone: "z1", gen: "5", disk: "ssd" } }));
  const affinity = (terms: object[]): Pod => mkPod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never } } } });
  it.each([
    ["In match", [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z1", "z2"] }] }], true],
    ["In miss", [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z2"] }] }], false],
    ["NotIn match", [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z2"] }] }], true],
    ["NotIn on missing label", [{ matchExpressions: [{ key: "rack", operator: "NotIn", values: ["r1"] }] }], true],
    ["NotIn miss", [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["z1"] }] }], false],
    ["Exists", [{ matchExpressions: [{ key: "disk", operator: "Exists" }] }], true],
    ["Exists miss", [{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }], false],
    ["DoesNotExist", [{ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }], true],
    ["DoesNotExist miss", [{ matchExpressions: [{ key: "disk", operator: "DoesNotExist" }] }], false],
    ["Gt", [{ matchExpressions: [{ key: "gen", operator: "Gt", values: ["4"] }] }], true],
    ["Gt miss", [{ matchExpressions: [{ key: "gen", operator: "Gt", values: ["5"] }] }], false],
    ["Lt", [{ matchExpressions: [{ key: "gen", operator: "Lt", values: ["6"] }] }], true],
    ["Lt non-integer label", [{ matchExpressions: [{ key: "zone", operator: "Lt", values: ["6"] }] }], false],
    ["AND within a term", [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z1"] }, { key: "gpu", operator: "Exists" }] }], false],
    ["OR across terms", [{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }, { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }], true],
    ["empty term matches nothing", [{}], false],
    ["matchFields name In", [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["node-a"] }] }], true],
    ["matchFields name NotIn", [{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["node-a"] }] }], false],
    ["matchFields other field", [{ matchFields: [{ key: "metadata.uid", operator: "In", values: ["x"] }] }], false],
  ])("%s", (_n, terms, fits) => {
    expect(check(nodeAffinity, affinity(terms), node)).toEqual(fits ? [] : ["node(s) didn't match Pod's node affinity/selector"]);
  });
});

describe("inter-pod affinity", () => {
  const zone = (z: string) => ({ "topology.kubernetes.io/zone": z });
  const n1 = nodeInfoOf(mkNode("n1", { labels: zone("a") }), [mkPod("web-1", {}, { labels: { app: "web" } })]);
  const n2 = nodeInfoOf(mkNode("n2", { labels: zone("a") }));
  const n3 = nodeInfoOf(mkNode("n3", { labels: zone("b") }));
  const nodes = [n1, n2, n3];
  const term = (app: string, topologyKey: string): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey });
  const run = (pod: Pod, extra: NodeInfo[] = nodes) => {
    const info = podInfoOf(pod);
    const anti = extra.flatMap((n) => [...n.pods.values()].filter((p) => p.antiAffinityTerms.length).map((p) => ({ pod: p, node: n })));
    const state = computeCycleState(info, extra, anti, () => undefined);
    return extra.map((n) => interPodAffinity(info, n, state).join(""));
  };
  it("affinity by zone: only nodes in the zone of a matching pod", () => {
    expect(run(mkPod("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "topology.kubernetes.io/zone")] } } }))).toEqual([
      "",
      "",
      "node(s) didn't match pod affinity rules",
    ]);
  });
  it("affinity by hostname", () => {
    expect(run(mkPod("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "kubernetes.io/hostname")] } } }))).toEqual([
      "",
      "node(s) didn't match pod affinity rules",
      "node(s) didn't match pod affinity rules",
    ]);
  });
  it("affinity to pods in another namespace does not count", () => {
    const pod = mkPod("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "kubernetes.io/hostname")] } } }, { namespace: "other" });
    expect(run(pod).every((r) => r === "node(s) didn't match pod affinity rules")).toBe(true);
  });
  it("the first pod of a group that selects itself may go anywhere", () => {
    const pod = mkPod("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "kubernetes.io/hostname")] } } }, { labels: { app: "db" } });
    expect(run(pod)).toEqual(["", "", ""]);
  });
  it("anti-affinity by zone", () => {
    expect(run(mkPod("p", { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "topology.kubernetes.io/zone")] } } }))).toEqual([
      "node(s) didn't match pod anti-affinity rules",
      "node(s) didn't match pod anti-affinity rules",
      "",
    ]);
  });
  it("existing pods' anti-affinity keeps matching pods away", () => {
    const guarded = nodeInfoOf(mkNode("n4", { labels: zone("c") }), [
      mkPod("loner", { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "kubernetes.io/hostname")] } } }),
    ]);
    const all = [...nodes, guarded];
    expect(run(mkPod("p", {}, { labels: { app: "web" } }), all)).toEqual(["", "", "", "node(s) didn't satisfy existing pods anti-affinity rules"]);
    expect(run(mkPod("p", {}, { labels: { app: "api" } }), all)).toEqual(["", "", "", ""]);
  });
});

describe("runFilters", () => {
  it("stops at the first plugin that rejects the node", () => {
    const node = nodeInfoOf(mkNode("n", { unschedulable: true, cpu: "1", taints: [{ key: "a", effect: "NoSchedule" }] }));
    expect(runFilters(podInfoOf(mkPod("p", req("2"))), node, EMPTY_CYCLE_STATE)).toEqual(["node(s) were unschedulable"]);
  });
});

describe("podRequests", () => {
  it.each([
    ["sum of containers", { containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }, { name: "b", resources: { requests: { cpu: "200m", memory: "1Ki" } } }] }, { cpu: 300, memory: 1024 }],
    [
      "init container larger than the sum",
      { initContainers: [{ name: "i", resources: { requests: { cpu: "1" } } }], containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }] },
      { cpu: 1000 },
    ],
    [
      "sidecar adds to the sum and to later init containers",
      {
        initContainers: [
          { name: "s", restartPolicy: "Always", resources: { requests: { cpu: "200m" } } },
          { name: "i", resources: { requests: { cpu: "500m" } } },
        ],
        containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }],
      },
      { cpu: 700 },
    ],
    ["overhead", { containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }], overhead: { cpu: "50m" } }, { cpu: 150 }],
  ])("%s", (_n, spec, want) => {
    expect(Object.fromEntries(podRequests({ spec: spec as never }))).toEqual(want);
  });
});
