// coordination.k8s.io/v1 Lease.

import { fieldForbidden, fieldInvalid, type FieldError } from "../errors.js";
import type { TypeStrategy } from "../registry/types.js";
import { isObj, type Obj } from "./util.js";

export const leaseStrategy: TypeStrategy = {
  validate: (obj) => {
    const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
    const errs: FieldError[] = [];
    if (typeof spec.leaseDurationSeconds === "number" && spec.leaseDurationSeconds <= 0) {
      errs.push(fieldInvalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
    }
    if (typeof spec.leaseTransitions === "number" && spec.leaseTransitions < 0) {
      errs.push(fieldInvalid("spec.leaseTransitions", spec.leaseTransitions, "must be greater than or equal to 0"));
    }
    if (spec.preferredHolder && !spec.strategy) errs.push(fieldForbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
    return errs;
  },
  tracksGeneration: false,
};
