// ServiceAccount tokens: JWTs with the claims kube-apiserver puts in bound tokens (iss, sub, aud,
// exp, iat, nbf, jti and the private "kubernetes.io" claim naming the namespace, the
// ServiceAccount and the object the token is bound to), signed with the cluster's sa.key (ES256
// for P-256, RS256 for RSA) through `jose`. Verification here covers the token alone (signature,
// issuer, audience, times); whether the ServiceAccount and the bound pod still exist is the
// authenticator's job (authenticator.ts), since it needs the store.
import { createHash, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";

/** kube-apiserver's --service-account-issuer as kind and kubeadm set it. */
export const DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** The API server's own audiences (--api-audiences defaults to the issuer). */
export const DEFAULT_API_AUDIENCES: readonly string[] = [DEFAULT_ISSUER];
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** go-jose's default leeway, which kube-apiserver's validator uses for exp and nbf. */
export const CLOCK_LEEWAY_SECONDS = 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private claim: who the token speaks for and what it is bound to. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface TokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  "kubernetes.io": KubernetesClaim;
}

export interface ClaimsInput {
  issuer: string;
  audiences: readonly string[];
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  expirationSeconds: number;
  now: Date;
  /** Defaults to a random UUID, as kube-apiserver's credential id. */
  jti?: string;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The groups kube-apiserver gives every ServiceAccount, plus system:authenticated. */
export function serviceAccountGroups(namespace: string): string[] {
  return ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"];
}

/** Keys of UserInfo.extra that kube-apiserver sets for ServiceAccount tokens (k8s.io/apiserver/pkg/authentication/serviceaccount). */
export const EXTRA_CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";
export const EXTRA_NODE_NAME = "authentication.kubernetes.io/node-name";
export const EXTRA_NODE_UID = "authentication.kubernetes.io/node-uid";
export const EXTRA_POD_NAME = "authentication.kubernetes.io/pod-name";
export const EXTRA_POD_UID = "authentication.kubernetes.io/pod-uid";

/** The user a verified token speaks for, as authentication.k8s.io/v1 UserInfo names the parts. */
export interface TokenUserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/**
 * UserInfo of a verified token, as kube-apiserver's ServiceAccountInfo.UserInfo gives it: the
 * ServiceAccount's name and UID, its groups, and in extra the bound pod, the node the pod runs on
 * and the credential id ("JTI=<jti>"). Keys come in sorted order, as Go's JSON encoding of a map.
 */
export function userInfoOf(claims: TokenClaims): TokenUserInfo {
  const k8s = claims["kubernetes.io"];
  const extra: Record<string, string[]> = {};
  if (claims.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${claims.jti}`];
  if (k8s.node) {
    extra[EXTRA_NODE_NAME] = [k8s.node.name];
    if (k8s.node.uid) extra[EXTRA_NODE_UID] = [k8s.node.uid];
  }
  if (k8s.pod) {
    extra[EXTRA_POD_NAME] = [k8s.pod.name];
    extra[EXTRA_POD_UID] = [k8s.pod.uid];
  }
  return {
    username: serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name),
    uid: k8s.serviceaccount.uid,
    groups: serviceAccountGroups(k8s.namespace),
    extra,
  };
}

/** The token's audiences that are among `wanted` (what kube-apiserver reports as status.audiences). */
export function matchedAudiences(claims: Pick<JWTPayload, "aud">, wanted: readonly string[]): string[] {
  const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return aud.filter((a) => wanted.includes(a));
}

/** Go's %q of a []string: `["a" "b"]`. */
function goQuoted(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;
}

/** The claims of a token (pure: the clock and the id come in). */
export function buildClaims(input: ClaimsInput): TokenClaims {
  const iat = Math.floor(input.now.getTime() / 1000);
  const k8s: KubernetesClaim = { namespace: input.namespace, serviceaccount: { ...input.serviceAccount } };
  if (input.pod) k8s.pod = { ...input.pod };
  if (input.secret) k8s.secret = { ...input.secret };
  if (input.node) k8s.node = { ...input.node };
  return {
    aud: [...input.audiences],
    exp: iat + input.expirationSeconds,
    iat,
    iss: input.issuer,
    jti: input.jti ?? randomUUID(),
    "kubernetes.io": k8s,
    nbf: iat,
    sub: serviceAccountUsername(input.namespace, input.serviceAccount.name),
  };
}

/** Why a token was refused; the message is for logs, clients only ever see 401 Unauthorized. */
export class TokenRejected extends Error {
  override name = "TokenRejected";
}

export interface VerifyOptions {
  /** Audiences this verifier accepts; the token must name at least one. */
  audiences: readonly string[];
  now?: Date;
}

/** A signing key and the issuer it signs as; verifies with the public half of the same key. */
export class TokenSigner {
  readonly alg: "ES256" | "RS256";
  /** kube-apiserver's key id: base64url SHA-256 of the public key's DER. */
  readonly kid: string;
  private readonly privateKey: KeyObject;
  /** The key tokens are verified with; published as a JWK by issuer discovery (oidc.ts). */
  readonly publicKey: KeyObject;

  constructor(privateKeyPem: string, readonly issuer: string = DEFAULT_ISSUER) {
    this.privateKey = createPrivateKey(privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.alg = this.privateKey.asymmetricKeyType === "rsa" ? "RS256" : "ES256";
    this.kid = createHash("sha256").update(this.publicKey.export({ type: "spki", format: "der" })).digest("base64url");
  }

  async sign(claims: TokenClaims): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: this.alg, kid: this.kid }).sign(this.privateKey);
  }

  /** The claims of a token this signer made that is valid now for one of `audiences`; throws TokenRejected otherwise. */
  async verify(token: string, opts: VerifyOptions): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [this.alg],
        issuer: this.issuer,
        audience: [...opts.audiences],
        currentDate: opts.now,
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: ["sub", "exp", "iat", "nbf"],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenRejected("service account token has expired", { cause: err });
      // kube-apiserver's wording for the claims it checks itself (pkg/serviceaccount/claims.go, jwt.go).
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf") throw new TokenRejected("service account token is not valid yet", { cause: err });
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === "aud") {
        const aud = [decodeJwt(token).aud ?? []].flat();
        throw new TokenRejected(`token audiences ${goQuoted(aud)} is invalid for the target audiences ${goQuoted(opts.audiences)}`, { cause: err });
      }
      if (err instanceof errors.JOSEError) throw new TokenRejected(`invalid service account token: ${err.message}`, { cause: err });
      throw err;
    }
    const k8s = payload["kubernetes.io"] as Partial<KubernetesClaim> | undefined;
    if (!k8s || typeof k8s.namespace !== "string" || !isRef(k8s.serviceaccount)) throw new TokenRejected("service account token has no kubernetes.io claim");
    for (const key of ["pod", "secret", "node"] as const) {
      if (k8s[key] !== undefined && !isRef(k8s[key])) throw new TokenRejected(`service account token has a malformed ${key} claim`);
    }
    if (payload.sub !== serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name)) throw new TokenRejected("service account token subject does not match its kubernetes.io claim");
    return payload as TokenClaims;
  }
}

function isRef(v: unknown): v is ObjectRef {
  return typeof v === "object" && v !== null && typeof (v as ObjectRef).name === "string" && typeof (v as ObjectRef).uid === "string";
}
