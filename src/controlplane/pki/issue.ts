// Issuing the certificates of the cluster PKI. Each function returns PEM text; persisting is the
// caller's business (see ensure.ts). The extensions are chosen so Go's crypto/x509 (kubectl,
// client-go) accepts the chain: CA with basicConstraints + keyCertSign, leaves with
// digitalSignature (ECDSA has no key encipherment), the right extKeyUsage, and subject/authority
// key identifiers so chain building does not depend on name matching alone.
import "./x509.js";
import * as x509 from "@peculiar/x509";
import { generateKeyPair, type CryptoKey, privateKeyFromPem, privateKeyToPem, randomSerialNumber, SIGNING_ALGORITHM } from "./keys.js";
import type { SanSet } from "./sans.js";

export interface CertAndKey {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

export interface ClientCertRequest {
  /** Becomes the user name (Kubernetes maps the subject CN to the user). */
  commonName: string;
  /** Become the groups (Kubernetes maps each subject O to a group). */
  organizations?: string[];
  /** Lifetime in days; one year by default, as kubeadm issues them. */
  validityDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
export const CA_COMMON_NAME = "minicluster-ca";
export const SERVING_COMMON_NAME = "kube-apiserver";
/**
 * Back-dating notBefore tolerates clocks that disagree by a few minutes, e.g. a node container and
 * the host right after a laptop resumes; otherwise a fresh cert is "not yet valid" for the client.
 */
const BACKDATE_MS = 5 * 60 * 1000;

function validity(days: number, now: Date): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

/** A JSON distinguished name in Go's RDN order (O before CN), one RDN per attribute value. */
function subjectName(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

export async function createCa(now = new Date()): Promise<CertAndKey> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subjectName(CA_COMMON_NAME),
    ...validity(CA_VALIDITY_DAYS, now),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: await privateKeyToPem(keys.privateKey) };
}

/** A loaded CA that can sign: the parsed certificate plus its private key in WebCrypto form. */
export interface SigningCa {
  cert: x509.X509Certificate;
  key: CryptoKey;
  pem: CertAndKey;
}

export async function loadSigningCa(pem: CertAndKey): Promise<SigningCa> {
  return { cert: new x509.X509Certificate(pem.cert), key: await privateKeyFromPem(pem.key), pem };
}

interface LeafRequest {
  subject: x509.JsonName;
  usage: x509.ExtendedKeyUsage;
  validityDays: number;
  extra?: x509.Extension[];
  now?: Date;
}

async function issueLeaf(ca: SigningCa, req: LeafRequest): Promise<CertAndKey> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: req.subject,
    // The issuer must be byte-identical to the CA's subject for chain building, so reuse the
    // CA certificate's encoded name instead of re-encoding a string.
    issuer: ca.cert.subjectName,
    ...validity(req.validityDays, req.now ?? new Date()),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([req.usage]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      ...(req.extra ?? []),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: await privateKeyToPem(keys.privateKey) };
}

export async function issueServingCert(ca: SigningCa, sans: SanSet, now?: Date): Promise<CertAndKey> {
  const names: x509.JsonGeneralName[] = [
    ...sans.dns.map((value) => ({ type: "dns" as const, value })),
    ...sans.ips.map((value) => ({ type: "ip" as const, value })),
  ];
  return issueLeaf(ca, {
    subject: subjectName(SERVING_COMMON_NAME),
    usage: x509.ExtendedKeyUsage.serverAuth,
    validityDays: LEAF_VALIDITY_DAYS,
    extra: [new x509.SubjectAlternativeNameExtension(names)],
    now,
  });
}

export async function issueClientCert(ca: SigningCa, req: ClientCertRequest, now?: Date): Promise<CertAndKey> {
  if (req.commonName === "") throw new Error("a client certificate needs a common name (the user name)");
  return issueLeaf(ca, {
    subject: subjectName(req.commonName, req.organizations),
    usage: x509.ExtendedKeyUsage.clientAuth,
    validityDays: req.validityDays ?? LEAF_VALIDITY_DAYS,
    now,
  });
}
