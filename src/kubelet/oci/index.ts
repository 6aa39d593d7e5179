// Pod spec → OCI runtime inputs: config.json (buildOciSpec), argv (containerArgs), the process
// user, cgroup resources, and the container's overlay root filesystem.
export { containerArgs, type EnvInput } from "./args.js";
export { boundingCapabilities, containerCapabilities, DEFAULT_CAPABILITIES, CAPABILITY_NAMES } from "./capabilities.js";
export { listHostDevices } from "./devices.js";
export type { ImageConfig, ImageRecord } from "./image-record.js";
export { isMountPoint, mountsUnder, unmount } from "./mounts.js";
export { containerResources, milliCPUToQuota, milliCPUToShares, oomScoreAdj, podQOSClass, type QOSClass } from "./resources.js";
export { mountRootfs, overlayOptions, unmountRootfs } from "./rootfs.js";
export {
  buildOciSpec,
  buildMounts,
  MASKED_PATHS,
  OCI_VERSION,
  READONLY_PATHS,
  type LinuxDevice,
  type OciMount,
  type OciSpecInput,
  type RuntimeMount,
} from "./spec.js";
export { parseGroup, parsePasswd, resolveProcessUser, resolveUser, userInputs, UserResolutionError, type ProcessUser } from "./user.js";
