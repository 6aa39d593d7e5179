// The kubelet's pod lifecycle: pods as runc containers (see manager.ts and worker.ts).
export { PodManager, type ContainerHandle, type PodLocator, type PodManagerOptions } from "./manager.js";
export type { PodRuntimeDeps, ImageRecord, PodNetworkResult } from "./deps.js";
export { nodeRuntimeDeps } from "./real-deps.js";
export { podQosClass } from "./qos.js";
export { computePodStatus, podPhase } from "./status.js";
