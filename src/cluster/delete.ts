// `minicluster delete`: removes a cluster's containers, volumes and network (found by label) and
// its kubeconfig entries. Deleting a cluster that does not exist is not an error.
import type Docker from "dockerode";
import { DockerProvider } from "../provision/docker/provider.js";
import type { DeleteResult } from "../provision/types.js";
import { contextName, defaultKubeconfigPath } from "./access/kubeconfig.js";
import { removeFromKubeconfig } from "./kubeconfig/index.js";

export interface DeleteOutcome extends DeleteResult {
  name: string;
  kubeconfigChanged: boolean;
}

export async function deleteCluster(docker: Docker, name: string, opts: { kubeconfig?: string } = {}): Promise<DeleteOutcome> {
  const result = await new DockerProvider(docker).deleteCluster(name);
  const kubeconfigChanged = await removeFromKubeconfig(opts.kubeconfig ?? defaultKubeconfigPath(), contextName(name));
  return { name, ...result, kubeconfigChanged };
}

export async function deleteAllClusters(docker: Docker, opts: { kubeconfig?: string } = {}): Promise<DeleteOutcome[]> {
  const names = await new DockerProvider(docker).listClusters();
  return Promise.all(names.map((n) => deleteCluster(docker, n, opts)));
}
