// The kubelet's serving certificate. Workers hold no CA key, so each kubelet makes its own: a
// throwaway in-memory CA signs a serving certificate for the node's names and addresses at start.
// Nobody verifies it — the API server dials kubelets without verifying them, as Kubernetes does by
// default (no --kubelet-certificate-authority) — so a fresh one per start is enough.

import { createCa, issueServingCert, loadSigningCa } from "../../controlplane/pki/issue.js";
import { isIP } from "node:net";

export async function kubeletServingTls(names: string[]): Promise<{ cert: string; key: string }> {
  const ca = await loadSigningCa(await createCa());
  const dns = [...new Set(names.filter((n) => n && !isIP(n)))].sort();
  const ips = [...new Set(["127.0.0.1", ...names.filter((n) => isIP(n))])].sort();
  const leaf = await issueServingCert(ca, { dns, ips });
  return { cert: leaf.cert, key: leaf.key };
}
