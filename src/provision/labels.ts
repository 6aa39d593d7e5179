// Docker labels are the only record of what a cluster is made of: containers, volumes and the
// network all carry the cluster's name, so listing and deleting never depend on local state.

export const LABEL_CLUSTER = "io.minicluster.cluster";
export const LABEL_ROLE = "io.minicluster.role";
export const LABEL_NODE = "io.minicluster.node";
/** Whether the node containers run --privileged or with the compatible capability set. */
export const LABEL_MODE = "io.minicluster.mode";

/** Port inside the control-plane container where the API server listens. */
export const API_SERVER_CONTAINER_PORT = 6443;

export function networkName(cluster: string): string {
  return `minicluster-${cluster}`;
}

export function volumeName(node: string): string {
  return `${node}-var`;
}
