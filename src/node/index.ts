// The node container entrypoint (`minicluster node`).
export { runNode, API_PORT, type RunNodeOptions, type RunningNode } from "./run.js";
export { parseNodeConfig, type NodeConfig } from "./config.js";
export { nodePaths, defaultRoot, type NodePaths } from "./paths.js";
