// The kubelet: registration, node status, lease, and pods (pods/).
export { startKubelet, NODES, LEASES, type Kubelet, type KubeletOptions, type KubeletPodsOptions } from "./kubelet.js";
export type { ContainerHandle, PodLocator } from "./pods/index.js";
export { collectHostInfo, type HostInfo, type HostReaders } from "./host-info.js";
export { CONTROL_PLANE_ROLE_LABEL, type NodeIdentity, type NodeRole } from "./node-status.js";
export { NODE_LEASE_NAMESPACE, LEASE_DURATION_SECONDS, microTime } from "./lease.js";
