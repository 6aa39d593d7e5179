// The cluster configuration: the `--config` file (parse), the flags merged over it (resolve),
// cluster names and `--wait` durations. Pure logic: no Docker, no files.
export { parseClusterConfig, defaultClusterConfig, addressesOverlap, POD_SUBNET_PREFIX, SERVICE_SUBNET_PREFIX } from "./parse.js";
export { resolveClusterSpec } from "./resolve.js";
export { validateClusterName, nodeName, MAX_CLUSTER_NAME_LENGTH } from "./name.js";
export { parseDuration, formatDuration, MAX_DURATION_MS } from "./duration.js";
export { firstServiceIP } from "./cidr.js";
export { ConfigError, formatProblem, type ConfigProblem } from "./errors.js";
export {
  API_VERSION,
  KIND_API_VERSION,
  API_VERSIONS,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_POD_SUBNET,
  DEFAULT_SERVICE_SUBNET,
  DEFAULT_LISTEN_ADDRESS,
  DEFAULT_WAIT_MS,
  MAX_NODES,
  CONTROL_PLANE_TAINT,
} from "./types.js";
export type {
  ClusterConfig,
  ClusterFlags,
  ClusterSpec,
  NetworkingConfig,
  NodeConfig,
  NodeRole,
  NodeSpec,
  PortMapping,
  PortProtocol,
  Taint,
} from "./types.js";
