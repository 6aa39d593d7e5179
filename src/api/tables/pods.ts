// The Pod table: READY, the STATUS reason kubectl users know (Running, Completed,
// ContainerCreating, CrashLoopBackOff, Init:0/1, Terminating, ...) and RESTARTS with the time of
// the last restart, computed the way printers.go printPod does.

import type { TableDef } from "../registry/types.js";
import { age, ageColumn, arr, col, docCol, int, meta, name, nameColumn, spec, status, str, type Obj } from "./columns.js";
import { humanDuration, parseTimestamp } from "./duration.js";

const isRestartableInit = (c: Obj | undefined): boolean => c?.restartPolicy === "Always";
const isTerminalPhase = (phase: string): boolean => phase === "Succeeded" || phase === "Failed";
const conditionTrue = (conds: Obj[], type: string): boolean =>
  conds.some((c) => c?.type === type && c?.status === "True");
/** isPodInitializedConditionTrue: the first Initialized condition decides. */
const initializedTrue = (conds: Obj[]): boolean => conds.find((c) => c?.type === "Initialized")?.status === "True";

export interface PodSummary {
  ready: string;
  reason: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of one pod at `now`. */
export function podSummary(pod: Obj, now: Date): PodSummary {
  const podSpec = spec(pod);
  const st = status(pod);
  const conditions = arr(st.conditions);
  const containers = arr(podSpec.containers);
  const initSpecs = arr(podSpec.initContainers);
  const initStatuses = arr(st.initContainerStatuses);

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = containers.length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (a: number | undefined, ts: unknown): number | undefined => {
    const t = parseTimestamp(ts);
    return t !== undefined && (a === undefined || t > a) ? t : a;
  };

  const phase = str(st.phase);
  let reason = st.reason ? str(st.reason) : phase;
  if (conditions.some((c) => c?.type === "PodScheduled" && c?.reason === "SchedulingGated")) reason = "SchedulingGated";

  const initByName = new Map<string, Obj>();
  for (const c of initSpecs) {
    initByName.set(str(c?.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    const state = c.state ?? {};
    const lastTerminated = c.lastState?.terminated;
    const restartable = isRestartableInit(initByName.get(str(c.name)));
    restarts += int(c.restartCount);
    if (lastTerminated) lastRestart = later(lastRestart, lastTerminated.finishedAt);
    if (restartable) {
      restartableInitRestarts += int(c.restartCount);
      if (lastTerminated) lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerminated.finishedAt);
    }
    if (state.terminated && int(state.terminated.exitCode) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      const t = state.terminated;
      if (!t.reason) reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${int(t.exitCode)}`;
      else reason = `Init:${t.reason}`;
    } else if (state.waiting?.reason && state.waiting.reason !== "PodInitializing") {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || initializedTrue(conditions)) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = arr(st.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      const state = c.state ?? {};
      restarts += int(c.restartCount);
      if (c.lastState?.terminated) lastRestart = later(lastRestart, c.lastState.terminated.finishedAt);
      if (state.waiting?.reason) {
        reason = str(state.waiting.reason);
      } else if (state.terminated?.reason) {
        reason = str(state.terminated.reason);
      } else if (state.terminated) {
        const t = state.terminated;
        reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${int(t.exitCode)}`;
      } else if (c.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed but another still runs is not "Completed".
    if (reason === "Completed" && hasRunning) reason = conditionTrue(conditions, "Ready") ? "Running" : "NotReady";
  }

  if (meta(pod).deletionTimestamp && st.reason === "NodeLost") reason = "Unknown";
  else if (meta(pod).deletionTimestamp && !isTerminalPhase(phase)) reason = "Terminating";

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsStr = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, reason, restarts: restartsStr };
}

/** "2/3" of readiness gates whose condition is True, or "<none>". */
function readinessGates(pod: Obj): string {
  const gates = arr(spec(pod).readinessGates);
  if (gates.length === 0) return "<none>";
  const conds = arr(status(pod).conditions);
  let trueCount = 0;
  for (const g of gates) {
    const c = conds.find((x) => x?.type === g?.conditionType);
    if (c?.status === "True") trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

export const podTable: TableDef = {
  columns: [
    nameColumn,
    col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "string", "The aggregate status of the containers in this pod."),
    col(
      "Restarts",
      "string",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    ageColumn,
    docCol("IP", "string", "PodStatus.podIP", 1),
    docCol("Node", "string", "PodSpec.nodeName", 1),
    docCol("Nominated Node", "string", "PodStatus.nominatedNodeName", 1),
    docCol("Readiness Gates", "string", "PodSpec.readinessGates", 1),
  ],
  cells(obj, now) {
    const pod = obj as Obj;
    const s = podSummary(pod, now);
    const st = status(pod);
    // v1 carries podIP and podIPs; the internal type (what Kubernetes prints) only podIPs.
    const ip = str(arr(st.podIPs)[0]?.ip ?? st.podIP) || "<none>";
    return [
      name(obj),
      s.ready,
      s.reason,
      s.restarts,
      age(obj, now),
      ip,
      str(spec(pod).nodeName) || "<none>",
      str(st.nominatedNodeName) || "<none>",
      readinessGates(pod),
    ];
  },
};
