// PersistentVolume and PersistentVolumeClaim (core/v1): access modes, capacity/requests, one
// volume source, and what may change after creation.

import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual, validateImmutable } from "../validation/field.js";
import { validateLabelSelector } from "../validation/labels.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "../validation/quantity.js";
import { describeDiff } from "./pod-update.js";
import { dflt, ensureObj, isObj, specOf, arr, type Obj } from "./util.js";

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const VOLUME_MODES = ["Block", "Filesystem"];
const RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"];
const PV_SOURCES = [
  "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "iscsi", "cinder", "cephfs", "fc",
  "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
  "scaleIO", "local", "storageos", "csi",
];

function validateAccessModes(modes: string[], path: string, emptyDetail: string): FieldError[] {
  const errs: FieldError[] = [];
  if (modes.length === 0) errs.push(fieldRequired(path, emptyDetail));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(fieldNotSupported(path, m, ACCESS_MODES));
  if (modes.includes("ReadWriteOncePod") && modes.length > 1) errs.push(fieldForbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return errs;
}

function validatePositiveQuantity(q: unknown, path: string): FieldError[] {
  const v = parseQuantity(q);
  if (v === undefined) return [fieldInvalid(path, q, QUANTITY_FORMAT_ERROR)];
  return v <= 0 ? [fieldInvalid(path, String(q), "must be greater than zero")] : [];
}

function validateClassName(name: unknown, path: string): FieldError[] {
  if (!name) return [];
  return nameIsDNSSubdomain(String(name), false).map((m) => fieldInvalid(path, name, m));
}

// --- PersistentVolume --------------------------------------------------------------------------

export function pvDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "persistentVolumeReclaimPolicy", "Retain");
  dflt(spec, "volumeMode", "Filesystem");
  const status = ensureObj(obj, "status");
  if (!status.phase) status.phase = "Pending";
}

export function validatePV(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const errs = validateAccessModes(arr<string>(spec.accessModes), "spec.accessModes", "");
  const cap = isObj(spec.capacity) ? (spec.capacity as Obj) : {};
  if (Object.keys(cap).length === 0) errs.push(fieldRequired("spec.capacity", ""));
  if (!("storage" in cap) || Object.keys(cap).length > 1) errs.push(fieldNotSupported("spec.capacity", cap, ["storage"]));
  for (const [k, q] of Object.entries(cap)) errs.push(...validatePositiveQuantity(q, `spec.capacity[${k}]`));
  errs.push(...validateClassName(spec.storageClassName, "spec.storageClassName"));
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(fieldNotSupported("spec.volumeMode", spec.volumeMode, VOLUME_MODES));
  if (spec.persistentVolumeReclaimPolicy && !RECLAIM_POLICIES.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(fieldNotSupported("spec.persistentVolumeReclaimPolicy", spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES));
  }
  const sources = PV_SOURCES.filter((s) => isObj(spec[s]));
  if (sources.length === 0) errs.push(fieldRequired("spec", "must specify a volume type"));
  for (const extra of sources.slice(1)) errs.push(fieldForbidden(`spec.${extra}`, "may not specify more than 1 volume type"));
  if (isObj(spec.hostPath) && !spec.hostPath.path) errs.push(fieldRequired("spec.hostPath.path", ""));
  if (isObj(spec.local)) {
    if (!spec.local.path) errs.push(fieldRequired("spec.local.path", ""));
    if (!isObj(spec.nodeAffinity)) errs.push(fieldRequired("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  if (isObj(spec.nfs)) {
    if (!spec.nfs.server) errs.push(fieldRequired("spec.nfs.server", ""));
    if (!spec.nfs.path) errs.push(fieldRequired("spec.nfs.path", ""));
  }
  if (isObj(spec.csi)) {
    if (!spec.csi.driver) errs.push(fieldRequired("spec.csi.driver", ""));
    if (!spec.csi.volumeHandle) errs.push(fieldRequired("spec.csi.volumeHandle", ""));
  }
  return errs;
}

export function validatePVUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const o = isObj(old.spec) ? (old.spec as Obj) : {};
  const errs: FieldError[] = [];
  const pick = (s: Obj) => Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  if (!deepEqual(pick(spec), pick(o))) {
    errs.push(fieldForbidden("spec.persistentvolumesource", `spec.persistentvolumesource is immutable after creation\n${describeDiff(pick(o), pick(spec), "spec").join("\n")}`));
  }
  errs.push(...validateImmutable(spec.volumeMode, o.volumeMode, "volumeMode"));
  if (o.nodeAffinity !== undefined) errs.push(...validateImmutable(spec.nodeAffinity, o.nodeAffinity, "nodeAffinity"));
  return errs;
}

export const pvStrategy: TypeStrategy = { defaults: pvDefaults, validate: validatePV, validateUpdate: validatePVUpdate, tracksGeneration: false };

// --- PersistentVolumeClaim ---------------------------------------------------------------------

export function pvcSpecDefaults(spec: Obj): void {
  dflt(spec, "volumeMode", "Filesystem");
}

export function pvcDefaults(obj: KubeObject): void {
  pvcSpecDefaults(specOf(obj));
  const status = ensureObj(obj, "status");
  if (!status.phase) status.phase = "Pending";
}

/** A claim spec at `path` ("spec", or "spec.volumeClaimTemplates[0].spec"). */
export function validatePVCSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateAccessModes(arr<string>(spec.accessModes), `${path}.accessModes`, "at least 1 access mode is required");
  errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined || storage === null) errs.push(fieldRequired(`${path}.resources[storage]`, ""));
  else errs.push(...validatePositiveQuantity(storage, `${path}.resources[storage]`));
  errs.push(...validateClassName(spec.storageClassName, `${path}.storageClassName`));
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(fieldNotSupported(`${path}.volumeMode`, spec.volumeMode, VOLUME_MODES));
  return errs;
}

export function validatePVC(obj: KubeObject): FieldError[] {
  return validatePVCSpec(isObj(obj.spec) ? (obj.spec as Obj) : {}, "spec");
}

export function validatePVCUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec: Obj = structuredClone(isObj(obj.spec) ? obj.spec : {});
  const o: Obj = structuredClone(isObj(old.spec) ? old.spec : {});
  const errs: FieldError[] = [];
  // The binder sets volumeName once; a bound claim may grow its storage request.
  if (!o.volumeName) o.volumeName = spec.volumeName;
  const bound = (old.status as Obj | undefined)?.phase === "Bound";
  const newSize = parseQuantity(spec.resources?.requests?.storage);
  const oldSize = parseQuantity(o.resources?.requests?.storage);
  if (bound && isObj(spec.resources?.requests)) spec.resources.requests.storage = o.resources?.requests?.storage;
  // The class may be set once on a claim that had none (it was picked by the default class).
  if (!o.storageClassName && spec.storageClassName) o.storageClassName = spec.storageClassName;
  o.volumeAttributesClassName = spec.volumeAttributesClassName;
  if (!deepEqual(spec, o)) {
    errs.push(
      fieldForbidden(
        "spec",
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${describeDiff(o, spec, "spec").join("\n")}`,
      ),
    );
  }
  if (newSize !== undefined && oldSize !== undefined && newSize < oldSize) errs.push(fieldForbidden("spec.resources.requests.storage", "field can not be less than previous value"));
  return errs;
}

export const pvcStrategy: TypeStrategy = { defaults: pvcDefaults, validate: validatePVC, validateUpdate: validatePVCUpdate, tracksGeneration: false };
