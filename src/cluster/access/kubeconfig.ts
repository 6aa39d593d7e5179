// The cluster's kubeconfig entry: named `minicluster-NAME` (cluster, user and context), built from
// credentials read back from the control-plane container, so no state lives on the host.
import os from "node:os";
import path from "node:path";
import type { CertAndKey } from "../../controlplane/pki/index.js";
import { API_SERVER_CONTAINER_PORT } from "../../provision/labels.js";
import type { DockerProvider } from "../../provision/docker/provider.js";
import { buildKubeconfig, type Kubeconfig } from "../kubeconfig/index.js";
import { PKI_DIR } from "../create/node-files.js";

export function contextName(cluster: string): string {
  return `minicluster-${cluster}`;
}

/** $KUBECONFIG's first file, else ~/.kube/config (what kubectl reads and kind writes). */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((p) => p !== "");
  return first ?? path.join(env.HOME ?? os.homedir(), ".kube", "config");
}

export function kubeconfigFor(cluster: string, server: string, caCert: string, admin: CertAndKey): Kubeconfig {
  return buildKubeconfig({ name: contextName(cluster), server, caCert, clientCert: admin.cert, clientKey: admin.key });
}

/** The admin kubeconfig of a running cluster: for the host, or (internal) for other containers on its network. */
export async function clusterKubeconfig(provider: DockerProvider, cluster: string, internal = false): Promise<Kubeconfig> {
  const cp = await provider.controlPlane(cluster);
  const [ca, cert, key] = await Promise.all(
    ["ca.crt", "admin.crt", "admin.key"].map(async (f) => (await provider.readFile(cp, `${PKI_DIR}/${f}`)).toString("utf8")),
  );
  let server: string;
  if (internal) server = `https://${cp}:${API_SERVER_CONTAINER_PORT}`;
  else {
    const ep = await provider.apiServerEndpoint(cluster);
    server = `https://${ep.host}:${ep.port}`;
  }
  return kubeconfigFor(cluster, server, ca!, { cert: cert!, key: key! });
}
