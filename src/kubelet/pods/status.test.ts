import type { ContainerStatus, Pod } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import { computePodStatus, podPhase, podStatusChanged } from "./status.js";

const running = (name: string, ready = true): ContainerStatus => ({
  name, image: "x", imageID: "sha256:1", ready, restartCount: 0, started: true, state: { running: { startedAt: "2024-01-01T00:00:00Z" } },
});
const terminated = (name: string, exitCode: number): ContainerStatus => ({
  name, image: "x", imageID: "", ready: false, restartCount: 0, started: false,
  state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } },
});
const waiting = (name: string, reason: string, lastExit?: number): ContainerStatus => ({
  name, image: "x", imageID: "", ready: false, restartCount: lastExit === undefined ? 0 : 1,
  state: { waiting: { reason } },
  ...(lastExit === undefined ? {} : { lastState: { terminated: { exitCode: lastExit } } }),
});

const pod = (policy: string, app: string[], init: string[] = []): Pod => ({
  metadata: { name: "p", namespace: "default", uid: "u" },
  spec: {
    restartPolicy: policy,
    containers: app.map((name) => ({ name, image: "x" })),
    ...(init.length ? { initContainers: init.map((name) => ({ name, image: "x" })) } : {}),
  },
  status: { phase: "Pending", qosClass: "BestEffort", conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }] },
});

describe("podPhase", () => {
  it.each([
    ["Always", [running("a")], [], "Running"],
    ["Always", [running("a"), waiting("b", "ContainerCreating")], [], "Pending"],
    ["Always", [waiting("a", "CrashLoopBackOff", 1)], [], "Running"],
    ["Always", [terminated("a", 0)], [], "Running"],
    ["Never", [terminated("a", 0), terminated("b", 0)], [], "Succeeded"],
    ["Never", [terminated("a", 0), terminated("b", 2)], [], "Failed"],
    ["OnFailure", [terminated("a", 0)], [], "Succeeded"],
    ["OnFailure", [waiting("a", "CrashLoopBackOff", 1)], [], "Running"],
    ["Never", [running("a"), terminated("b", 1)], [], "Running"],
    ["Always", [], [], "Pending"],
  ])("%s %j → %s", (policy, app, _init, expected) => {
    const names = (app as ContainerStatus[]).map((s) => s.name);
    expect(podPhase(pod(policy as string, names.length ? names : ["a"]), [], app as ContainerStatus[])).toBe(expected);
  });

  it("is Pending while init containers run and Failed when one fails under Never", () => {
    const app = [waiting("a", "PodInitializing")];
    expect(podPhase(pod("Always", ["a"], ["i1", "i2"]), [terminated("i1", 0), running("i2")], app)).toBe("Pending");
    expect(podPhase(pod("Never", ["a"], ["i1"]), [terminated("i1", 1)], app)).toBe("Failed");
    expect(podPhase(pod("Always", ["a"], ["i1"]), [waiting("i1", "CrashLoopBackOff", 1)], app)).toBe("Pending");
  });
});

describe("computePodStatus", () => {
  const now = "2024-01-02T00:00:00Z";

  it("reports Running and Ready with addresses, keeping PodScheduled and qosClass", () => {
    const s = computePodStatus({ pod: pod("Always", ["a"]), initContainerStatuses: [], containerStatuses: [running("a")], podIP: "10.244.1.5", hostIP: "172.18.0.3", sandboxReady: true, startTime: now, now });
    expect(s.phase).toBe("Running");
    expect(s.podIPs).toEqual([{ ip: "10.244.1.5" }]);
    expect(s.hostIPs).toEqual([{ ip: "172.18.0.3" }]);
    expect(s.qosClass).toBe("BestEffort");
    expect(s.startTime).toBe(now);
    expect(s.conditions!.map((c) => [c.type, c.status])).toEqual([
      ["PodReadyToStartContainers", "True"],
      ["Initialized", "True"],
      ["Ready", "True"],
      ["ContainersReady", "True"],
      ["PodScheduled", "True"],
    ]);
    expect(s.conditions!.find((c) => c.type === "PodScheduled")!.lastTransitionTime).toBe("2024-01-01T00:00:00Z");
  });

  it("names unready containers and incomplete init containers", () => {
    const s = computePodStatus({
      pod: pod("Always", ["a", "b"], ["init"]), initContainerStatuses: [running("init")],
      containerStatuses: [waiting("a", "PodInitializing"), waiting("b", "PodInitializing")], sandboxReady: true, now,
    });
    const c = Object.fromEntries(s.conditions!.map((x) => [x.type, x]));
    expect(c.Initialized).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [init]" });
    expect(c.Ready).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a b]" });
    expect(s.phase).toBe("Pending");
  });

  it("says PodCompleted when all succeeded and keeps transition times of unchanged conditions", () => {
    const p = pod("Never", ["a"]);
    const first = computePodStatus({ pod: p, initContainerStatuses: [], containerStatuses: [terminated("a", 0)], sandboxReady: true, now });
    expect(first.phase).toBe("Succeeded");
    expect(first.conditions!.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    const later = computePodStatus({ pod: { ...p, status: first }, initContainerStatuses: [], containerStatuses: [terminated("a", 0)], sandboxReady: true, now: "2030-01-01T00:00:00Z" });
    expect(later.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime).toBe(now);
    expect(podStatusChanged(first, later)).toBe(false);
    expect(podStatusChanged(first, { ...later, phase: "Failed" })).toBe(true);
  });
});
