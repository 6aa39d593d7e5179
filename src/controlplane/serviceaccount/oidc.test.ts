import { generateKeyPairSync } from "node:crypto";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { JWKS_PATH, jwkSet, jwksUri, openIdConfiguration, toJwk } from "./oidc.js";
import { DEFAULT_ISSUER, TokenSigner, buildClaims } from "./token.js";

const ecKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const rsaKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const keyOf = (s: TokenSigner) => ({ kid: s.kid, alg: s.alg, publicKey: s.publicKey });

describe("JWKS", () => {
  it("publishes an EC key as kube-apiserver does (use, kty, kid, alg, crv, x, y), nothing private", () => {
    const s = new TokenSigner(ecKey());
    const jwk = toJwk(keyOf(s));
    expect(Object.keys(jwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(jwk).toMatchObject({ use: "sig", kty: "EC", kid: s.kid, alg: "ES256", crv: "P-256" });
  });

  it("publishes an RSA key with n and e", () => {
    const s = new TokenSigner(rsaKey());
    const jwk = toJwk(keyOf(s));
    expect(Object.keys(jwk).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
    expect(jwk).toMatchObject({ kty: "RSA", alg: "RS256", e: "AQAB" });
  });

  it("verifies the tokens the signer makes, selected by kid", async () => {
    for (const key of [ecKey(), rsaKey()]) {
      const s = new TokenSigner(key);
      const other = new TokenSigner(ecKey());
      const set = createLocalJWKSet(jwkSet([keyOf(other), keyOf(s)]) as Parameters<typeof createLocalJWKSet>[0]);
      const now = new Date();
      const token = await s.sign(buildClaims({ issuer: DEFAULT_ISSUER, audiences: ["vault"], namespace: "a", serviceAccount: { name: "b", uid: "u" }, expirationSeconds: 600, now }));
      const { payload } = await jwtVerify(token, set, { issuer: DEFAULT_ISSUER, audience: "vault" });
      expect(payload.sub).toBe("system:serviceaccount:a:b");
      const forged = await other.sign(buildClaims({ issuer: DEFAULT_ISSUER, audiences: ["vault"], namespace: "a", serviceAccount: { name: "b", uid: "u" }, expirationSeconds: 600, now }));
      const [, body, sig] = forged.split(".");
      const [head] = token.split(".");
      await expect(jwtVerify(`${head}.${body}.${sig}`, set)).rejects.toThrow();
    }
  });
});

describe("discovery document", () => {
  it("names the issuer, the JWKS address and the signing algorithms", () => {
    const ec = keyOf(new TokenSigner(ecKey()));
    expect(openIdConfiguration(DEFAULT_ISSUER, "https://10.0.0.1:6443/openid/v1/jwks", [ec, { ...ec, alg: "RS256" }])).toEqual({
      issuer: DEFAULT_ISSUER,
      jwks_uri: "https://10.0.0.1:6443/openid/v1/jwks",
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256", "RS256"],
    });
  });

  it("jwksUri brackets IPv6 hosts", () => {
    expect(jwksUri("172.18.0.2", 6443)).toBe(`https://172.18.0.2:6443${JWKS_PATH}`);
    expect(jwksUri("fd00::2", 6443)).toBe("https://[fd00::2]:6443/openid/v1/jwks");
  });
});
