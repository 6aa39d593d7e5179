// batch/v1: Job and CronJob (pkg/apis/batch/v1/defaults.go, the Job strategy's selector
// generation, and pkg/apis/batch/validation).
//
// Job selector generation needs the Job's uid: the API server must set metadata.uid (and the
// final metadata.name) before calling `defaults` on create. When uid is absent nothing is generated
// and validation reports `metadata.uid: Required value`.

import { fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual, validateImmutable, validateNonnegative } from "../validation/field.js";
import { selectorMatches, validateAnnotations, validateLabels, validateLabelSelector, type LabelSelector } from "../validation/labels.js";
import { cronScheduleError, timeZoneError } from "./cron.js";
import { podTemplateDefaults } from "./pod-defaults.js";
import { validatePodTemplate } from "./pod-validation.js";
import { arr, dflt, ensureObj, isObj, specOf, type Obj } from "./util.js";

export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const LEGACY_JOB_NAME_LABEL = "job-name";

const MAX_INT32 = 2147483647;
const MAX_PARALLELISM_INDEXED = 100000;

/** SetDefaults_Job for the spec. CronJob job templates do not get these, only pod defaults. */
function jobSpecDefaults(spec: Obj): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  dflt(spec, "parallelism", 1);
  if (spec.backoffLimit == null) spec.backoffLimit = spec.backoffLimitPerIndex != null ? MAX_INT32 : 6;
  dflt(spec, "completionMode", "NonIndexed");
  dflt(spec, "suspend", false);
  dflt(spec, "podReplacementPolicy", isObj(spec.podFailurePolicy) ? "Failed" : "TerminatingOrFailed");
  for (const rule of arr(spec.podFailurePolicy?.rules)) for (const c of arr(rule.onPodConditions)) dflt(c, "status", "True");
  podTemplateDefaults(spec.template);
}

/**
 * Unless the user manages the selector, label the pod template with the Job's uid and name and
 * select on the uid, so a Job only ever owns its own pods (the Job strategy's generateSelector).
 */
export function generateJobSelector(obj: KubeObject): void {
  const spec = specOf(obj);
  const uid = obj.metadata?.uid;
  if (spec.manualSelector === true || !uid) return;
  const template = ensureObj(spec, "template");
  const meta = ensureObj(template, "metadata");
  const labels = ensureObj(meta, "labels");
  const name = obj.metadata?.name ?? "";
  // Labels the user already set are kept; a conflict is reported by validation.
  dflt(labels, LEGACY_JOB_NAME_LABEL, name);
  dflt(labels, JOB_NAME_LABEL, name);
  dflt(labels, LEGACY_CONTROLLER_UID_LABEL, uid);
  dflt(labels, CONTROLLER_UID_LABEL, uid);
  const sel = ensureObj(spec, "selector");
  const ml = ensureObj(sel, "matchLabels");
  dflt(ml, CONTROLLER_UID_LABEL, uid);
}

export function jobDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  generateJobSelector(obj);
  jobSpecDefaults(spec);
  // A Job without labels of its own carries its pods' labels.
  const tl = spec.template?.metadata?.labels;
  if (isObj(tl) && Object.keys(obj.metadata?.labels ?? {}).length === 0) {
    obj.metadata = obj.metadata ?? {};
    obj.metadata.labels = { ...(tl as Record<string, string>) };
  }
}

function validateHasLabel(labels: Record<string, string>, key: string, expected: string): FieldError[] {
  const p = `spec.template.metadata.labels[${key}]`;
  if (!(key in labels)) return [fieldRequired(p, expected)];
  return labels[key] === expected ? [] : [fieldInvalid(p, labels, `must be '${expected}'`)];
}

function validateGeneratedSelector(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  if (spec.manualSelector === true || !isObj(spec.selector)) return [];
  const uid = obj.metadata?.uid ?? "";
  const name = obj.metadata?.name ?? "";
  const errs: FieldError[] = [];
  if (!uid) errs.push(fieldRequired("metadata.uid", ""));
  const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
  errs.push(...validateHasLabel(labels, CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(labels, JOB_NAME_LABEL, name));
  if (!selectorMatches(spec.selector as LabelSelector, { [CONTROLLER_UID_LABEL]: uid, [JOB_NAME_LABEL]: name })) {
    errs.push(fieldInvalid("spec.selector", spec.selector, "`selector` not auto-generated"));
  }
  return errs;
}

const COMPLETION_MODES = ["NonIndexed", "Indexed"];
const POD_REPLACEMENT_POLICIES = ["TerminatingOrFailed", "Failed"];
const FAILURE_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"];

/** JobSpec checks shared by Jobs and CronJob templates; `path` is "spec" or "spec.jobTemplate.spec". */
function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"]) {
    errs.push(...validateNonnegative(spec[f], `${path}.${f}`));
  }
  if (spec.completionMode !== undefined && !COMPLETION_MODES.includes(spec.completionMode)) {
    errs.push(fieldNotSupported(`${path}.completionMode`, spec.completionMode, COMPLETION_MODES));
  }
  if (spec.completionMode === "Indexed") {
    if (spec.completions == null) errs.push(fieldRequired(`${path}.completions`, "when completion mode is Indexed"));
    if (typeof spec.parallelism === "number" && spec.parallelism > MAX_PARALLELISM_INDEXED) {
      errs.push(fieldInvalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
    }
  } else if (spec.backoffLimitPerIndex != null) {
    errs.push(fieldInvalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, "requires indexed completion mode"));
  }
  if (spec.podReplacementPolicy !== undefined) {
    if (!POD_REPLACEMENT_POLICIES.includes(spec.podReplacementPolicy)) {
      errs.push(fieldNotSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, POD_REPLACEMENT_POLICIES));
    } else if (isObj(spec.podFailurePolicy) && spec.podReplacementPolicy !== "Failed") {
      errs.push(fieldNotSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, ["Failed"]));
    }
  }
  arr(spec.podFailurePolicy?.rules).forEach((r, i) => {
    const rp = `${path}.podFailurePolicy.rules[${i}]`;
    if (!FAILURE_ACTIONS.includes(r.action)) errs.push(fieldNotSupported(`${rp}.action`, r.action ?? "", FAILURE_ACTIONS));
    const hasCodes = isObj(r.onExitCodes);
    const hasConds = arr(r.onPodConditions).length > 0;
    if (hasCodes && hasConds) errs.push(fieldInvalid(rp, r, "specifying both OnExitCodes and OnPodConditions is not supported"));
    else if (!hasCodes && !hasConds) errs.push(fieldInvalid(rp, r, "specifying one of OnExitCodes and OnPodConditions is required"));
  });
  errs.push(...validatePodTemplate(spec.template, `${path}.template`));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== "OnFailure" && rp !== "Never") {
    errs.push(fieldNotSupported(`${path}.template.spec.restartPolicy`, rp ?? "", ["OnFailure", "Never"]));
  } else if (isObj(spec.podFailurePolicy) && rp !== "Never") {
    errs.push(fieldInvalid(`${path}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

export function validateJob(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const errs = [...validateGeneratedSelector(obj), ...validateJobSpecCommon(spec, "spec")];
  if (!isObj(spec.selector)) errs.push(fieldRequired("spec.selector", ""));
  else {
    errs.push(...validateLabelSelector(spec.selector, "spec.selector"));
    const labels = spec.template?.metadata?.labels;
    if (!selectorMatches(spec.selector as LabelSelector, labels)) {
      errs.push(fieldInvalid("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`"));
    }
  }
  return errs;
}

// While a Job is suspended and has never started, its pods' scheduling directives may change
// (so queueing controllers can place it); the rest of the template is fixed.
function withoutSchedulingDirectives(template: unknown): unknown {
  if (!isObj(template)) return template;
  const t: Obj = structuredClone(template);
  if (isObj(t.metadata)) {
    delete t.metadata.labels;
    delete t.metadata.annotations;
  }
  if (isObj(t.spec)) for (const f of ["nodeSelector", "tolerations", "affinity", "schedulingGates"]) delete t.spec[f];
  return t;
}

export function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const o = isObj(old.spec) ? (old.spec as Obj) : {};
  const errs: FieldError[] = [];
  // Indexed Jobs may scale elastically: completions may change together with parallelism.
  const elastic = spec.completionMode === "Indexed" && o.completionMode === "Indexed" && spec.completions === spec.parallelism && o.completions === o.parallelism;
  if (!elastic) errs.push(...validateImmutable(spec.completions, o.completions, "spec.completions"));
  errs.push(...validateImmutable(spec.selector, o.selector, "spec.selector"));
  errs.push(...validateImmutable(spec.completionMode, o.completionMode, "spec.completionMode"));
  errs.push(...validateImmutable(spec.podFailurePolicy, o.podFailurePolicy, "spec.podFailurePolicy"));
  errs.push(...validateImmutable(spec.backoffLimitPerIndex, o.backoffLimitPerIndex, "spec.backoffLimitPerIndex"));
  const mutableScheduling = o.suspend === true && !(old.status as Obj | undefined)?.startTime;
  if (mutableScheduling) {
    if (!deepEqual(withoutSchedulingDirectives(spec.template), withoutSchedulingDirectives(o.template))) {
      errs.push(fieldInvalid("spec.template", spec.template, "field is immutable"));
    }
  } else {
    errs.push(...validateImmutable(spec.template, o.template, "spec.template"));
  }
  return errs;
}

export const jobStrategy: TypeStrategy = { defaults: jobDefaults, validate: validateJob, validateUpdate: validateJobUpdate, tracksGeneration: true };

// --- CronJob -----------------------------------------------------------------------------------

const CONCURRENCY = ["Allow", "Forbid", "Replace"];

export function cronJobDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "concurrencyPolicy", "Allow");
  dflt(spec, "suspend", false);
  dflt(spec, "successfulJobsHistoryLimit", 3);
  dflt(spec, "failedJobsHistoryLimit", 1);
  const jt = spec.jobTemplate;
  if (isObj(jt) && isObj(jt.spec)) podTemplateDefaults(jt.spec.template);
}

// Kubernetes grandfathers TZ= schedules stored before 1.25; no such objects exist here, so TZ= in
// a schedule is always refused in favour of spec.timeZone.
function validateCronJobSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = spec.schedule;
  if (!schedule) errs.push(fieldRequired("spec.schedule", ""));
  else {
    const msg = cronScheduleError(String(schedule));
    if (msg) errs.push(fieldInvalid("spec.schedule", schedule, msg));
    if (String(schedule).includes("TZ")) errs.push(fieldInvalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  if (spec.timeZone != null) {
    const msg = timeZoneError(String(spec.timeZone));
    if (msg) errs.push(fieldInvalid("spec.timeZone", spec.timeZone, msg));
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds"));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit"));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, "spec.failedJobsHistoryLimit"));
  if (!spec.concurrencyPolicy) errs.push(fieldRequired("spec.concurrencyPolicy", ""));
  else if (!CONCURRENCY.includes(spec.concurrencyPolicy)) errs.push(fieldNotSupported("spec.concurrencyPolicy", spec.concurrencyPolicy, CONCURRENCY));
  const jt = isObj(spec.jobTemplate) ? (spec.jobTemplate as Obj) : {};
  const jmeta = isObj(jt.metadata) ? (jt.metadata as Obj) : {};
  errs.push(...validateLabels(jmeta.labels, "spec.jobTemplate.metadata.labels"));
  errs.push(...validateAnnotations(jmeta.annotations, "spec.jobTemplate.metadata.annotations"));
  const js = isObj(jt.spec) ? (jt.spec as Obj) : {};
  errs.push(...validateJobSpecCommon(js, "spec.jobTemplate.spec"));
  if (js.selector != null) errs.push(fieldInvalid("spec.jobTemplate.spec.selector", js.selector, "`selector` will be auto-generated"));
  if (js.manualSelector === true) errs.push(fieldNotSupported("spec.jobTemplate.spec.manualSelector", js.manualSelector, ["nil", "false"]));
  return errs;
}

export function validateCronJob(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? "";
  // The controller appends an 11-character suffix to make Job names, which must stay <= 63.
  if (name.length > 52) errs.push(fieldInvalid("metadata.name", name, "must be no more than 52 characters"));
  errs.push(...validateCronJobSpec(isObj(obj.spec) ? (obj.spec as Obj) : {}));
  return errs;
}

export const cronJobStrategy: TypeStrategy = { defaults: cronJobDefaults, validate: validateCronJob, tracksGeneration: true };

