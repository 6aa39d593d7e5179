// Where a node keeps things (the node contract). Everything hangs off one root, "/" in a node
// container; tests point it at a temporary directory.

import path from "node:path";

export interface NodePaths {
  root: string;
  /** /etc/minicluster: configuration and credentials put there by the provisioner. */
  etcDir: string;
  configFile: string;
  /** /etc/minicluster/pki: ca.crt, kubelet.crt/key (+ ca.key, admin.crt/key on the control plane). */
  pkiDir: string;
  /** /var/lib/minicluster: node state, on the node's volume. */
  stateDir: string;
  /** /var/lib/minicluster/server: the control plane's data dir (store, PKI, kubeconfig). */
  serverDir: string;
  /** /var/log/minicluster: one <component>.log per component. */
  logDir: string;
}

/** The root from the environment (MINICLUSTER_ROOT), else "/". */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MINICLUSTER_ROOT || "/";
}

export function nodePaths(root = "/"): NodePaths {
  const etcDir = path.join(root, "etc/minicluster");
  const stateDir = path.join(root, "var/lib/minicluster");
  return {
    root,
    etcDir,
    configFile: path.join(etcDir, "node.json"),
    pkiDir: path.join(etcDir, "pki"),
    stateDir,
    serverDir: path.join(stateDir, "server"),
    logDir: path.join(root, "var/log/minicluster"),
  };
}
