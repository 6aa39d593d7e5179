// The Pod strategy.

import type { TypeStrategy } from "../registry/types.js";
import { podDefaults } from "./pod-defaults.js";
import { validatePodUpdate } from "./pod-update.js";
import { validatePod } from "./pod-validation.js";
import type { Obj } from "./util.js";

export const podStrategy: TypeStrategy = {
  defaults: (obj) => podDefaults(obj as Obj),
  validate: validatePod,
  validateUpdate: validatePodUpdate,
  // Kubernetes before 1.34 leaves metadata.generation unset on Pods (their spec barely changes).
  tracksGeneration: false,
};
