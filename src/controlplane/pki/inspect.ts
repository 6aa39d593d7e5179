// Deciding whether certificates found on disk can be reused. Each check returns the reason a pair
// must be re-issued (for the log) or undefined when it is fine, so ensurePki can explain itself.
import "./x509.js";
import * as x509 from "@peculiar/x509";
import { publicKeyDerOfPrivateKey } from "./keys.js";
import type { CertAndKey } from "./issue.js";
import { normalizeIp, sameSans, type SanSet } from "./sans.js";

/**
 * Leaves are renewed this long before they expire, so a server restarted in its last month does
 * not hand out a certificate that dies soon after.
 */
export const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export function parseCert(pem: string): x509.X509Certificate | undefined {
  try {
    return new x509.X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** True when the private key is the other half of the certificate's public key. */
export function keyMatchesCert(cert: x509.X509Certificate, keyPem: string): boolean {
  try {
    return Buffer.from(cert.publicKey.rawData).equals(publicKeyDerOfPrivateKey(keyPem));
  } catch {
    return false;
  }
}

export function certSans(cert: x509.X509Certificate): SanSet {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const name of ext?.names.items ?? []) {
    if (name.type === "dns") dns.push(name.value.toLowerCase());
    else if (name.type === "ip") ips.push(normalizeIp(name.value) ?? name.value);
  }
  return { dns, ips };
}

/** Why the CA pair cannot be used, or undefined if it can. */
export function caProblem(pair: CertAndKey | undefined, now: Date): string | undefined {
  if (!pair) return "missing";
  const cert = parseCert(pair.cert);
  if (!cert) return "certificate unreadable";
  if (!keyMatchesCert(cert, pair.key)) return "key does not match certificate";
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) return "not a CA certificate";
  if (cert.notAfter.getTime() <= now.getTime()) return "expired";
  return undefined;
}

/** Why a leaf pair issued by `ca` must be re-issued, or undefined if it can be reused. */
export async function leafProblem(
  pair: CertAndKey | undefined,
  ca: x509.X509Certificate,
  now: Date,
  wantSans?: SanSet,
): Promise<string | undefined> {
  if (!pair) return "missing";
  const cert = parseCert(pair.cert);
  if (!cert) return "certificate unreadable";
  if (!keyMatchesCert(cert, pair.key)) return "key does not match certificate";
  // A CA re-created after its files were lost leaves leaves signed by the old one behind.
  const signedByCa = await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }).catch(() => false);
  if (!signedByCa || cert.issuer !== ca.subject) return "not issued by the current CA";
  if (cert.notAfter.getTime() - RENEW_BEFORE_MS <= now.getTime()) return "expires soon";
  if (wantSans && !sameSans(certSans(cert), wantSans)) return "subject alternative names changed";
  return undefined;
}
