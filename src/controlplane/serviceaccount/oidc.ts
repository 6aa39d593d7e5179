// ServiceAccount issuer discovery, as kube-apiserver serves it (pkg/serviceaccount/openidmetadata.go):
// an OpenID Connect discovery document at /.well-known/openid-configuration naming the tokens'
// issuer and where their public keys are, and that key set (JWKS) at /openid/v1/jwks, so that a
// party outside the cluster (a cloud's workload identity, Vault, …) can verify our tokens.
// node:crypto exports a public key as a JWK natively; we add use, kid and alg as go-jose does.
import type { KeyObject } from "node:crypto";

export const OIDC_DISCOVERY_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/openid/v1/jwks";
/** kube-apiserver lets clients cache both documents for an hour. */
export const OIDC_CACHE_CONTROL = "public, max-age=3600";
export const JWKS_CONTENT_TYPE = "application/jwk-set+json";

export interface VerificationKey {
  /** Key id, as the `kid` header of the tokens it signs. */
  kid: string;
  alg: "ES256" | "RS256";
  publicKey: KeyObject;
}

/** One public key as a JWK: kty and its parameters (n/e for RSA, crv/x/y for EC), for signatures. */
export function toJwk(key: VerificationKey): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: "jwk" }) as Record<string, unknown>;
  const { kty, ...params } = jwk;
  return { use: "sig", kty, kid: key.kid, alg: key.alg, ...params };
}

export function jwkSet(keys: readonly VerificationKey[]): { keys: Array<Record<string, unknown>> } {
  return { keys: keys.map(toJwk) };
}

/** The discovery document; `jwksUri` is where JWKS_PATH is reachable (kube: the API server's external address). */
export function openIdConfiguration(issuer: string, jwksUri: string, keys: readonly VerificationKey[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.alg))].sort(),
  };
}

/** https://HOST:PORT/openid/v1/jwks, with IPv6 hosts bracketed. */
export function jwksUri(host: string, port: number): string {
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}${JWKS_PATH}`;
}
