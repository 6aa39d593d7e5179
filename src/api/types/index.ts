// Per-kind defaulting and validation for every kind the API server serves, keyed by
// gvkKey(apiVersion, kind). The API server, on each write:
//   create: set metadata.name (from generateName) and metadata.uid, then defaults(obj),
//           validateObjectMeta(meta, { namespaced, nameFn: nameValidatorFor(key) }), validate(obj).
//   update: prepareForUpdate[key]?.(obj, old), defaults(obj), validateObjectMetaUpdate(new, old),
//           validate(obj), validateUpdate(obj, old).
// Strategies are pure: no clock, no randomness, no I/O.

import type { TypeStrategy } from "../registry/types.js";
import type { KubeObject } from "../registry/types.js";
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, type NameFn } from "../validation/names.js";
import { controllerRevisionStrategy, daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy } from "./apps.js";
import { cronJobStrategy, jobStrategy } from "./batch.js";
import { configMapStrategy, secretStrategy } from "./configmap-secret.js";
import { leaseStrategy } from "./coordination.js";
import { coreEventStrategy, endpointsStrategy, limitRangeStrategy, resourceQuotaStrategy, serviceAccountStrategy } from "./core-misc.js";
import { endpointSliceStrategy } from "./discovery.js";
import { eventsV1EventStrategy } from "./events.js";
import { namespacePrepareForUpdate, namespaceStrategy } from "./namespace.js";
import { nodeStrategy } from "./node.js";
import { pvcStrategy, pvStrategy } from "./persistent-volume.js";
import { podStrategy } from "./pod.js";
import { podDisruptionBudgetStrategy } from "./policy.js";
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from "./rbac.js";
import { servicePrepareForUpdate, serviceStrategy } from "./service.js";
import { storageClassStrategy } from "./storage.js";

export const strategies: Record<string, TypeStrategy> = {
  "v1/Namespace": namespaceStrategy,
  "v1/Pod": podStrategy,
  "v1/Service": serviceStrategy,
  "v1/Endpoints": endpointsStrategy,
  "v1/ConfigMap": configMapStrategy,
  "v1/Secret": secretStrategy,
  "v1/ServiceAccount": serviceAccountStrategy,
  "v1/Node": nodeStrategy,
  "v1/Event": coreEventStrategy,
  "v1/PersistentVolume": pvStrategy,
  "v1/PersistentVolumeClaim": pvcStrategy,
  "v1/LimitRange": limitRangeStrategy,
  "v1/ResourceQuota": resourceQuotaStrategy,
  "apps/v1/Deployment": deploymentStrategy,
  "apps/v1/ReplicaSet": replicaSetStrategy,
  "apps/v1/StatefulSet": statefulSetStrategy,
  "apps/v1/DaemonSet": daemonSetStrategy,
  "apps/v1/ControllerRevision": controllerRevisionStrategy,
  "batch/v1/Job": jobStrategy,
  "batch/v1/CronJob": cronJobStrategy,
  "coordination.k8s.io/v1/Lease": leaseStrategy,
  "discovery.k8s.io/v1/EndpointSlice": endpointSliceStrategy,
  "events.k8s.io/v1/Event": eventsV1EventStrategy,
  "rbac.authorization.k8s.io/v1/Role": roleStrategy,
  "rbac.authorization.k8s.io/v1/RoleBinding": roleBindingStrategy,
  "rbac.authorization.k8s.io/v1/ClusterRole": clusterRoleStrategy,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": clusterRoleBindingStrategy,
  "storage.k8s.io/v1/StorageClass": storageClassStrategy,
  "policy/v1/PodDisruptionBudget": podDisruptionBudgetStrategy,
};

/** Name formats that differ from the usual DNS-1123 subdomain. */
const NAME_FNS: Record<string, NameFn> = {
  "v1/Namespace": nameIsDNSLabel,
  "v1/Service": nameIsDNS1035Label,
  "v1/PersistentVolume": nameIsPathSegment,
  "rbac.authorization.k8s.io/v1/Role": nameIsPathSegment,
  "rbac.authorization.k8s.io/v1/RoleBinding": nameIsPathSegment,
  "rbac.authorization.k8s.io/v1/ClusterRole": nameIsPathSegment,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": nameIsPathSegment,
};

/** The name validator for a kind, to pass to validateObjectMeta. */
export function nameValidatorFor(key: string): NameFn {
  return NAME_FNS[key] ?? nameIsDNSSubdomain;
}

/**
 * Steps Kubernetes' strategies take on update before validation, which need the stored object:
 * Services keep their allocated IPs and node ports when the update leaves them out; Namespaces
 * keep spec.finalizers and status (changed only through subresources).
 */
export const prepareForUpdate: Record<string, (obj: KubeObject, old: KubeObject) => void> = {
  "v1/Service": servicePrepareForUpdate,
  "v1/Namespace": namespacePrepareForUpdate,
};

export { podDefaults, podSpecDefaults, podTemplateDefaults, containerDefaults, defaultPullPolicy } from "./pod-defaults.js";
export { validatePod, validatePodSpec, validatePodTemplate, validateTolerations } from "./pod-validation.js";
export { validatePodUpdate, POD_UPDATABLE_FIELDS } from "./pod-update.js";
export { validateSelectorAndTemplate } from "./apps.js";
export { generateJobSelector, CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_NAME_LABEL } from "./batch.js";
export { cronScheduleError, timeZoneError } from "./cron.js";
export { NAMESPACE_NAME_LABEL } from "./namespace.js";
