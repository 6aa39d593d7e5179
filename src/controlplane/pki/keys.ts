// Key material for the cluster PKI: ECDSA P-256 keys through Node's WebCrypto, PEM in and out.
// P-256 is used instead of RSA because generating a key takes well under a millisecond, which keeps
// the first start of a server fast, and every client we care about (Go's crypto/tls in kubectl,
// Node, OpenSSL) accepts it.
import "./x509.js";
import { createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
export const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export function subtle(): webcrypto.SubtleCrypto {
  return webcrypto.subtle;
}

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written to disk as PKCS#8.
  return subtle().generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

/** PKCS#8 PEM ("PRIVATE KEY"); Go's tls.X509KeyPair, Node's tls and OpenSSL all read this form. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await subtle().exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

/** Imports a PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY" written by other tools) for signing. */
export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  // Node's KeyObject understands every PEM flavour; WebCrypto only takes PKCS#8, so convert first.
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return subtle().importKey("pkcs8", der, KEY_ALGORITHM, true, ["sign"]);
}

/** The DER SubjectPublicKeyInfo of the public half of a PEM private key. */
export function publicKeyDerOfPrivateKey(pem: string): Buffer {
  return createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "der" });
}

/**
 * A random 128-bit serial number with the top bit clear. RFC 5280 requires a positive INTEGER and
 * Go rejects negative serials, so the leading bit must be 0 (DER would read it as a sign bit); a
 * non-zero first byte also keeps the encoding minimal.
 */
export function randomSerialNumber(): string {
  const bytes = new Uint8Array(16);
  webcrypto.getRandomValues(bytes);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}
