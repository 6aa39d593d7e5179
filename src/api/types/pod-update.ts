// What a Pod update may change: container images, a shorter activeDeadlineSeconds, added
// tolerations, removed scheduling gates, and terminationGracePeriodSeconds from negative to 1.
// Everything else in the spec is fixed once the Pod exists (ValidatePodUpdate).

import { fieldForbidden, fieldInvalid, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { deepEqual } from "../validation/field.js";
import { inclusiveRangeError } from "../validation/names.js";
import { arr, isObj, type Obj } from "./util.js";

const MAX_INT32 = 2147483647;

export const POD_UPDATABLE_FIELDS =
  "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** A short description of where two JSON values differ, one line per changed path. */
export function describeDiff(oldV: unknown, newV: unknown, path: string, out: string[] = [], limit = 20): string[] {
  if (out.length >= limit || deepEqual(oldV, newV)) return out;
  if (isObj(oldV) && isObj(newV)) {
    for (const k of new Set([...Object.keys(oldV), ...Object.keys(newV)])) describeDiff(oldV[k], newV[k], `${path}.${k}`, out, limit);
  } else if (Array.isArray(oldV) && Array.isArray(newV) && oldV.length === newV.length) {
    oldV.forEach((v, i) => describeDiff(v, newV[i], `${path}[${i}]`, out, limit));
  } else {
    out.push(`  ${path}: ${JSON.stringify(oldV) ?? "<unset>"} -> ${JSON.stringify(newV) ?? "<unset>"}`);
  }
  return out;
}

function validateContainerUpdates(newC: Obj[], oldC: Obj[], path: string): { errs: FieldError[]; stop: boolean } {
  if (newC.length !== oldC.length) return { errs: [fieldForbidden(path, "pod updates may not add or remove containers")], stop: true };
  const errs: FieldError[] = [];
  newC.forEach((c, i) => {
    if (!c.image) errs.push(fieldRequired(`${path}[${i}].image`, ""));
  });
  return { errs, stop: false };
}

// Existing tolerations must stay; only their tolerationSeconds may shrink (NoExecute eviction).
function validateOnlyAddedTolerations(newT: Obj[], oldT: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const o of oldT) {
    const found = newT.some((n) => {
      const { tolerationSeconds: ns, ...nRest } = n;
      const { tolerationSeconds: os, ...oRest } = o;
      if (!deepEqual(nRest, oRest)) return false;
      if (os === undefined || os === null) return ns === undefined || ns === null;
      return typeof ns === "number" && ns <= os;
    });
    if (!found) {
      errs.push(fieldForbidden(path, "existing toleration can not be modified except its tolerationSeconds"));
      break;
    }
  }
  return errs;
}

export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const ns = isObj(pod.spec) ? (pod.spec as Obj) : {};
  const os = isObj(old.spec) ? (old.spec as Obj) : {};
  const errs: FieldError[] = [];
  for (const f of ["containers", "initContainers"]) {
    const r = validateContainerUpdates(arr(ns[f]), arr(os[f]), `spec.${f}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = ns.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (typeof ads !== "number" || ads < 0 || ads > MAX_INT32) return [...errs, fieldInvalid("spec.activeDeadlineSeconds", ads, inclusiveRangeError(0, MAX_INT32))];
    if (typeof os.activeDeadlineSeconds === "number" && os.activeDeadlineSeconds < ads) {
      return [...errs, fieldInvalid("spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value")];
    }
  } else if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null) {
    errs.push(fieldInvalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
  }
  errs.push(...validateOnlyAddedTolerations(arr(ns.tolerations), arr(os.tolerations), "spec.tolerations"));

  // Scheduling gates may only be removed.
  const oldGates = new Set(arr(os.schedulingGates).map((g) => g.name));
  if (arr(ns.schedulingGates).some((g) => !oldGates.has(g.name))) errs.push(fieldForbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate"));

  // Compare the rest of the spec with the allowed fields taken from the old spec.
  const munged: Obj = structuredClone(ns);
  for (const f of ["containers", "initContainers"]) {
    if (Array.isArray(munged[f])) munged[f] = arr(munged[f]).map((c, i) => ({ ...c, image: arr(os[f])[i]?.image }));
  }
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.tolerations = os.tolerations;
  munged.schedulingGates = os.schedulingGates;
  const oldGrace = os.terminationGracePeriodSeconds;
  if (typeof oldGrace === "number" && oldGrace < 0 && ns.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!deepEqual(munged, os)) {
    const diff = describeDiff(os, munged, "spec").join("\n");
    errs.push(fieldForbidden("spec", `pod updates may not change fields other than ${POD_UPDATABLE_FIELDS}\n${diff}`));
  }
  return errs;
}
