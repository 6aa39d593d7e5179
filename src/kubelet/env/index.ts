// Pod spec → container environment: env/envFrom/valueFrom resolution and $(VAR) expansion.
export { expandVars, lookupIn, type Lookup } from "./expand.js";
export { formatMap, podFieldValue, resourceFieldValue, type Allocatable, type FieldContext } from "./fields.js";
export {
  ContainerConfigError,
  DEFAULT_PATH,
  finalEnv,
  findContainer,
  isEnvVarName,
  mergeEnv,
  resolveContainerEnv,
  resolveEnv,
  type EnvContext,
} from "./resolve.js";
export { serviceEnv, serviceEnvFor, serviceVars } from "./service-env.js";
