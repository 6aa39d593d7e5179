// apps/v1 workloads: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision
// (pkg/apis/apps/v1/defaults.go and pkg/apis/apps/validation).

import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import {
  deepEqual,
  intOrPercentValue,
  isNotMoreThan100Percent,
  validateImmutable,
  validateNonnegative,
  validatePositiveIntOrPercent,
} from "../validation/field.js";
import { selectorIsEmpty, selectorMatches, validateLabelSelector, type LabelSelector } from "../validation/labels.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { pvcSpecDefaults, validatePVCSpec } from "./persistent-volume.js";
import { podTemplateDefaults } from "./pod-defaults.js";
import { validatePodTemplate } from "./pod-validation.js";
import { arr, dflt, ensureObj, isObj, specOf, type Obj } from "./util.js";

const specView = (obj: KubeObject): Obj => (isObj(obj.spec) ? (obj.spec as Obj) : {});

/**
 * Selector and template checks shared by every replicated workload: a non-empty selector that
 * matches the template's labels, a valid template whose pods restart Always, and no
 * activeDeadlineSeconds. `kind` is the lower-case word Kubernetes puts in its messages.
 */
export function validateSelectorAndTemplate(spec: Obj, kind: string, kindTitle: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector as LabelSelector | undefined;
  if (!isObj(sel)) errs.push(fieldRequired("spec.selector", ""));
  else {
    errs.push(...validateLabelSelector(sel, "spec.selector"));
    if (selectorIsEmpty(sel)) errs.push(fieldInvalid("spec.selector", sel, `empty selector is invalid for ${kind}`));
  }
  const template = spec.template;
  if (!isObj(template)) {
    errs.push(fieldRequired("spec.template", ""));
    return errs;
  }
  const labels = isObj(template.metadata) ? template.metadata.labels : undefined;
  if (isObj(sel) && !selectorIsEmpty(sel) && !selectorMatches(sel, labels)) {
    errs.push(fieldInvalid("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`"));
  }
  errs.push(...validatePodTemplate(template, "spec.template"));
  const rp = template.spec?.restartPolicy;
  if (rp !== "Always") errs.push(fieldNotSupported("spec.template.spec.restartPolicy", rp ?? "", ["Always"]));
  if (template.spec?.activeDeadlineSeconds !== undefined && template.spec?.activeDeadlineSeconds !== null) {
    errs.push(fieldForbidden("spec.template.spec.activeDeadlineSeconds", `activeDeadlineSeconds in ${kindTitle} is not Supported`));
  }
  return errs;
}

const selectorImmutable = (obj: KubeObject, old: KubeObject): FieldError[] => validateImmutable(specView(obj).selector, specView(old).selector, "spec.selector");

// --- Deployment --------------------------------------------------------------------------------

export function deploymentDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "replicas", 1);
  const strategy = ensureObj(spec, "strategy");
  dflt(strategy, "type", "RollingUpdate");
  if (strategy.type === "RollingUpdate") {
    const ru = ensureObj(strategy, "rollingUpdate");
    dflt(ru, "maxUnavailable", "25%");
    dflt(ru, "maxSurge", "25%");
  }
  dflt(spec, "revisionHistoryLimit", 10);
  dflt(spec, "progressDeadlineSeconds", 600);
  podTemplateDefaults(spec.template);
}

function validateDeploymentStrategy(strategy: Obj | undefined): FieldError[] {
  const s = strategy ?? {};
  const errs: FieldError[] = [];
  switch (s.type) {
    case "Recreate":
      if (s.rollingUpdate !== undefined && s.rollingUpdate !== null) errs.push(fieldForbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case "RollingUpdate": {
      const ru = s.rollingUpdate;
      if (!isObj(ru)) {
        errs.push(fieldRequired("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"));
        break;
      }
      const p = "spec.strategy.rollingUpdate";
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
      if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(fieldInvalid(`${p}.maxUnavailable`, ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      break;
    }
    default:
      errs.push(fieldNotSupported("spec.strategy", s, ["Recreate", "RollingUpdate"]));
  }
  return errs;
}

export function validateDeployment(obj: KubeObject): FieldError[] {
  const spec = specView(obj);
  const errs = [...validateNonnegative(spec.replicas, "spec.replicas"), ...validateSelectorAndTemplate(spec, "deployment", "Deployment")];
  errs.push(...validateDeploymentStrategy(isObj(spec.strategy) ? spec.strategy : undefined));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (typeof spec.progressDeadlineSeconds === "number") {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(fieldInvalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

export const deploymentStrategy: TypeStrategy = {
  defaults: deploymentDefaults,
  validate: validateDeployment,
  validateUpdate: selectorImmutable,
  tracksGeneration: true,
};

// --- ReplicaSet --------------------------------------------------------------------------------

export function replicaSetDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "replicas", 1);
  podTemplateDefaults(spec.template);
}

export function validateReplicaSet(obj: KubeObject): FieldError[] {
  const spec = specView(obj);
  return [
    ...validateNonnegative(spec.replicas, "spec.replicas"),
    ...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"),
    // Kubernetes reuses the Deployment wording for ReplicaSets' empty selectors.
    ...validateSelectorAndTemplate(spec, "deployment", "ReplicaSet"),
  ];
}

export const replicaSetStrategy: TypeStrategy = {
  defaults: replicaSetDefaults,
  validate: validateReplicaSet,
  validateUpdate: selectorImmutable,
  tracksGeneration: true,
};

// --- StatefulSet -------------------------------------------------------------------------------

export function statefulSetDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "podManagementPolicy", "OrderedReady");
  const us = ensureObj(spec, "updateStrategy");
  dflt(us, "type", "RollingUpdate");
  if (us.type === "RollingUpdate") dflt(ensureObj(us, "rollingUpdate"), "partition", 0);
  const retention = ensureObj(spec, "persistentVolumeClaimRetentionPolicy");
  dflt(retention, "whenDeleted", "Retain");
  dflt(retention, "whenScaled", "Retain");
  dflt(spec, "replicas", 1);
  dflt(spec, "revisionHistoryLimit", 10);
  podTemplateDefaults(spec.template);
  // Claim templates get the PersistentVolumeClaim defaults, status included.
  for (const t of arr(spec.volumeClaimTemplates)) {
    pvcSpecDefaults(ensureObj(t, "spec"));
    const st = ensureObj(t, "status");
    dflt(st, "phase", "Pending");
  }
}

const RETENTION = ["Delete", "Retain"];

export function validateStatefulSet(obj: KubeObject): FieldError[] {
  const spec = specView(obj);
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy) {
    case "OrderedReady":
    case "Parallel":
      break;
    case undefined:
    case "":
      errs.push(fieldRequired("spec.podManagementPolicy", ""));
      break;
    default:
      errs.push(fieldInvalid("spec.podManagementPolicy", spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = isObj(spec.updateStrategy) ? (spec.updateStrategy as Obj) : {};
  switch (us.type) {
    case "":
    case undefined:
      errs.push(fieldRequired("spec.updateStrategy", ""));
      break;
    case "OnDelete":
      if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) {
        errs.push(fieldInvalid("spec.updateStrategy.rollingUpdate", us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      }
      break;
    case "RollingUpdate":
      if (isObj(us.rollingUpdate)) {
        errs.push(...validateNonnegative(us.rollingUpdate.partition, "spec.updateStrategy.rollingUpdate.partition"));
        if (us.rollingUpdate.maxUnavailable !== undefined) {
          const p = "spec.updateStrategy.rollingUpdate.maxUnavailable";
          errs.push(...validatePositiveIntOrPercent(us.rollingUpdate.maxUnavailable, p));
          if (intOrPercentValue(us.rollingUpdate.maxUnavailable).value === 0) errs.push(fieldInvalid(p, us.rollingUpdate.maxUnavailable, "must be greater than 0"));
          errs.push(...isNotMoreThan100Percent(us.rollingUpdate.maxUnavailable, p));
        }
      }
      break;
    default:
      errs.push(fieldInvalid("spec.updateStrategy", us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const ret = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(ret)) {
    for (const f of ["whenDeleted", "whenScaled"]) {
      if (!RETENTION.includes(ret[f])) errs.push(fieldNotSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, ret[f] ?? "", RETENTION));
    }
  }
  errs.push(...validateNonnegative(spec.replicas, "spec.replicas"));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (isObj(spec.ordinals)) errs.push(...validateNonnegative(spec.ordinals.start, "spec.ordinals.start"));
  if (spec.serviceName) for (const m of nameIsDNSSubdomain(spec.serviceName, false)) errs.push(fieldInvalid("spec.serviceName", spec.serviceName, m));
  errs.push(...validateSelectorAndTemplate(spec, "statefulset", "StatefulSet"));
  arr(spec.volumeClaimTemplates).forEach((t, i) => {
    const p = `spec.volumeClaimTemplates[${i}]`;
    if (!t.metadata?.name) errs.push(fieldRequired(`${p}.metadata.name`, ""));
    errs.push(...validatePVCSpec(isObj(t.spec) ? t.spec : {}, `${p}.spec`));
  });
  return errs;
}

const STS_MUTABLE = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

export function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const strip = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !STS_MUTABLE.includes(k)));
  // Claim templates are compared without their (defaulted) status.
  const norm = (s: Obj) => {
    const r = strip(structuredClone(s));
    if (Array.isArray(r.volumeClaimTemplates)) r.volumeClaimTemplates = r.volumeClaimTemplates.map(({ status: _status, ...rest }: Obj) => rest);
    return r;
  };
  if (deepEqual(norm(specView(obj)), norm(specView(old)))) return [];
  return [
    fieldForbidden(
      "spec",
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

export const statefulSetStrategy: TypeStrategy = {
  defaults: statefulSetDefaults,
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  tracksGeneration: true,
};

// --- DaemonSet ---------------------------------------------------------------------------------

export function daemonSetDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  const us = ensureObj(spec, "updateStrategy");
  dflt(us, "type", "RollingUpdate");
  if (us.type === "RollingUpdate") {
    const ru = ensureObj(us, "rollingUpdate");
    dflt(ru, "maxUnavailable", 1);
    dflt(ru, "maxSurge", 0);
  }
  dflt(spec, "revisionHistoryLimit", 10);
  podTemplateDefaults(spec.template);
}

function validateDaemonSetUpdateStrategy(us: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const p = "spec.updateStrategy";
  switch (us.type) {
    case "OnDelete":
      break;
    case "RollingUpdate": {
      const ru = us.rollingUpdate;
      if (!isObj(ru)) {
        errs.push(fieldRequired(`${p}.rollingUpdate`, ""));
        break;
      }
      const rp = `${p}.rollingUpdate`;
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${rp}.maxUnavailable`));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${rp}.maxSurge`));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${rp}.maxUnavailable`));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, `${rp}.maxSurge`));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable).value !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge).value !== 0;
      if (hasUnavailable && hasSurge) errs.push(fieldInvalid(`${rp}.maxSurge`, ru.maxSurge, "may not be set when maxUnavailable is non-zero"));
      else if (!hasUnavailable && !hasSurge) errs.push(fieldRequired(`${rp}.maxUnavailable`, "cannot be 0 when maxSurge is 0"));
      break;
    }
    default:
      errs.push(fieldNotSupported(p, us, ["OnDelete", "RollingUpdate"]));
  }
  return errs;
}

export function validateDaemonSet(obj: KubeObject): FieldError[] {
  const spec = specView(obj);
  return [
    ...validateSelectorAndTemplate(spec, "daemonset", "DaemonSet"),
    ...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"),
    ...validateNonnegative(spec.templateGeneration, "spec.templateGeneration"),
    ...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"),
    ...validateDaemonSetUpdateStrategy(isObj(spec.updateStrategy) ? spec.updateStrategy : {}),
  ];
}

export const daemonSetStrategy: TypeStrategy = {
  defaults: daemonSetDefaults,
  validate: validateDaemonSet,
  validateUpdate: selectorImmutable,
  tracksGeneration: true,
};

// --- ControllerRevision ------------------------------------------------------------------------

export const controllerRevisionStrategy: TypeStrategy = {
  validate: (obj) => {
    const errs: FieldError[] = [];
    if (obj.data === undefined || obj.data === null) errs.push(fieldRequired("data", "data is mandatory"));
    errs.push(...validateNonnegative(obj.revision as number | undefined, "revision"));
    return errs;
  },
  validateUpdate: (obj, old) => validateImmutable(obj.data, old.data, "data"),
  tracksGeneration: false,
};
