// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding.
// Names of RBAC objects need only be path segments (e.g. "system:node" is fine).

import { fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual } from "../validation/field.js";
import { validateLabelSelector } from "../validation/labels.js";
import { nameIsDNSSubdomain, nameIsPathSegment } from "../validation/names.js";
import { arr, isObj, type Obj } from "./util.js";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

function validateRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(obj.rules).forEach((r, i) => {
    const p = `rules[${i}]`;
    if (arr(r.verbs).length === 0) errs.push(fieldRequired(`${p}.verbs`, "verbs must contain at least one value"));
    if (arr(r.nonResourceURLs).length > 0) {
      if (namespaced) errs.push(fieldInvalid(`${p}.nonResourceURLs`, r.nonResourceURLs, "namespaced rules cannot apply to non-resource URLs"));
      if (arr(r.apiGroups).length || arr(r.resources).length || arr(r.resourceNames).length) {
        errs.push(fieldInvalid(`${p}.nonResourceURLs`, r.nonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"));
      }
      return;
    }
    if (arr(r.apiGroups).length === 0) errs.push(fieldRequired(`${p}.apiGroups`, "resource rules must supply at least one api group"));
    if (arr(r.resources).length === 0) errs.push(fieldRequired(`${p}.resources`, "resource rules must supply at least one resource"));
  });
  return errs;
}

function validateAggregation(obj: KubeObject): FieldError[] {
  const rule = obj.aggregationRule;
  if (!isObj(rule)) return [];
  const sels = arr(rule.clusterRoleSelectors);
  const errs: FieldError[] = [];
  if (sels.length === 0) errs.push(fieldRequired("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
  sels.forEach((s, i) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  return errs;
}

function subjectDefaults(s: Obj): void {
  if (s.apiGroup) return;
  if (s.kind === "User" || s.kind === "Group") s.apiGroup = RBAC_GROUP;
  else if (s.kind === "ServiceAccount") s.apiGroup = "";
}

export function bindingDefaults(obj: KubeObject): void {
  if (isObj(obj.roleRef) && !obj.roleRef.apiGroup) (obj.roleRef as Obj).apiGroup = RBAC_GROUP;
  for (const s of arr(obj.subjects)) subjectDefaults(s);
}

function validateSubject(s: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(fieldRequired(`${path}.name`, ""));
  switch (s.kind) {
    case "ServiceAccount":
      if (s.name) for (const m of nameIsDNSSubdomain(s.name, false)) errs.push(fieldInvalid(`${path}.name`, s.name, m));
      if (s.apiGroup) errs.push(fieldNotSupported(`${path}.apiGroup`, s.apiGroup, [""]));
      if (!namespaced && !s.namespace) errs.push(fieldRequired(`${path}.namespace`, ""));
      break;
    case "User":
    case "Group":
      if (s.apiGroup !== RBAC_GROUP) errs.push(fieldNotSupported(`${path}.apiGroup`, s.apiGroup ?? "", [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldNotSupported(`${path}.kind`, s.kind ?? "", ["ServiceAccount", "User", "Group"]));
  }
  return errs;
}

function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = isObj(obj.roleRef) ? (obj.roleRef as Obj) : {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(fieldNotSupported("roleRef.apiGroup", ref.apiGroup ?? "", [RBAC_GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(ref.kind)) errs.push(fieldNotSupported("roleRef.kind", ref.kind ?? "", kinds));
  if (!ref.name) errs.push(fieldRequired("roleRef.name", ""));
  else for (const m of nameIsPathSegment(ref.name, false)) errs.push(fieldInvalid("roleRef.name", ref.name, m));
  arr(obj.subjects).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return errs;
}

const roleRefImmutable = (obj: KubeObject, old: KubeObject): FieldError[] =>
  deepEqual(obj.roleRef, old.roleRef) ? [] : [fieldInvalid("roleRef", obj.roleRef, "cannot change roleRef")];

export const roleStrategy: TypeStrategy = { validate: (o) => validateRules(o, true), tracksGeneration: false };
export const clusterRoleStrategy: TypeStrategy = {
  validate: (o) => [...validateRules(o, false), ...validateAggregation(o)],
  tracksGeneration: false,
};
export const roleBindingStrategy: TypeStrategy = {
  defaults: bindingDefaults,
  validate: (o) => validateBinding(o, true),
  validateUpdate: roleRefImmutable,
  tracksGeneration: false,
};
export const clusterRoleBindingStrategy: TypeStrategy = {
  defaults: bindingDefaults,
  validate: (o) => validateBinding(o, false),
  validateUpdate: roleRefImmutable,
  tracksGeneration: false,
};
