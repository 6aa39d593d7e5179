// Per-kind behaviour that the generic REST code consults: strategies (defaulting, validation),
// status resets on create, graceful deletion, namespace finalization, managedFields tracking.
// It composes the pure per-kind modules under src/api/ into one object the Registry can call.

import type { FieldError } from "../../api/errors.js";
import { gvkKey, type KubeObject, type ResourceDef, type TypeStrategy } from "../../api/registry/types.js";
import { RESOURCES } from "../../api/registry/resources.js";
import { nameValidatorFor, prepareForUpdate as prepareForUpdateOf, strategies } from "../../api/types/index.js";
import { admitPodServiceAccount } from "../../api/types/pod-serviceaccount.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../api/validation/index.js";
import { defaultManagerName, updateManagedFields } from "../../api/patch/index.js";
import { schemaOf } from "../../api/schema/index.js";

export interface TrackOptions {
  manager: string;
  operation: "Update" | "Apply";
  subresource?: string;
  now: string;
}

export interface ApiKnowledge {
  resource(group: string, version: string, plural: string): ResourceDef | undefined;
  strategy(key: string): TypeStrategy | undefined;
  /** `serviceAccount`: for a Pod, its ServiceAccount if it exists (admission reads it). */
  prepareForCreate(r: ResourceDef, obj: KubeObject, ctx?: { serviceAccount?: KubeObject }): void;
  prepareForUpdate(r: ResourceDef, next: KubeObject, current: KubeObject, subresource: string): void;
  prepareForDelete(r: ResourceDef, obj: KubeObject): void;
  validateMeta(r: ResourceDef, obj: KubeObject): FieldError[];
  validateMetaUpdate(r: ResourceDef, obj: KubeObject, old: KubeObject): FieldError[];
  trackManagedFields(r: ResourceDef, old: KubeObject | undefined, obj: KubeObject, opts: TrackOptions): void;
  defaultManager(userAgent: string): string;
  /** Grace period a delete request gets (0 = immediate). */
  gracePeriod(r: ResourceDef, obj: KubeObject, requested: number | undefined): number;
  /** Whether the object still waits for something beyond metadata.finalizers (namespace spec.finalizers). */
  waitsForFinalize(r: ResourceDef, obj: KubeObject): boolean;
  /** Whether an update that empties finalizers of a deleting object may remove it now. */
  finalizersDone(r: ResourceDef, obj: KubeObject): boolean;
}

/** Kinds whose status the server resets on create (their controllers own it). */
const RESET_STATUS_ON_CREATE = new Set([
  "v1/Service",
  "v1/ResourceQuota",
  "apps/v1/Deployment",
  "apps/v1/ReplicaSet",
  "apps/v1/StatefulSet",
  "apps/v1/DaemonSet",
  "batch/v1/Job",
  "batch/v1/CronJob",
  "policy/v1/PodDisruptionBudget",
]);

const isPod = (r: ResourceDef) => r.group === "" && r.kind === "Pod";
const isNamespace = (r: ResourceDef) => r.group === "" && r.kind === "Namespace";

export function createKnowledge(resources: readonly ResourceDef[] = RESOURCES): ApiKnowledge {
  const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));
  return {
    resource: (group, version, plural) => byPath.get(`${group}/${version}/${plural}`),
    strategy: (key) => strategies[key],

    prepareForCreate(r, obj, ctx) {
      const key = gvkKey(obj.apiVersion!, r.kind);
      if (RESET_STATUS_ON_CREATE.has(key)) obj.status = {};
      if (isPod(r)) {
        obj.status = { phase: "Pending" };
        admitPodServiceAccount(obj, Math.random, ctx?.serviceAccount); // the ServiceAccount admission plugin
      }
      if (r.kind === "PersistentVolumeClaim" && r.group === "") obj.status = { phase: "Pending" };
      if (r.kind === "PersistentVolume" && r.group === "") obj.status = { phase: "Pending" };
      if (isNamespace(r)) {
        obj.status = { phase: "Active" };
        const meta = obj.metadata!;
        meta.labels = { ...meta.labels, "kubernetes.io/metadata.name": meta.name ?? "" };
      }
    },

    prepareForUpdate(r, next, current, subresource) {
      if (subresource === "") prepareForUpdateOf[gvkKey(current.apiVersion!, r.kind)]?.(next, current);
      if (isNamespace(r)) {
        const meta = next.metadata!;
        meta.labels = { ...meta.labels, "kubernetes.io/metadata.name": meta.name ?? "" };
        if (subresource === "finalize") next.status = structuredClone(current.status);
        if (current.metadata?.deletionTimestamp) next.status = { ...(next.status as object), phase: "Terminating" };
      }
    },

    prepareForDelete(r, obj) {
      if (isNamespace(r)) obj.status = { ...(obj.status as object), phase: "Terminating" };
    },

    validateMeta: (r, obj) => validateObjectMeta(obj.metadata, { namespaced: r.namespaced, nameFn: nameValidatorFor(gvkKey(obj.apiVersion!, r.kind)) }),
    validateMetaUpdate: (_r, obj, old) => validateObjectMetaUpdate(obj.metadata, old.metadata),

    trackManagedFields(r, old, obj, opts) {
      const { managedFields } = updateManagedFields(old, obj, {
        manager: opts.manager,
        subresource: opts.subresource,
        apiVersion: obj.apiVersion!,
        now: new Date(opts.now),
        schema: schemaOf(r.definition),
        resetFields: opts.subresource === "status" ? [["spec"], ["metadata"]] : r.subresources.includes("status") ? [["status"]] : undefined,
      });
      const meta = (obj.metadata ??= {});
      if (managedFields?.length) meta.managedFields = managedFields;
      else delete meta.managedFields;
    },
    defaultManager: (ua) => defaultManagerName(ua),

    gracePeriod(r, obj, requested) {
      if (!isPod(r)) return 0;
      const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
      const phase = (obj.status as { phase?: string } | undefined)?.phase;
      // Unscheduled or finished pods have no kubelet to wait for.
      if (!spec?.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
      const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
      return Math.max(0, grace);
    },

    waitsForFinalize(r, obj) {
      if (!isNamespace(r)) return false;
      return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0;
    },

    finalizersDone(r, obj) {
      return !this.waitsForFinalize(r, obj);
    },
  };
}
