// Kubeconfig files: building an entry with embedded credentials, and merging it into (or removing
// it from) a user's kubeconfig safely under a lock.
export { buildKubeconfig, type KubeconfigParams } from "./build.js";
export { parseKubeconfig, readKubeconfig, stringifyKubeconfig, writeKubeconfig } from "./file.js";
export { mergeEntries, removeEntries, type MergeOptions } from "./merge.js";
export { mergeKubeconfig, removeFromKubeconfig } from "./update.js";
export { withFileLock, type LockOptions } from "./lock.js";
export { emptyKubeconfig } from "./types.js";
export type { Kubeconfig, NamedCluster, NamedUser, NamedContext, ClusterInfo, UserInfo, ContextInfo } from "./types.js";
