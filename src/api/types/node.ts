// Node: pod CIDRs, provider ID and taints (ValidateNode, ValidateNodeUpdate).

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual } from "../validation/field.js";
import { validateLabelName } from "../validation/labels.js";
import { isValidLabelValue } from "../validation/names.js";
import { isCIDR, isIPv4 } from "../validation/net.js";
import { TAINT_EFFECTS } from "./pod-validation.js";
import { arr, ensureObj, isObj, type Obj } from "./util.js";

export function nodeDefaults(obj: KubeObject): void {
  // podCIDR is the first of podCIDRs; clients may set either.
  const spec = ensureObj(obj, "spec");
  if (spec.podCIDR && !arr(spec.podCIDRs).length) spec.podCIDRs = [spec.podCIDR];
  if (!spec.podCIDR && arr(spec.podCIDRs).length) spec.podCIDR = spec.podCIDRs[0];
  // Allocatable defaults to capacity until the kubelet reports otherwise.
  const status = ensureObj(obj, "status");
  if (isObj(status.capacity) && !isObj(status.allocatable)) status.allocatable = { ...status.capacity };
}

export function validateTaints(taints: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const ip = `${path}[${i}]`;
    errs.push(...validateLabelName(t.key ?? "", `${ip}.key`));
    if (t.value) for (const m of isValidLabelValue(t.value)) errs.push(fieldInvalid(`${ip}.value`, t.value, m));
    if (!t.effect) errs.push(fieldRequired(`${ip}.effect`, ""));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(fieldNotSupported(`${ip}.effect`, t.effect, TAINT_EFFECTS));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push(fieldDuplicate(ip, `${t.key}:${t.effect}`));
    seen.add(k);
  });
  return errs;
}

export function validateNode(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const errs = validateTaints(arr(spec.taints), "spec.taints");
  const cidrs = arr<string>(spec.podCIDRs);
  cidrs.forEach((c, i) => {
    if (!isCIDR(c)) errs.push(fieldInvalid(`spec.podCIDRs[${i}]`, c, "must be a valid CIDR"));
  });
  if (cidrs.length > 2) errs.push(fieldInvalid("spec.podCIDRs", cidrs, "may specify no more than two CIDRs"));
  if (cidrs.length === 2 && cidrs.every((c) => isCIDR(c)) && isIPv4(cidrs[0].split("/")[0]) === isIPv4(cidrs[1].split("/")[0])) {
    errs.push(fieldInvalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"));
  }
  if (spec.podCIDR && !isCIDR(spec.podCIDR)) errs.push(fieldInvalid("spec.podCIDR", spec.podCIDR, "must be a valid CIDR"));
  return errs;
}

export function validateNodeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const o = isObj(old.spec) ? (old.spec as Obj) : {};
  const errs: FieldError[] = [];
  // Pod CIDRs and the provider ID can be set once, never changed.
  if (arr(o.podCIDRs).length && !deepEqual(arr(spec.podCIDRs), arr(o.podCIDRs))) {
    errs.push(fieldForbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o.providerID && spec.providerID !== o.providerID) errs.push(fieldForbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
  return errs;
}

export const nodeStrategy: TypeStrategy = { defaults: nodeDefaults, validate: validateNode, validateUpdate: validateNodeUpdate, tracksGeneration: false };
