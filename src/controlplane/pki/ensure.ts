// ensurePki: the cluster's certificates on disk, created on first start and reused afterwards.
// Every pair is checked on load (key matches cert, issued by the CA, not about to expire, SANs as
// wanted) and only the pairs that fail are re-issued, so restarting a server keeps its CA and every
// kubeconfig already handed out keeps working.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readOptional, writeFileAtomic } from "./files.js";
import { caProblem, leafProblem } from "./inspect.js";
import {
  createCa,
  issueClientCert,
  issueServingCert,
  loadSigningCa,
  type CertAndKey,
  type ClientCertRequest,
  type SigningCa,
} from "./issue.js";
import { servingSans } from "./sans.js";
import { ensureServiceAccountKey, type ServiceAccountKey } from "./sa-key.js";

export const ADMIN_USER = "kubernetes-admin";
export const ADMIN_GROUP = "system:masters";
/** The identity the API server presents to kubelets (logs, exec, attach, port-forward). */
export const APISERVER_KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";

export interface EnsurePkiOptions {
  /** Directory holding the files, e.g. `<data-dir>/pki`; created (mode 0700) if missing. */
  dir: string;
  /** Extra serving-certificate names from --tls-san; IPs and DNS names are told apart automatically. */
  sans: string[];
  /** Host name to include as a SAN; defaults to os.hostname(). */
  hostname?: string;
  /** Receives one line per certificate that was created or re-issued, with the reason. */
  log?: (message: string) => void;
  /** Current time; injectable so tests can exercise renewal. */
  now?: Date;
}

export interface Pki {
  dir: string;
  ca: CertAndKey;
  /** The API server's serving certificate. */
  serving: CertAndKey;
  /** Client certificate for CN kubernetes-admin, O system:masters (the admin kubeconfig). */
  admin: CertAndKey;
  /** Client certificate for CN kube-apiserver-kubelet-client, O system:masters (API server -> kubelet). */
  kubeletClient: CertAndKey;
  /** The ServiceAccount token signing key pair (sa.key, sa.pub). */
  serviceAccountKey: ServiceAccountKey;
  /** Issues a client certificate signed by the cluster CA (not persisted). */
  issueClientCert(req: ClientCertRequest): Promise<CertAndKey>;
}

export function pkiPaths(dir: string) {
  const pair = (name: string) => ({ cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) });
  return { ca: pair("ca"), serving: pair("apiserver"), admin: pair("admin"), kubeletClient: pair("apiserver-kubelet-client") };
}

type PairPaths = { cert: string; key: string };

async function readPair(paths: PairPaths): Promise<CertAndKey | undefined> {
  const [cert, key] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
}

async function writePair(paths: PairPaths, pair: CertAndKey): Promise<void> {
  // Key first: a crash between the two writes leaves a new key beside an old certificate, which
  // the next start detects as a mismatch and re-issues, rather than a cert whose key is gone.
  await writeFileAtomic(paths.key, pair.key, 0o600);
  await writeFileAtomic(paths.cert, pair.cert, 0o644);
}

export async function ensurePki(opts: EnsurePkiOptions): Promise<Pki> {
  const now = opts.now ?? new Date();
  const log = opts.log ?? (() => {});
  const paths = pkiPaths(opts.dir);
  await fs.mkdir(opts.dir, { recursive: true, mode: 0o700 });

  let caPair = await readPair(paths.ca);
  const caIssue = caProblem(caPair, now);
  if (caIssue !== undefined || !caPair) {
    log(`generating cluster CA (${caIssue})`);
    caPair = await createCa(now);
    await writePair(paths.ca, caPair);
  }
  const ca: SigningCa = await loadSigningCa(caPair);

  const wantSans = servingSans(opts.sans, opts.hostname ?? os.hostname());
  let serving = await readPair(paths.serving);
  const servingIssue = await leafProblem(serving, ca.cert, now, wantSans);
  if (servingIssue !== undefined || !serving) {
    log(`issuing API server serving certificate (${servingIssue})`);
    serving = await issueServingCert(ca, wantSans, now);
    await writePair(paths.serving, serving);
  }

  let admin = await readPair(paths.admin);
  const adminIssue = await leafProblem(admin, ca.cert, now);
  if (adminIssue !== undefined || !admin) {
    log(`issuing admin client certificate (${adminIssue})`);
    admin = await issueClientCert(ca, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] }, now);
    await writePair(paths.admin, admin);
  }

  let kubeletClient = await readPair(paths.kubeletClient);
  const kubeletClientIssue = await leafProblem(kubeletClient, ca.cert, now);
  if (kubeletClientIssue !== undefined || !kubeletClient) {
    log(`issuing API server kubelet client certificate (${kubeletClientIssue})`);
    kubeletClient = await issueClientCert(ca, { commonName: APISERVER_KUBELET_CLIENT_USER, organizations: [ADMIN_GROUP] }, now);
    await writePair(paths.kubeletClient, kubeletClient);
  }

  const serviceAccountKey = await ensureServiceAccountKey(opts.dir, log);

  return {
    dir: opts.dir,
    ca: caPair,
    serving,
    admin,
    kubeletClient,
    serviceAccountKey,
    issueClientCert: (req) => issueClientCert(ca, req),
  };
}
