import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TokenRejected, TokenSigner, buildClaims, matchedAudiences, serviceAccountGroups, userInfoOf, DEFAULT_ISSUER, type ClaimsInput } from "./token.js";
import { bearerToken } from "./tokens.js";

const ecKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const rsaKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const T0 = new Date("2026-01-01T00:00:00Z");
const AUD = ["https://kubernetes.default.svc.cluster.local"];
const base: ClaimsInput = {
  issuer: DEFAULT_ISSUER,
  audiences: AUD,
  namespace: "team-a",
  serviceAccount: { name: "builder", uid: "sa-uid" },
  expirationSeconds: 3600,
  now: T0,
  jti: "id-1",
};

function header(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString()) as Record<string, unknown>;
}

describe("buildClaims", () => {
  it("has Kubernetes' registered and private claims", () => {
    const c = buildClaims({ ...base, pod: { name: "p", uid: "pod-uid" }, node: { name: "n1", uid: "node-uid" } });
    expect(c).toEqual({
      iss: DEFAULT_ISSUER,
      sub: "system:serviceaccount:team-a:builder",
      aud: AUD,
      iat: 1767225600,
      nbf: 1767225600,
      exp: 1767225600 + 3600,
      jti: "id-1",
      "kubernetes.io": {
        namespace: "team-a",
        serviceaccount: { name: "builder", uid: "sa-uid" },
        pod: { name: "p", uid: "pod-uid" },
        node: { name: "n1", uid: "node-uid" },
      },
    });
  });

  it("leaves out bindings that were not asked for and floors fractional seconds", () => {
    const c = buildClaims({ ...base, now: new Date(T0.getTime() + 999) });
    expect(c["kubernetes.io"]).toEqual({ namespace: "team-a", serviceaccount: { name: "builder", uid: "sa-uid" } });
    expect(c.iat).toBe(1767225600);
  });

  it("gives a fresh jti per token by default", () => {
    const { jti: _, ...noJti } = base;
    expect(buildClaims(noJti).jti).not.toBe(buildClaims(noJti).jti);
  });

  it("groups", () => {
    expect(serviceAccountGroups("x")).toEqual(["system:serviceaccounts", "system:serviceaccounts:x", "system:authenticated"]);
  });
});

describe("TokenSigner", () => {
  it.each([
    ["EC P-256", ecKey, "ES256"],
    ["RSA", rsaKey, "RS256"],
  ])("signs and verifies with %s keys", async (_name, key, alg) => {
    const s = new TokenSigner(key());
    const token = await s.sign(buildClaims(base));
    expect(header(token)).toEqual({ alg, kid: s.kid });
    const claims = await s.verify(token, { audiences: AUD, now: new Date(T0.getTime() + 10_000) });
    expect(claims.sub).toBe("system:serviceaccount:team-a:builder");
    expect(claims["kubernetes.io"].serviceaccount.uid).toBe("sa-uid");
  });

  it("rejects a token signed by another key", async () => {
    const token = await new TokenSigner(ecKey()).sign(buildClaims(base));
    await expect(new TokenSigner(ecKey()).verify(token, { audiences: AUD, now: T0 })).rejects.toBeInstanceOf(TokenRejected);
  });

  it("rejects changed claims under a valid signature", async () => {
    const s = new TokenSigner(ecKey());
    const [h, p, sig] = (await s.sign(buildClaims(base))).split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: "system:serviceaccount:kube-system:admin" })).toString("base64url")}.${sig}`;
    await expect(s.verify(forged, { audiences: AUD, now: T0 })).rejects.toThrow(/signature verification failed/);
  });

  it("rejects expiry and not-yet-valid tokens beyond a minute of leeway", async () => {
    const s = new TokenSigner(ecKey());
    const token = await s.sign(buildClaims({ ...base, expirationSeconds: 600 }));
    const at = (sec: number) => ({ audiences: AUD, now: new Date(T0.getTime() + sec * 1000) });
    await expect(s.verify(token, at(600 + 59))).resolves.toBeTruthy();
    await expect(s.verify(token, at(600 + 61))).rejects.toThrow(/has expired/);
    await expect(s.verify(token, at(-59))).resolves.toBeTruthy();
    await expect(s.verify(token, at(-61))).rejects.toBeInstanceOf(TokenRejected);
  });

  it("rejects other audiences and other issuers", async () => {
    const s = new TokenSigner(ecKey());
    const vault = await s.sign(buildClaims({ ...base, audiences: ["vault"] }));
    await expect(s.verify(vault, { audiences: AUD, now: T0 })).rejects.toThrow(/aud/);
    await expect(s.verify(vault, { audiences: ["other", "vault"], now: T0 })).resolves.toBeTruthy();
    const key = ecKey();
    const elsewhere = await new TokenSigner(key, "https://elsewhere").sign(buildClaims({ ...base, issuer: "https://elsewhere" }));
    await expect(new TokenSigner(key).verify(elsewhere, { audiences: AUD, now: T0 })).rejects.toThrow(/iss/);
  });

  it("rejects tokens without the kubernetes.io claim or whose subject disagrees with it", async () => {
    const s = new TokenSigner(ecKey());
    const c = buildClaims(base);
    const { "kubernetes.io": _, ...bare } = c;
    await expect(s.verify(await s.sign(bare as typeof c), { audiences: AUD, now: T0 })).rejects.toThrow(/kubernetes.io/);
    await expect(s.verify(await s.sign({ ...c, sub: "system:serviceaccount:team-a:other" }), { audiences: AUD, now: T0 })).rejects.toThrow(/subject/);
  });

  it("rejects garbage and unsigned tokens", async () => {
    const s = new TokenSigner(ecKey());
    await expect(s.verify("not.a.jwt", { audiences: AUD, now: T0 })).rejects.toBeInstanceOf(TokenRejected);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(buildClaims(base))).toString("base64url")}.`;
    await expect(s.verify(none, { audiences: AUD, now: T0 })).rejects.toBeInstanceOf(TokenRejected);
  });
});

describe("userInfoOf", () => {
  it("is the ServiceAccount with its UID; extra names the credential, and the pod and node a token is bound to", () => {
    expect(userInfoOf(buildClaims(base))).toEqual({
      username: "system:serviceaccount:team-a:builder",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": ["JTI=id-1"] },
    });
    const bound = userInfoOf(buildClaims({ ...base, pod: { name: "p", uid: "pod-uid" }, node: { name: "n1", uid: "node-uid" } }));
    expect(bound.extra).toEqual({
      "authentication.kubernetes.io/credential-id": ["JTI=id-1"],
      "authentication.kubernetes.io/node-name": ["n1"],
      "authentication.kubernetes.io/node-uid": ["node-uid"],
      "authentication.kubernetes.io/pod-name": ["p"],
      "authentication.kubernetes.io/pod-uid": ["pod-uid"],
    });
  });

  it("matchedAudiences keeps the token's audiences that were asked for", () => {
    expect(matchedAudiences({ aud: ["a", "b"] }, ["b", "c"])).toEqual(["b"]);
    expect(matchedAudiences({ aud: "a" }, ["a"])).toEqual(["a"]);
    expect(matchedAudiences({}, ["a"])).toEqual([]);
  });

  it("verify words audience and not-yet-valid refusals as kube-apiserver", async () => {
    const s = new TokenSigner(ecKey());
    const token = await s.sign(buildClaims({ ...base, audiences: ["vault", "x"] }));
    await expect(s.verify(token, { audiences: AUD, now: T0 })).rejects.toThrow(
      'token audiences ["vault" "x"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]',
    );
    await expect(s.verify(token, { audiences: ["x"], now: new Date(T0.getTime() - 120_000) })).rejects.toThrow("service account token is not valid yet");
  });
});

describe("bearerToken", () => {
  it("takes the token of a Bearer header only", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("bearer  x ")).toBe("x");
    expect(bearerToken("Basic dXNlcjpwdw==")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
