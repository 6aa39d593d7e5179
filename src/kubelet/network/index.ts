// The pod network of a node: bridge, per-pod namespaces and veths, routes between nodes, NAT.
export { PodNetwork, type PodNetworkResult, type PodNetworkOptions, type Exec } from "./pod-network.js";
export { NodeRoutesWatcher, nodeRouteInfo, type NodeRoutesWatcherOptions, type NodeRouteInfo } from "./routes-watcher.js";
export { podNames, BRIDGE } from "./rules.js";
