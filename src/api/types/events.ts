// events.k8s.io/v1 Event: the strict, new-style validation. Field paths use the events.k8s.io/v1
// names (regarding, note, deprecatedSource...). core/v1 Events are in core-misc.ts.

import { fieldInvalid, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { validateImmutable } from "../validation/field.js";
import { isQualifiedName } from "../validation/names.js";
import { isObj, type Obj } from "./util.js";

export function validateEventsV1Event(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = obj.metadata?.namespace ?? "";
  const regarding = isObj(obj.regarding) ? (obj.regarding as Obj) : {};
  const rns = String(regarding.namespace ?? "");
  if (rns ? rns !== ns : ns !== "default" && ns !== "kube-system") errs.push(fieldInvalid("regarding.namespace", rns, "does not match event.namespace"));
  const series = obj.series;
  if (isObj(series)) {
    if (typeof series.count !== "number" || series.count < 2) errs.push(fieldInvalid("series.count", "", "should be at least 2"));
    if (!series.lastObservedTime) errs.push(fieldRequired("series.lastObservedTime", ""));
  }
  if (!obj.eventTime) errs.push(fieldRequired("eventTime", ""));
  if (obj.type !== "Normal" && obj.type !== "Warning") errs.push(fieldInvalid("type", "", `has invalid value: ${obj.type ?? ""}`));
  if (obj.deprecatedFirstTimestamp) errs.push(fieldInvalid("deprecatedFirstTimestamp", "", "needs to be unset"));
  if (obj.deprecatedLastTimestamp) errs.push(fieldInvalid("deprecatedLastTimestamp", "", "needs to be unset"));
  if (obj.deprecatedCount) errs.push(fieldInvalid("deprecatedCount", "", "needs to be unset"));
  const src = obj.deprecatedSource as Obj | undefined;
  if (isObj(src) && (src.component || src.host)) errs.push(fieldInvalid("deprecatedSource", "", "needs to be unset"));
  const rc = String(obj.reportingController ?? "");
  if (!rc) errs.push(fieldRequired("reportingController", ""));
  for (const m of isQualifiedName(rc)) errs.push(fieldInvalid("reportingController", rc, m));
  if (!obj.reportingInstance) errs.push(fieldRequired("reportingInstance", ""));
  if (!obj.action) errs.push(fieldRequired("action", ""));
  if (!obj.reason) errs.push(fieldRequired("reason", ""));
  for (const [f, max] of [["reportingInstance", 128], ["action", 128], ["reason", 128], ["note", 1024]] as const) {
    if (String(obj[f] ?? "").length > max) errs.push(fieldInvalid(f, "", `can have at most ${max} characters`));
  }
  return errs;
}

// Everything but the series (and metadata) is fixed once an event is recorded.
const IMMUTABLE = [
  "regarding", "reason", "note", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount",
  "type", "action", "related", "reportingController", "reportingInstance", "eventTime",
];

export const eventsV1EventStrategy: TypeStrategy = {
  validate: validateEventsV1Event,
  validateUpdate: (obj, old) => IMMUTABLE.flatMap((f) => validateImmutable(obj[f], old[f], f)),
  tracksGeneration: false,
};
