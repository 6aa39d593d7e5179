// Server-side tables (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): per kind, the
// columns kube-apiserver serves and the cells of one row. Kubernetes always renders the wide
// variant on the server (kubectl hides priority-1 columns unless `-o wide`), so cells cover
// every column. Kinds without a printer get `defaultTable`, as rest.NewDefaultTableConvertor.

import type { KubeObject, TableDef } from "../registry/types.js";
import { col, meta, name, nameColumn } from "./columns.js";
import {
  clusterRoleBindingTable,
  certificateSigningRequestTable,
  csiNodeTable,
  endpointSliceTable,
  ingressClassTable,
  ingressTable,
  leaseTable,
  networkPolicyTable,
  podDisruptionBudgetTable,
  priorityClassTable,
  roleBindingTable,
  runtimeClassTable,
  storageClassTable,
  webhookConfigurationTable,
} from "./cluster.js";
import {
  configMapTable,
  endpointsTable,
  eventsV1EventTable,
  eventTable,
  namespaceTable,
  nodeTable,
  persistentVolumeClaimTable,
  persistentVolumeTable,
  resourceQuotaTable,
  secretTable,
  serviceAccountTable,
  serviceTable,
} from "./core.js";
import { doc } from "./descriptions.js";
import { parseTimestamp } from "./duration.js";
import { podTable } from "./pods.js";
import {
  controllerRevisionTable,
  cronJobTable,
  daemonSetTable,
  deploymentTable,
  jobTable,
  podTemplateTable,
  replicaSetTable,
  replicationControllerTable,
  scaleTable,
  statefulSetTable,
} from "./workloads.js";

export { humanDuration, shortHumanDuration } from "./duration.js";

/** Tables by gvkKey ("v1/Pod", "apps/v1/Deployment"). */
export const tables: Record<string, TableDef> = {
  "v1/Pod": podTable,
  "v1/PodTemplate": podTemplateTable,
  "v1/ReplicationController": replicationControllerTable,
  "v1/Service": serviceTable,
  "v1/Endpoints": endpointsTable,
  "v1/Node": nodeTable,
  "v1/Namespace": namespaceTable,
  "v1/ConfigMap": configMapTable,
  "v1/Secret": secretTable,
  "v1/ServiceAccount": serviceAccountTable,
  "v1/Event": eventTable,
  "v1/PersistentVolume": persistentVolumeTable,
  "v1/PersistentVolumeClaim": persistentVolumeClaimTable,
  "v1/ResourceQuota": resourceQuotaTable,
  "events.k8s.io/v1/Event": eventsV1EventTable,
  "apps/v1/Deployment": deploymentTable,
  "apps/v1/ReplicaSet": replicaSetTable,
  "apps/v1/StatefulSet": statefulSetTable,
  "apps/v1/DaemonSet": daemonSetTable,
  "apps/v1/ControllerRevision": controllerRevisionTable,
  "batch/v1/Job": jobTable,
  "batch/v1/CronJob": cronJobTable,
  "autoscaling/v1/Scale": scaleTable,
  "coordination.k8s.io/v1/Lease": leaseTable,
  "discovery.k8s.io/v1/EndpointSlice": endpointSliceTable,
  "policy/v1/PodDisruptionBudget": podDisruptionBudgetTable,
  "rbac.authorization.k8s.io/v1/RoleBinding": roleBindingTable,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": clusterRoleBindingTable,
  "storage.k8s.io/v1/StorageClass": storageClassTable,
  "storage.k8s.io/v1/CSINode": csiNodeTable,
  "scheduling.k8s.io/v1/PriorityClass": priorityClassTable,
  "node.k8s.io/v1/RuntimeClass": runtimeClassTable,
  "networking.k8s.io/v1/Ingress": ingressTable,
  "networking.k8s.io/v1/IngressClass": ingressClassTable,
  "networking.k8s.io/v1/NetworkPolicy": networkPolicyTable,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": webhookConfigurationTable,
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": webhookConfigurationTable,
  "certificates.k8s.io/v1/CertificateSigningRequest": certificateSigningRequestTable,
};

/** RFC 3339 in UTC at second precision, as Go's time.RFC3339 formats a metav1.Time. */
function rfc3339(ts: unknown): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return "0001-01-01T00:00:00Z";
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** NAME and CREATED AT (a "date" column holding the RFC 3339 creation time). */
export const defaultTable: TableDef = {
  columns: [nameColumn, col("Created At", "date", doc["ObjectMeta.creationTimestamp"])],
  cells: (obj: KubeObject) => [name(obj), rfc3339(meta(obj).creationTimestamp)],
};

/** The table for a kind, falling back to the default table. */
export function tableFor(kindKey: string): TableDef {
  return Object.hasOwn(tables, kindKey) ? tables[kindKey] : defaultTable;
}
