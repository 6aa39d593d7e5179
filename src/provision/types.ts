// The Provider interface (kind's model): how the CLI makes, finds and removes node containers.
// Docker is the one implementation today (src/provision/docker).

import type { NodeRole, PortMapping } from "../cluster/config/types.js";

export type { NodeRole, PortMapping };

/** A file placed into a node container before it starts. */
export interface NodeFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}

export interface NodePlan {
  /** Container name = hostname = Kubernetes node name. */
  name: string;
  role: NodeRole;
  files: NodeFile[];
  portMappings: PortMapping[];
}

export interface ClusterPlan {
  cluster: string;
  image: string;
  nodes: NodePlan[];
}

export interface NodeStatus {
  name: string;
  role: NodeRole;
  cluster: string;
  /** Docker's container state: running, exited, restarting, created ... */
  state: string;
  ip?: string;
  image: string;
}

export interface DeleteResult {
  containers: number;
  volumes: number;
  networks: number;
}

export interface Endpoint {
  host: string;
  port: number;
}

/** How node containers get the rights they need to run nested containers. */
export type SecurityMode = "privileged" | "compat";
