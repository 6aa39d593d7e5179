// Tables of the workload kinds (apps, batch, autoscaling Scale, ReplicationController,
// PodTemplate), following printers.go column by column.

import type { TableDef } from "../registry/types.js";
import { formatLabels, formatLabelSelector, labelSelectorToString } from "../selectors/labels.js";
import {
  age,
  ageColumn,
  arr,
  col,
  containerCells,
  containersColumn,
  docCol,
  imagesColumn,
  int,
  meta,
  name,
  nameColumn,
  spec,
  status,
  str,
  table,
  boolPtr,
  type Obj,
} from "./columns.js";
import { humanDuration, parseTimestamp, since } from "./duration.js";

const template = (o: Obj): Obj => spec(o).template ?? {};
const templateContainers = (o: Obj): [string, string] => containerCells(spec(template(o)).containers);

export const deploymentTable: TableDef = table(
  [
    nameColumn,
    col("Ready", "string", "Number of the pod with ready state"),
    docCol("Up-to-date", "string", "DeploymentStatus.updatedReplicas"),
    docCol("Available", "string", "DeploymentStatus.availableReplicas"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "DeploymentSpec.selector", 1),
  ],
  (o, now) => {
    const st = status(o);
    // Deployments print selector.String() directly: "" when empty, "<invalid>" when unparsable.
    let selector: string;
    try {
      selector = labelSelectorToString(spec(o).selector ?? null);
    } catch {
      selector = "<invalid>";
    }
    return [
      name(o),
      `${int(st.readyReplicas)}/${int(spec(o).replicas)}`,
      int(st.updatedReplicas),
      int(st.availableReplicas),
      age(o, now),
      ...templateContainers(o),
      selector,
    ];
  },
);

export const replicaSetTable: TableDef = table(
  [
    nameColumn,
    docCol("Desired", "integer", "ReplicaSetSpec.replicas"),
    docCol("Current", "integer", "ReplicaSetStatus.replicas"),
    docCol("Ready", "integer", "ReplicaSetStatus.readyReplicas"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "ReplicaSetSpec.selector", 1),
  ],
  (o, now) => [
    name(o),
    int(spec(o).replicas),
    int(status(o).replicas),
    int(status(o).readyReplicas),
    age(o, now),
    ...templateContainers(o),
    formatLabelSelector(spec(o).selector ?? null),
  ],
);

export const replicationControllerTable: TableDef = table(
  [
    nameColumn,
    docCol("Desired", "integer", "ReplicationControllerSpec.replicas"),
    docCol("Current", "integer", "ReplicationControllerStatus.replicas"),
    docCol("Ready", "integer", "ReplicationControllerStatus.readyReplicas"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "ReplicationControllerSpec.selector", 1),
  ],
  (o, now) => [
    name(o),
    int(spec(o).replicas),
    int(status(o).replicas),
    int(status(o).readyReplicas),
    age(o, now),
    ...templateContainers(o),
    formatLabels(spec(o).selector),
  ],
);

export const statefulSetTable: TableDef = table(
  [
    nameColumn,
    col("Ready", "string", "Number of the pod with ready state"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
  ],
  (o, now) => [name(o), `${int(status(o).readyReplicas)}/${int(spec(o).replicas)}`, age(o, now), ...templateContainers(o)],
);

export const daemonSetTable: TableDef = table(
  [
    nameColumn,
    docCol("Desired", "integer", "DaemonSetStatus.desiredNumberScheduled"),
    docCol("Current", "integer", "DaemonSetStatus.currentNumberScheduled"),
    docCol("Ready", "integer", "DaemonSetStatus.numberReady"),
    docCol("Up-to-date", "integer", "DaemonSetStatus.updatedNumberScheduled"),
    docCol("Available", "integer", "DaemonSetStatus.numberAvailable"),
    docCol("Node Selector", "string", "PodSpec.nodeSelector"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "DaemonSetSpec.selector", 1),
  ],
  (o, now) => {
    const st = status(o);
    return [
      name(o),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(spec(template(o)).nodeSelector),
      age(o, now),
      ...templateContainers(o),
      formatLabelSelector(spec(o).selector ?? null),
    ];
  },
);

/** hasJobCondition: the first condition of the type decides. */
const jobCondition = (o: Obj, type: string): boolean =>
  arr(status(o).conditions).find((c) => c?.type === type)?.status === "True";

/** Job STATUS: Complete, Failed, Terminating, Suspended, FailureTarget or Running. */
export function jobStatus(o: Obj): string {
  if (jobCondition(o, "Complete")) return "Complete";
  if (jobCondition(o, "Failed")) return "Failed";
  if (meta(o).deletionTimestamp) return "Terminating";
  if (jobCondition(o, "Suspended")) return "Suspended";
  if (jobCondition(o, "FailureTarget")) return "FailureTarget";
  return "Running";
}

/** COMPLETIONS: "1/3", or for jobs without completions "0/1" / "0/1 of 4" (parallel). */
export function jobCompletions(o: Obj): string {
  const succeeded = int(status(o).succeeded);
  const completions = spec(o).completions;
  if (typeof completions === "number") return `${succeeded}/${completions}`;
  const parallelism = int(spec(o).parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDuration(o: Obj, now: Date): string {
  const start = parseTimestamp(status(o).startTime);
  if (start === undefined) return "";
  const end = parseTimestamp(status(o).completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobTable: TableDef = table(
  [
    nameColumn,
    col("Status", "string", "Status of the job."),
    docCol("Completions", "string", "JobStatus.succeeded"),
    col("Duration", "string", "Time required to complete the job."),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "JobSpec.selector", 1),
  ],
  (o, now) => [
    name(o),
    jobStatus(o),
    jobCompletions(o),
    jobDuration(o, now),
    age(o, now),
    ...templateContainers(o),
    formatLabelSelector(spec(o).selector ?? null),
  ],
);

export const cronJobTable: TableDef = table(
  [
    nameColumn,
    docCol("Schedule", "string", "CronJobSpec.schedule"),
    docCol("Timezone", "string", "CronJobSpec.timeZone"),
    docCol("Suspend", "boolean", "CronJobSpec.suspend"),
    docCol("Active", "integer", "CronJobStatus.active"),
    docCol("Last Schedule", "string", "CronJobStatus.lastScheduleTime"),
    ageColumn,
    containersColumn(),
    imagesColumn(),
    docCol("Selector", "string", "JobSpec.selector", 1),
  ],
  (o, now) => {
    const jobSpec = spec(spec(o).jobTemplate ?? {});
    const last = status(o).lastScheduleTime;
    return [
      name(o),
      str(spec(o).schedule),
      typeof spec(o).timeZone === "string" ? spec(o).timeZone : "<none>",
      boolPtr(spec(o).suspend),
      arr(status(o).active).length,
      last ? since(last, now) : "<none>",
      age(o, now),
      ...containerCells(spec(jobSpec.template ?? {}).containers),
      formatLabelSelector(jobSpec.selector ?? null),
    ];
  },
);

/** "daemonset.apps/fluentd" for the controller owner, "<none>" without one. */
function controllerName(o: Obj): string {
  const ref = arr(meta(o).ownerReferences).find((r) => r?.controller === true);
  if (!ref) return "<none>";
  const apiVersion = str(ref.apiVersion);
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const kind = group ? `${str(ref.kind)}.${group}` : str(ref.kind);
  return kind ? `${kind.toLowerCase()}/${str(ref.name)}` : str(ref.name);
}

export const controllerRevisionTable: TableDef = table(
  [nameColumn, col("Controller", "string", "Controller of the object"), docCol("Revision", "string", "ControllerRevision.revision"), ageColumn],
  (o, now) => [name(o), controllerName(o), int(o.revision), age(o, now)],
);

export const podTemplateTable: TableDef = table(
  [
    nameColumn,
    containersColumn(0),
    imagesColumn(0),
    col("Pod Labels", "string", "The labels for the pod template."),
  ],
  (o) => [name(o), ...containerCells(spec(o.template ?? {}).containers), formatLabels(meta(o.template ?? {}).labels)],
);

/** autoscaling/v1 Scale, served by the scale subresource. Its Name column has no "name" format. */
export const scaleTable: TableDef = table(
  [
    col("Name", "string", nameColumn.description),
    docCol("Desired", "integer", "ScaleSpec.replicas"),
    docCol("Available", "integer", "ScaleStatus.replicas"),
    ageColumn,
  ],
  (o, now) => [name(o), int(spec(o).replicas), int(status(o).replicas), age(o, now)],
);
