import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import { labelSelectorAsMatcher } from "../../../api/selectors/labels.js";
import { Expectations, EXPECTATIONS_TTL_MS } from "./expectations.js";
import { claimDecision, isPodAvailable, podFromTemplate, podsToDelete, replicaSetStatus, slowStartBatches } from "./pods.js";

const NOW = new Date("2026-01-01T12:00:00Z");
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

interface P {
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  created?: number;
  restarts?: number;
  labels?: Record<string, string>;
  owner?: string;
  deleting?: boolean;
}

function pod(name: string, p: P = {}): Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      namespace: "default",
      labels: p.labels ?? { app: "web" },
      creationTimestamp: ago(p.created ?? 3600),
      ownerReferences: p.owner ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: p.owner, uid: p.owner, controller: true }] : undefined,
      deletionTimestamp: p.deleting ? ago(0) : undefined,
    },
    spec: { nodeName: p.node, containers: [{ name: "c", image: "x" }] },
    status: {
      phase: p.phase ?? "Running",
      conditions: [{ type: "Ready", status: p.ready === false ? "False" : "True", lastTransitionTime: ago(p.readySince ?? 3000) }],
      containerStatuses: [{ name: "c", image: "x", imageID: "", ready: p.ready !== false, restartCount: p.restarts ?? 0 }],
    },
  };
}

describe("the order in which surplus pods are deleted", () => {
  it("unscheduled < pending < not ready < ready", () => {
    const pods = [
      pod("ready", { node: "n1" }),
      pod("notready", { node: "n2", ready: false }),
      pod("pending", { node: "n3", phase: "Pending", ready: false }),
      pod("unscheduled", { phase: "Pending", ready: false }),
    ];
    expect(podsToDelete(pods, pods, 3, NOW).map((p) => p.metadata!.name)).toEqual(["unscheduled", "pending", "notready"]);
  });

  it("among ready pods: doubled-up nodes first, then ready for less time, then more restarts, then newer", () => {
    const doubled = [pod("a1", { node: "a" }), pod("a2", { node: "a", readySince: 10 })];
    const single = pod("b1", { node: "b", readySince: 5 });
    expect(podsToDelete([...doubled, single], [...doubled, single], 1, NOW)[0].metadata!.name).toBe("a2");
    const recent = pod("recent", { node: "x", readySince: 10 });
    const old = pod("old", { node: "y", readySince: 100_000 });
    expect(podsToDelete([old, recent], [old, recent], 1, NOW)[0].metadata!.name).toBe("recent");
    const crashy = pod("crashy", { node: "x", restarts: 5 });
    const calm = pod("calm", { node: "y" });
    expect(podsToDelete([calm, crashy], [calm, crashy], 1, NOW)[0].metadata!.name).toBe("crashy");
    const newer = pod("newer", { node: "x", ready: false, created: 10 });
    const older = pod("older", { node: "y", ready: false, created: 100_000 });
    expect(podsToDelete([older, newer], [older, newer], 1, NOW)[0].metadata!.name).toBe("newer");
  });

  it("returns every pod when all go", () => {
    const pods = [pod("a"), pod("b")];
    expect(podsToDelete(pods, pods, 5, NOW)).toHaveLength(2);
  });
});

describe("claiming pods", () => {
  const sel = labelSelectorAsMatcher({ matchLabels: { app: "web" } });
  const owner = { uid: "rs1", deleting: false };
  it.each([
    ["own and matching", pod("p", { owner: "rs1" }), owner, "claim"],
    ["own, labels changed", pod("p", { owner: "rs1", labels: { app: "other" } }), owner, "release"],
    ["own, owner being deleted", pod("p", { owner: "rs1", labels: { app: "other" } }), { uid: "rs1", deleting: true }, "ignore"],
    ["another controller's", pod("p", { owner: "rs2" }), owner, "ignore"],
    ["orphan, matching", pod("p"), owner, "adopt"],
    ["orphan, not matching", pod("p", { labels: { app: "x" } }), owner, "ignore"],
    ["orphan being deleted", pod("p", { deleting: true }), owner, "ignore"],
    ["orphan, owner being deleted", pod("p"), { uid: "rs1", deleting: true }, "ignore"],
  ] as const)("%s → %s", (_name, p, o, want) => {
    expect(claimDecision(o, sel, p)).toBe(want);
  });
});

describe("slow start", () => {
  it.each([
    [0, []],
    [1, [1]],
    [3, [1, 2]],
    [10, [1, 2, 4, 3]],
    [16, [1, 2, 4, 8, 1]],
  ] as const)("%i creations go in batches %j", (n, want) => {
    expect(slowStartBatches(n)).toEqual(want);
  });
});

describe("pods from the template and status", () => {
  const rs: ReplicaSet = {
    metadata: { name: "web-abc", namespace: "default", uid: "rs1", generation: 3 },
    spec: {
      replicas: 3,
      minReadySeconds: 60,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web", tier: "fe" }, annotations: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } },
    },
  };

  it("a pod gets generateName `<rs>-`, the template's labels and annotations, and the controller reference", () => {
    const p = podFromTemplate(rs.spec!.template!, "default", "web-abc", { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "rs1", controller: true, blockOwnerDeletion: true });
    expect(p.metadata).toEqual({
      namespace: "default",
      generateName: "web-abc-",
      labels: { app: "web", tier: "fe" },
      annotations: { a: "b" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-abc", uid: "rs1", controller: true, blockOwnerDeletion: true }],
    });
    expect(p.spec).toEqual(rs.spec!.template!.spec);
    expect(p.spec).not.toBe(rs.spec!.template!.spec);
  });

  it("counts replicas, fully labelled, ready and available (minReadySeconds) pods", () => {
    const pods = [
      pod("a", { labels: { app: "web", tier: "fe" }, readySince: 120 }),
      pod("b", { labels: { app: "web" }, readySince: 30 }),
      pod("c", { labels: { app: "web", tier: "fe" }, ready: false }),
    ];
    expect(replicaSetStatus(rs, pods, undefined, NOW)).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
    expect(isPodAvailable(pods[1], 0, NOW)).toBe(true);
    const failed = replicaSetStatus(rs, [], new Error("quota exceeded"), NOW);
    expect(failed).toMatchObject({ replicas: 0, conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "quota exceeded" }] });
  });
});

describe("expectations", () => {
  it("holds a sync back until the creations and deletions it asked for are seen, or they expire", () => {
    let now = 0;
    const e = new Expectations(() => now);
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectCreations("ns/rs", 2);
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectDeletions("ns/rs", ["ns/a", "ns/b"]);
    e.deletionObserved("ns/rs", "ns/a");
    e.deletionObserved("ns/rs", "ns/a"); // seen twice (deletionTimestamp, then gone): counted once
    expect(e.satisfied("ns/rs")).toBe(false);
    now += EXPECTATIONS_TTL_MS + 1;
    expect(e.satisfied("ns/rs")).toBe(true);
  });
});
