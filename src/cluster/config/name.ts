// Cluster names and the node (container) names derived from them, kind's way: `dev-control-plane`,
// `dev-worker`, `dev-worker2`, ... The container name is also the node's hostname and its
// Kubernetes node name (a label value under kubernetes.io/hostname), so it must stay a DNS label
// (≤ 63 characters); Docker accepts every such name.

import type { NodeRole } from "./types.js";

const CONTROL_PLANE_SUFFIX = "-control-plane";
/** The longest suffix is the control plane's ("-worker19" is shorter), leaving 49 characters. */
export const MAX_CLUSTER_NAME_LENGTH = 63 - CONTROL_PLANE_SUFFIX.length;

const NAME_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a cluster name ("must ..."), or undefined when it is fine. */
export function validateClusterName(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > MAX_CLUSTER_NAME_LENGTH) {
    return `must be at most ${MAX_CLUSTER_NAME_LENGTH} characters (it has ${name.length}) so that "<name>${CONTROL_PLANE_SUFFIX}" is a valid host name`;
  }
  if (!NAME_RE.test(name)) {
    return `must consist of lower-case letters, digits and '-', start with a letter and end with a letter or digit (e.g. "dev", "ci-2"), got ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** Container/node name of the `index`-th node of a role (0-based): worker, worker2, worker3 ... */
export function nodeName(cluster: string, role: NodeRole, index: number): string {
  const base = `${cluster}-${role}`;
  return index === 0 ? base : `${base}${index + 1}`;
}
