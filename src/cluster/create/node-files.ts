// What each node container gets before it starts: its NodeConfig (/etc/minicluster/node.json) and
// its credentials. Every credential is issued here, at create time, by a CA made for this cluster:
// workers join with a kubelet client certificate (system:node:NAME in system:nodes), so nothing on
// the API server is open to anonymous callers.
import { createCa, issueClientCert, loadSigningCa, ADMIN_GROUP, ADMIN_USER, type CertAndKey } from "../../controlplane/pki/index.js";
import { API_SERVER_CONTAINER_PORT } from "../../provision/labels.js";
import type { NodeFile, NodeRole } from "../../provision/types.js";
import type { Taint } from "../config/types.js";

export const NODE_CONFIG_PATH = "/etc/minicluster/node.json";
export const PKI_DIR = "/etc/minicluster/pki";

/** The contract between the provisioner and `minicluster node` (see docs/architecture.md). */
export interface NodeConfig {
  cluster: string;
  nodeName: string;
  role: NodeRole;
  apiServer: string;
  labels: Record<string, string>;
  taints: Taint[];
  podSubnet: string;
  serviceSubnet: string;
  tlsSans?: string[];
}

export interface ClusterCredentials {
  ca: CertAndKey;
  admin: CertAndKey;
  kubelets: Map<string, CertAndKey>;
}

export async function issueClusterCredentials(nodeNames: readonly string[]): Promise<ClusterCredentials> {
  const ca = await createCa();
  const signer = await loadSigningCa(ca);
  const [admin, ...kubelets] = await Promise.all([
    issueClientCert(signer, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] }),
    ...nodeNames.map((n) => issueClientCert(signer, { commonName: `system:node:${n}`, organizations: ["system:nodes"] })),
  ]);
  return { ca, admin: admin!, kubelets: new Map(nodeNames.map((n, i) => [n, kubelets[i]!])) };
}

export function internalApiServer(cluster: string): string {
  return `https://${cluster}-control-plane:${API_SERVER_CONTAINER_PORT}`;
}

export function nodeFiles(config: NodeConfig, creds: ClusterCredentials): NodeFile[] {
  const kubelet = creds.kubelets.get(config.nodeName);
  if (!kubelet) throw new Error(`no kubelet credential issued for ${config.nodeName}`);
  const files: NodeFile[] = [
    { path: NODE_CONFIG_PATH, content: `${JSON.stringify(config, null, 2)}\n` },
    { path: `${PKI_DIR}/ca.crt`, content: creds.ca.cert },
    { path: `${PKI_DIR}/kubelet.crt`, content: kubelet.cert },
    { path: `${PKI_DIR}/kubelet.key`, content: kubelet.key, mode: 0o600 },
  ];
  if (config.role === "control-plane") {
    files.push(
      { path: `${PKI_DIR}/ca.key`, content: creds.ca.key, mode: 0o600 },
      { path: `${PKI_DIR}/admin.crt`, content: creds.admin.cert },
      { path: `${PKI_DIR}/admin.key`, content: creds.admin.key, mode: 0o600 },
    );
  }
  return files;
}
