// The ServiceAccount token signing key pair, kept beside the certificates as sa.key (PKCS#8) and
// sa.pub (SPKI), the names kubeadm uses. Made on first start and kept afterwards: every token
// already handed out stays valid across restarts. A key written by other tools (RSA, as kubeadm
// makes, or EC P-256) is accepted; sa.pub is always re-derived from sa.key, so the two cannot
// disagree.
import { createPrivateKey, createPublicKey } from "node:crypto";
import path from "node:path";
import { readOptional, writeFileAtomic } from "./files.js";
import { generateKeyPair, privateKeyToPem } from "./keys.js";

export interface ServiceAccountKey {
  /** PEM private key (sa.key). */
  key: string;
  /** PEM public key, SubjectPublicKeyInfo (sa.pub). */
  pub: string;
}

export function serviceAccountKeyPaths(dir: string): { key: string; pub: string } {
  return { key: path.join(dir, "sa.key"), pub: path.join(dir, "sa.pub") };
}

/** Why a PEM cannot serve as the signing key, or undefined when it can. */
export function signingKeyProblem(pem: string | undefined): string | undefined {
  if (pem === undefined) return "missing";
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType === "rsa") return (k.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? undefined : "RSA key shorter than 2048 bits";
    if (k.asymmetricKeyType === "ec" && k.asymmetricKeyDetails?.namedCurve === "prime256v1") return undefined;
    return `unsupported key type ${k.asymmetricKeyType ?? "unknown"}`;
  } catch {
    return "unreadable";
  }
}

export async function ensureServiceAccountKey(dir: string, log: (m: string) => void = () => {}): Promise<ServiceAccountKey> {
  const paths = serviceAccountKeyPaths(dir);
  let key = await readOptional(paths.key);
  const problem = signingKeyProblem(key);
  if (problem !== undefined || key === undefined) {
    log(`generating service account signing key (${problem})`);
    key = await privateKeyToPem((await generateKeyPair()).privateKey);
    await writeFileAtomic(paths.key, key, 0o600);
  }
  const pub = createPublicKey(createPrivateKey(key)).export({ type: "spki", format: "pem" }).toString();
  if ((await readOptional(paths.pub)) !== pub) await writeFileAtomic(paths.pub, pub, 0o644);
  return { key, pub };
}
