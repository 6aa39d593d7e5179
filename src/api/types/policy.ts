// policy/v1 PodDisruptionBudget.

import { fieldInvalid, fieldNotSupported, type FieldError } from "../errors.js";
import type { TypeStrategy } from "../registry/types.js";
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from "../validation/field.js";
import { validateLabelSelector } from "../validation/labels.js";
import { isObj, type Obj } from "./util.js";

const EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

export const podDisruptionBudgetStrategy: TypeStrategy = {
  validate: (obj) => {
    const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
    const errs: FieldError[] = [];
    if (spec.minAvailable != null && spec.maxUnavailable != null) errs.push(fieldInvalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
    for (const f of ["minAvailable", "maxUnavailable"]) {
      if (spec[f] == null) continue;
      errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`));
      errs.push(...isNotMoreThan100Percent(spec[f], `spec.${f}`));
    }
    errs.push(...validateLabelSelector(spec.selector, "spec.selector"));
    if (spec.unhealthyPodEvictionPolicy != null && !EVICTION_POLICIES.includes(spec.unhealthyPodEvictionPolicy)) {
      errs.push(fieldNotSupported("spec.unhealthyPodEvictionPolicy", spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
    }
    return errs;
  },
  tracksGeneration: true,
};
