// Every resource the API server serves, in discovery order. This table is the single place that
// says what exists; storage keys, discovery, OpenAPI paths and routing all derive from it.

import type { ResourceDef } from "./types.js";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface Spec {
  kind: string;
  plural: string;
  namespaced: boolean;
  short?: string[];
  categories?: string[];
  subresources?: string[];
  verbs?: string[];
}

function group(group: string, version: string, pkg: string, specs: Spec[]): ResourceDef[] {
  return specs.map((s) => ({
    group,
    version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    shortNames: s.short ?? [],
    categories: s.categories ?? [],
    namespaced: s.namespaced,
    verbs: s.verbs ?? ALL_VERBS,
    subresources: s.subresources ?? [],
    definition: `${pkg}.${s.kind}`,
  }));
}

export const RESOURCES: readonly ResourceDef[] = [
  ...group("", "v1", "io.k8s.api.core.v1", [
    { kind: "Namespace", plural: "namespaces", namespaced: false, short: ["ns"], subresources: ["finalize", "status"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] },
    { kind: "Pod", plural: "pods", namespaced: true, short: ["po"], categories: ["all"], subresources: ["attach", "binding", "exec", "log", "portforward", "status"] },
    { kind: "Service", plural: "services", namespaced: true, short: ["svc"], categories: ["all"], subresources: ["status"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
    { kind: "Endpoints", plural: "endpoints", namespaced: true, short: ["ep"] },
    { kind: "ConfigMap", plural: "configmaps", namespaced: true, short: ["cm"] },
    { kind: "Secret", plural: "secrets", namespaced: true },
    { kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true, short: ["sa"], subresources: ["token"] },
    { kind: "Node", plural: "nodes", namespaced: false, short: ["no"], subresources: ["status"] },
    { kind: "Event", plural: "events", namespaced: true, short: ["ev"] },
    { kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false, short: ["pv"], subresources: ["status"] },
    { kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true, short: ["pvc"], subresources: ["status"] },
    { kind: "LimitRange", plural: "limitranges", namespaced: true, short: ["limits"] },
    { kind: "ResourceQuota", plural: "resourcequotas", namespaced: true, short: ["quota"], subresources: ["status"] },
  ]),
  ...group("apps", "v1", "io.k8s.api.apps.v1", [
    { kind: "Deployment", plural: "deployments", namespaced: true, short: ["deploy"], categories: ["all"], subresources: ["scale", "status"] },
    { kind: "ReplicaSet", plural: "replicasets", namespaced: true, short: ["rs"], categories: ["all"], subresources: ["scale", "status"] },
    { kind: "StatefulSet", plural: "statefulsets", namespaced: true, short: ["sts"], categories: ["all"], subresources: ["scale", "status"] },
    { kind: "DaemonSet", plural: "daemonsets", namespaced: true, short: ["ds"], categories: ["all"], subresources: ["status"] },
    { kind: "ControllerRevision", plural: "controllerrevisions", namespaced: true },
  ]),
  // Reviews: create-only questions answered on the spot (reviews.ts), never stored.
  ...group("authentication.k8s.io", "v1", "io.k8s.api.authentication.v1", [
    { kind: "SelfSubjectReview", plural: "selfsubjectreviews", namespaced: false, verbs: ["create"] },
    { kind: "TokenReview", plural: "tokenreviews", namespaced: false, verbs: ["create"] },
  ]),
  ...group("authorization.k8s.io", "v1", "io.k8s.api.authorization.v1", [
    { kind: "LocalSubjectAccessReview", plural: "localsubjectaccessreviews", namespaced: true, verbs: ["create"] },
    { kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"] },
    { kind: "SelfSubjectRulesReview", plural: "selfsubjectrulesreviews", namespaced: false, verbs: ["create"] },
    { kind: "SubjectAccessReview", plural: "subjectaccessreviews", namespaced: false, verbs: ["create"] },
  ]),
  ...group("batch", "v1", "io.k8s.api.batch.v1", [
    { kind: "Job", plural: "jobs", namespaced: true, categories: ["all"], subresources: ["status"] },
    { kind: "CronJob", plural: "cronjobs", namespaced: true, short: ["cj"], categories: ["all"], subresources: ["status"] },
  ]),
  ...group("coordination.k8s.io", "v1", "io.k8s.api.coordination.v1", [{ kind: "Lease", plural: "leases", namespaced: true }]),
  ...group("discovery.k8s.io", "v1", "io.k8s.api.discovery.v1", [{ kind: "EndpointSlice", plural: "endpointslices", namespaced: true }]),
  ...group("events.k8s.io", "v1", "io.k8s.api.events.v1", [{ kind: "Event", plural: "events", namespaced: true, short: ["ev"] }]),
  ...group("rbac.authorization.k8s.io", "v1", "io.k8s.api.rbac.v1", [
    { kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false },
    { kind: "ClusterRole", plural: "clusterroles", namespaced: false },
    { kind: "RoleBinding", plural: "rolebindings", namespaced: true },
    { kind: "Role", plural: "roles", namespaced: true },
  ]),
  ...group("storage.k8s.io", "v1", "io.k8s.api.storage.v1", [{ kind: "StorageClass", plural: "storageclasses", namespaced: false, short: ["sc"] }]),
  ...group("policy", "v1", "io.k8s.api.policy.v1", [
    { kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true, short: ["pdb"], subresources: ["status"] },
  ]),
];

/** Whether objects of the resource are kept in the store; create-only reviews are answered, never stored. */
export function isStored(r: Pick<ResourceDef, "verbs">): boolean {
  return r.verbs.includes("get");
}

export function apiVersionOf(r: Pick<ResourceDef, "group" | "version">): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Verbs of a subresource as Kubernetes advertises them in discovery. */
export function subresourceVerbs(sub: string): string[] {
  switch (sub) {
    case "binding":
    case "token":
      return ["create"];
    case "finalize":
      return ["update"];
    case "log":
      return ["get"];
    case "attach":
    case "exec":
    case "portforward":
      return ["create", "get"];
    default:
      return ["get", "patch", "update"];
  }
}

/** Kind served by a subresource (Scale for scale, Binding for binding, the parent kind otherwise). */
export function subresourceKind(r: ResourceDef, sub: string): { group: string; version: string; kind: string } {
  if (sub === "scale") return { group: "autoscaling", version: "v1", kind: "Scale" };
  if (sub === "binding") return { group: "", version: "v1", kind: "Binding" };
  if (sub === "token") return { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" };
  if (sub === "exec") return { group: "", version: "v1", kind: "PodExecOptions" };
  if (sub === "attach") return { group: "", version: "v1", kind: "PodAttachOptions" };
  if (sub === "portforward") return { group: "", version: "v1", kind: "PodPortForwardOptions" };
  return { group: r.group, version: r.version, kind: r.kind };
}

export interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceDef[];
}

/** Resources grouped by group/version, core first, in table order. */
export function groupVersions(resources: readonly ResourceDef[] = RESOURCES): GroupVersion[] {
  const out: GroupVersion[] = [];
  for (const r of resources) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (!gv) out.push((gv = { group: r.group, version: r.version, resources: [] }));
    gv.resources.push(r);
  }
  return out;
}
