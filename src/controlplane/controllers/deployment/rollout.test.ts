import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1.js";
import { describe, expect, it } from "vitest";
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
  computeHash,
  equalIgnoreHash,
  findNewReplicaSet,
  getCondition,
  isScalingEvent,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  newReplicaSetTarget,
  oldReplicaSetsScaleDown,
  replicaSetsToCleanUp,
  resolveFenceposts,
  rolloutStatus,
  scalePlan,
  scaledValue,
  setNewReplicaSetAnnotations,
} from "./rollout.js";

function deploy(replicas: number, surge: number | string = "25%", unavailable: number | string = "25%", extra: Partial<Deployment["spec"]> = {}): Deployment {
  return {
    metadata: { name: "web", namespace: "default", generation: 1, uid: "d" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
  };
}

let seq = 0;
function rs(name: string, replicas: number, available = replicas, annotations: Record<string, string> = {}, created?: string): ReplicaSet {
  seq++;
  return {
    metadata: { name, namespace: "default", uid: name, annotations, creationTimestamp: created ?? new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: name }] } } },
    status: { replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1 },
  };
}

describe("maxSurge / maxUnavailable resolution", () => {
  it.each([
    [2, 10, true, 2],
    ["25%", 6, true, 2],
    ["25%", 6, false, 1],
    ["33%", 10, true, 4],
    ["33%", 10, false, 3],
    ["100%", 3, true, 3],
    ["0%", 10, true, 0],
    ["5", 10, false, 5],
  ] as const)("scaledValue(%s of %i, roundUp=%s) = %i", (value, total, up, want) => {
    expect(scaledValue(value, total, up)).toBe(want);
  });

  it("rejects a malformed value", () => {
    expect(() => scaledValue("abc", 10, true)).toThrow(/invalid value/);
  });

  it.each([
    [0, 0, 5, { surge: 0, unavailable: 1 }],
    ["0%", "0%", 10, { surge: 0, unavailable: 1 }],
    ["25%", "25%", 6, { surge: 2, unavailable: 1 }],
    ["25%", "25%", 1, { surge: 1, unavailable: 0 }],
    [3, "50%", 5, { surge: 3, unavailable: 2 }],
  ] as const)("resolveFenceposts(%s, %s, %i)", (surge, unavailable, desired, want) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual(want);
  });

  it("maxUnavailable is 0 for Recreate and for no replicas, and never above replicas", () => {
    expect(maxUnavailable(deploy(3, 1, 10))).toBe(3);
    expect(maxUnavailable(deploy(0, 1, 1))).toBe(0);
    expect(maxUnavailable({ ...deploy(4), spec: { ...deploy(4).spec!, strategy: { type: "Recreate" } } })).toBe(0);
    expect(maxSurge({ ...deploy(4), spec: { ...deploy(4).spec!, strategy: { type: "Recreate" } } })).toBe(0);
    expect(maxSurge(deploy(6))).toBe(2);
  });
});

describe("rolling update steps", () => {
  it("the new ReplicaSet grows up to replicas + maxSurge in total", () => {
    const d = deploy(10, 3, 2);
    expect(newRSNewReplicas(d, [rs("old", 10), rs("new", 0)], rs("new", 0))).toBe(3);
    const n = rs("new", 3);
    expect(newRSNewReplicas(d, [rs("old", 10), n], n)).toBe(3);
    expect(newReplicaSetTarget(d, [rs("old", 10), n], n)).toBeUndefined();
    const m = rs("new", 3);
    expect(newRSNewReplicas(d, [rs("old", 8), m], m)).toBe(5);
    const big = rs("new", 12);
    expect(newReplicaSetTarget(d, [big], big)).toBe(10);
    const rec = deploy(10, 0, 0, { strategy: { type: "Recreate" } });
    expect(newRSNewReplicas(rec, [rs("old", 10), rs("new", 0)], rs("new", 0))).toBe(10);
  });

  it("old ReplicaSets shrink only while replicas - maxUnavailable stay available", () => {
    const d = deploy(10, 3, 2);
    // New pods not yet available: only maxUnavailable's worth goes.
    expect(oldReplicaSetsScaleDown(d, [rs("old", 10)], rs("new", 3, 0))).toEqual(new Map([["old", 8]]));
    // New pods available: the old ReplicaSet shrinks by what the new one brings.
    expect(oldReplicaSetsScaleDown(d, [rs("old", 10)], rs("new", 3, 3))).toEqual(new Map([["old", 5]]));
    // Already at the floor: nothing.
    expect(oldReplicaSetsScaleDown(d, [rs("old", 8)], rs("new", 3, 0))).toEqual(new Map());
    expect(oldReplicaSetsScaleDown(d, [], rs("new", 10, 10))).toEqual(new Map());
  });

  it("unhealthy old replicas go first, oldest ReplicaSet first", () => {
    const d = deploy(10, 0, 2);
    const older = rs("older", 5, 2);
    const old = rs("old", 5, 5);
    expect(oldReplicaSetsScaleDown(d, [old, older], rs("new", 0, 0))).toEqual(new Map([["older", 3]]));
  });
});

describe("proportional scaling", () => {
  it("one active ReplicaSet takes the new size", () => {
    expect(scalePlan(deploy(7), rs("new", 5), [rs("old", 0)])).toEqual(new Map([["new", 7]]));
    // None active: the newest.
    expect(scalePlan(deploy(2), undefined, [rs("a", 0), rs("b", 0)])).toEqual(new Map([["b", 2]]));
  });

  it("a mid-rollout scale is shared in proportion to the ReplicaSets' sizes", () => {
    // 20 replicas with 25% surge (max 25) → 40 (max 50): 15/10 becomes 30/20.
    const ann = { [MAX_REPLICAS]: "25", [DESIRED_REPLICAS]: "20" };
    const plan = scalePlan(deploy(40), rs("new", 10, 0, ann), [rs("old", 15, 15, ann)]);
    expect(plan).toEqual(new Map([["old", 30], ["new", 20]]));
  });

  it("rounding leftovers go to the first ReplicaSet in order (newer first up, older first down)", () => {
    const ann = { [MAX_REPLICAS]: "2" };
    const old = rs("old", 1, 1, ann);
    const nu = rs("new", 1, 0, ann);
    expect(scalePlan(deploy(3, 0, 1), nu, [old])).toEqual(new Map([["new", 2], ["old", 1]]));
    expect(scalePlan(deploy(1, 0, 1), nu, [old])).toEqual(new Map([["old", 0], ["new", 1]]));
  });

  it("a saturated new ReplicaSet sends the old ones to zero", () => {
    const nu = rs("new", 4, 4, { [DESIRED_REPLICAS]: "4" });
    expect(scalePlan(deploy(4), nu, [rs("old", 2)])).toEqual(new Map([["old", 0]]));
  });

  it("a scaling event is an active ReplicaSet with another desired size", () => {
    expect(isScalingEvent(deploy(5), [rs("a", 3, 3, { [DESIRED_REPLICAS]: "3" })])).toBe(true);
    expect(isScalingEvent(deploy(3), [rs("a", 3, 3, { [DESIRED_REPLICAS]: "3" })])).toBe(false);
    expect(isScalingEvent(deploy(5), [rs("a", 0, 0, { [DESIRED_REPLICAS]: "3" })])).toBe(false);
  });
});

describe("templates, hashes and revisions", () => {
  const t = deploy(1).spec!.template;

  it("the hash is stable, uses the safe alphabet, and changes with the template and the collision count", () => {
    const h = computeHash(t);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(structuredClone(t))).toBe(h);
    expect(computeHash({ ...t, spec: { containers: [{ name: "c", image: "y" }] } })).not.toBe(h);
    expect(computeHash(t, 1)).not.toBe(h);
    expect(computeHash(t, 1)).toBe(computeHash(t, 1));
  });

  it("templates compare equal but for the pod-template-hash label (and nil vs empty)", () => {
    const withHash = structuredClone(t);
    withHash.metadata!.labels = { ...withHash.metadata!.labels, "pod-template-hash": "abc" };
    (withHash.spec as { volumes?: unknown[] }).volumes = [];
    expect(equalIgnoreHash(t, withHash)).toBe(true);
    expect(equalIgnoreHash(t, { ...t, spec: { containers: [{ name: "c", image: "y" }] } })).toBe(false);
    const d = deploy(1);
    const a = rs("other", 1);
    const b = rs("match", 1);
    b.spec!.template = withHash;
    expect(findNewReplicaSet(d, [a, b])?.metadata?.name).toBe("match");
  });

  it("raising an old ReplicaSet's revision records the old one in revision-history", () => {
    const d = deploy(3);
    d.metadata!.annotations = { "kubernetes.io/change-cause": "undo", "kubectl.kubernetes.io/last-applied-configuration": "{}" };
    const old = rs("old", 0, 0, { [REVISION]: "1" });
    expect(setNewReplicaSetAnnotations(d, old, 3, true)).toBe(true);
    expect(old.metadata!.annotations).toEqual({ [REVISION]: "3", [REVISION_HISTORY]: "1", "kubernetes.io/change-cause": "undo" });
    expect(setNewReplicaSetAnnotations(d, old, 3, true)).toBe(false);
    const fresh = rs("new", 0, 0, {});
    setNewReplicaSetAnnotations(d, fresh, 1, false);
    expect(fresh.metadata!.annotations).toMatchObject({ [REVISION]: "1", [DESIRED_REPLICAS]: "3", [MAX_REPLICAS]: "4" });
  });

  it("history beyond revisionHistoryLimit is pruned, oldest revision first, empty ReplicaSets only", () => {
    const d = deploy(3, 1, 1, { revisionHistoryLimit: 1 });
    const r1 = rs("r1", 0, 0, { [REVISION]: "1" });
    const r2 = rs("r2", 0, 0, { [REVISION]: "2" });
    const r3 = rs("r3", 0, 0, { [REVISION]: "3" });
    expect(replicaSetsToCleanUp(d, [r3, r1, r2]).map((x) => x.metadata!.name)).toEqual(["r1", "r2"]);
    const busy = rs("r0", 1, 1, { [REVISION]: "0" });
    expect(replicaSetsToCleanUp(d, [r3, busy]).map((x) => x.metadata!.name)).toEqual([]);
  });
});

describe("status and conditions", () => {
  const now = new Date("2026-01-01T00:10:00Z");

  it("a complete rollout is Available with NewReplicaSetAvailable", () => {
    const d = deploy(3);
    const nu = rs("new", 3, 3);
    const s = rolloutStatus(d, [nu], nu, now);
    expect(s).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3, observedGeneration: 1 });
    expect(s.unavailableReplicas).toBeUndefined();
    expect(getCondition(s, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(getCondition(s, "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable", message: 'ReplicaSet "new" has successfully progressed.' });
  });

  it("progress refreshes Progressing; no progress past the deadline times out", () => {
    const d = deploy(4, 1, 1, { progressDeadlineSeconds: 60 });
    d.status = {
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" }],
    };
    const moving = rolloutStatus(d, [rs("old", 3, 3), rs("new", 2, 0)], rs("new", 2, 0), now);
    expect(getCondition(moving, "Progressing")).toMatchObject({ reason: "ReplicaSetUpdated", lastUpdateTime: "2026-01-01T00:10:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" });
    const stuck = rolloutStatus(d, [rs("old", 4, 3), rs("new", 1, 0)], rs("new", 1, 0), now);
    expect(getCondition(stuck, "Progressing")).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded", message: 'ReplicaSet "new" has timed out progressing.' });
    expect(getCondition(stuck, "Available")).toMatchObject({ status: "True" });
    const down = rolloutStatus(d, [rs("old", 4, 1), rs("new", 1, 0)], rs("new", 1, 0), now);
    const failing = rs("new", 2, 0);
    (failing as { status?: ReplicaSet["status"] }).status = { ...failing.status!, replicas: 0, conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "quota" }] };
    const failed = rolloutStatus(d, [rs("old", 4, 4), failing], failing, now);
    expect(getCondition(failed, "ReplicaFailure")).toMatchObject({ status: "True", reason: "FailedCreate", message: "quota" });
    expect(getCondition(down, "Available")).toMatchObject({ status: "False", reason: "MinimumReplicasUnavailable" });
  });
});
