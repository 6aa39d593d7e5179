import { describe, expect, it } from "vitest";
import { podSummary, podTable } from "./pods.js";

const now = new Date("2024-05-01T12:00:00Z");
const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString();
const MIN = 60_000;

const running = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  ready: true,
  restartCount: 0,
  started: true,
  state: { running: { startedAt: ago(10 * MIN) } },
  ...extra,
});

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(90 * MIN), ...metadata },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
    status,
  };
}

const readyConds = [
  { type: "Initialized", status: "True" },
  { type: "Ready", status: "True" },
  { type: "PodScheduled", status: "True" },
];

describe("pod READY / STATUS / RESTARTS", () => {
  it.each([
    ["running", pod({}, { phase: "Running", conditions: readyConds, containerStatuses: [running("app")] }), "1/1", "Running", "0"],
    ["pending, unscheduled", pod({}, { phase: "Pending" }), "0/1", "Pending", "0"],
    [
      "container creating",
      pod({}, { phase: "Pending", containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] }),
      "0/1",
      "ContainerCreating",
      "0",
    ],
    [
      "crash loop with last restart time",
      pod({}, {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(5 * MIN) } },
          },
        ],
      }),
      "0/1",
      "CrashLoopBackOff",
      "3 (5m ago)",
    ],
    [
      "init container still running",
      pod(
        { initContainers: [{ name: "a", image: "x" }, { name: "b", image: "x" }] },
        { phase: "Pending", initContainerStatuses: [{ name: "a", restartCount: 0, state: { running: {} } }, { name: "b", restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }] },
      ),
      "0/1",
      "Init:0/2",
      "0",
    ],
    [
      "init container crash looping",
      pod(
        { initContainers: [{ name: "a", image: "x" }] },
        { phase: "Pending", initContainerStatuses: [{ name: "a", restartCount: 2, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } } }] },
      ),
      "0/1",
      "Init:CrashLoopBackOff",
      "2 (2m ago)",
    ],
    [
      "init container failed without reason",
      pod({ initContainers: [{ name: "a", image: "x" }] }, { phase: "Pending", initContainerStatuses: [{ name: "a", state: { terminated: { exitCode: 2 } } }] }),
      "0/1",
      "Init:ExitCode:2",
      "0",
    ],
    [
      "completed",
      pod({}, { phase: "Succeeded", containerStatuses: [{ name: "app", ready: false, state: { terminated: { exitCode: 0, reason: "Completed" } } }] }),
      "0/1",
      "Completed",
      "0",
    ],
    [
      "killed by signal",
      pod({}, { phase: "Failed", containerStatuses: [{ name: "app", state: { terminated: { exitCode: 137, signal: 9 } } }] }),
      "0/1",
      "Signal:9",
      "0",
    ],
    ["evicted", pod({}, { phase: "Failed", reason: "Evicted" }), "0/1", "Evicted", "0"],
    [
      "terminating",
      pod({}, { phase: "Running", conditions: readyConds, containerStatuses: [running("app")] }, { deletionTimestamp: ago(0) }),
      "1/1",
      "Terminating",
      "0",
    ],
    ["node lost", pod({}, { phase: "Running", reason: "NodeLost" }, { deletionTimestamp: ago(0) }), "0/1", "Unknown", "0"],
    [
      "scheduling gated",
      pod({ schedulingGates: [{ name: "x" }] }, { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] }),
      "0/1",
      "SchedulingGated",
      "0",
    ],
    [
      "native sidecar counts as a container",
      pod(
        { initContainers: [{ name: "proxy", image: "envoy", restartPolicy: "Always" }] },
        {
          phase: "Running",
          conditions: readyConds,
          initContainerStatuses: [running("proxy", { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * MIN) } } })],
          containerStatuses: [running("app")],
        },
      ),
      "2/2",
      "Running",
      "1 (30m ago)",
    ],
    [
      "one container completed, another still running and ready",
      pod(
        { containers: [{ name: "a" }, { name: "b" }] },
        {
          phase: "Running",
          conditions: readyConds,
          containerStatuses: [running("a"), { name: "b", state: { terminated: { exitCode: 0, reason: "Completed" } } }],
        },
      ),
      "1/2",
      "Running",
      "0",
    ],
    [
      "one container completed, pod not ready",
      pod(
        { containers: [{ name: "a" }, { name: "b" }] },
        { phase: "Running", containerStatuses: [running("a"), { name: "b", state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
      ),
      "1/2",
      "NotReady",
      "0",
    ],
  ])("%s", (_name, p, ready, reason, restarts) => {
    expect(podSummary(p, now)).toEqual({ ready, reason, restarts });
  });
});

describe("pod table row", () => {
  it("fills every column, wide ones included", () => {
    const p = pod(
      { nodeName: "worker-1", readinessGates: [{ conditionType: "example.com/lb" }, { conditionType: "example.com/dns" }] },
      {
        phase: "Running",
        podIP: "10.244.1.7",
        podIPs: [{ ip: "10.244.1.7" }],
        conditions: [...readyConds, { type: "example.com/lb", status: "True" }],
        containerStatuses: [running("app")],
      },
    );
    expect(podTable.cells(p, now)).toEqual(["web", "1/1", "Running", "0", "90m", "10.244.1.7", "worker-1", "<none>", "1/2"]);
    expect(podTable.columns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      "Name:0",
      "Ready:0",
      "Status:0",
      "Restarts:0",
      "Age:0",
      "IP:1",
      "Node:1",
      "Nominated Node:1",
      "Readiness Gates:1",
    ]);
  });

  it("shows <none> for an unscheduled pod", () => {
    expect(podTable.cells(pod({}, { phase: "Pending" }), now).slice(5)).toEqual(["<none>", "<none>", "<none>", "<none>"]);
  });
});
