// storage.k8s.io/v1 StorageClass.

import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, fieldTooLong, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual, validateImmutable } from "../validation/field.js";
import { validateLabelName } from "../validation/labels.js";
import { isQualifiedName } from "../validation/names.js";
import { arr, dflt, isObj } from "./util.js";

const RECLAIM = ["Delete", "Retain"];
const BINDING_MODES = ["Immediate", "WaitForFirstConsumer"];
const MAX_PARAMETERS = 512;
const MAX_PARAMETER_SIZE = 256 * 1024;

export function storageClassDefaults(obj: KubeObject): void {
  dflt(obj, "reclaimPolicy", "Delete");
  dflt(obj, "volumeBindingMode", "Immediate");
}

export function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const prov = String(obj.provisioner ?? "");
  if (!prov) errs.push(fieldRequired("provisioner", ""));
  else for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldInvalid("provisioner", prov.toLowerCase(), m));
  const params = isObj(obj.parameters) ? (obj.parameters as Record<string, string>) : {};
  if (Object.keys(params).length > MAX_PARAMETERS) errs.push(fieldTooLong("parameters", "Provisioner Parameters exceeded max allowed", MAX_PARAMETERS));
  else {
    let size = 0;
    for (const [k, v] of Object.entries(params)) {
      if (k.length < 1) errs.push(fieldInvalid("parameters", k, "field can not be empty."));
      size += k.length + String(v).length;
    }
    if (size > MAX_PARAMETER_SIZE) errs.push(fieldTooLong("parameters", "", MAX_PARAMETER_SIZE));
  }
  if (obj.reclaimPolicy && !RECLAIM.includes(String(obj.reclaimPolicy))) errs.push(fieldNotSupported("reclaimPolicy", obj.reclaimPolicy, RECLAIM));
  if (obj.volumeBindingMode == null) errs.push(fieldRequired("volumeBindingMode", ""));
  else if (!BINDING_MODES.includes(String(obj.volumeBindingMode))) errs.push(fieldNotSupported("volumeBindingMode", obj.volumeBindingMode, BINDING_MODES));
  arr(obj.allowedTopologies).forEach((t, i) => {
    const exprs = arr(t.matchLabelExpressions);
    if (exprs.length === 0) errs.push(fieldRequired(`allowedTopologies[${i}].matchLabelExpressions`, "must have at least one label expression"));
    exprs.forEach((e, j) => {
      const p = `allowedTopologies[${i}].matchLabelExpressions[${j}]`;
      errs.push(...validateLabelName(e.key ?? "", `${p}.key`));
      if (arr(e.values).length === 0) errs.push(fieldRequired(`${p}.values`, "must specify as least one value"));
    });
  });
  return errs;
}

export function validateStorageClassUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(fieldForbidden("parameters", "updates to parameters are forbidden."));
  if (obj.provisioner !== old.provisioner) errs.push(fieldForbidden("provisioner", "updates to provisioner are forbidden."));
  if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(fieldForbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
  errs.push(...validateImmutable(obj.volumeBindingMode, old.volumeBindingMode, "volumeBindingMode"));
  return errs;
}

export const storageClassStrategy: TypeStrategy = {
  defaults: storageClassDefaults,
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
  tracksGeneration: false,
};
