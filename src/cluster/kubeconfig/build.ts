// Building a self-contained kubeconfig: certificates are embedded as base64 *-data fields rather
// than file paths, so the file works wherever it is copied (host, CI runner, another container).
import { emptyKubeconfig, type Kubeconfig } from "./types.js";

export interface KubeconfigParams {
  /** Name of the cluster, user and context entries (kind uses one name, e.g. "kind-dev", for all three). */
  name: string;
  /** API server URL, e.g. https://127.0.0.1:6443. */
  server: string;
  /** PEM of the cluster CA that signed the serving certificate. */
  caCert: string;
  /** PEM client certificate and key of the user. */
  clientCert: string;
  clientKey: string;
  /** Default namespace of the context; omitted when undefined. */
  namespace?: string;
}

const b64 = (pem: string): string => Buffer.from(pem, "utf8").toString("base64");

export function buildKubeconfig(p: KubeconfigParams): Kubeconfig {
  if (p.name === "") throw new Error("a kubeconfig entry needs a name");
  return {
    ...emptyKubeconfig(),
    clusters: [{ name: p.name, cluster: { server: p.server, "certificate-authority-data": b64(p.caCert) } }],
    users: [{ name: p.name, user: { "client-certificate-data": b64(p.clientCert), "client-key-data": b64(p.clientKey) } }],
    contexts: [
      {
        name: p.name,
        context: { cluster: p.name, user: p.name, ...(p.namespace !== undefined ? { namespace: p.namespace } : {}) },
      },
    ],
    "current-context": p.name,
  };
}
