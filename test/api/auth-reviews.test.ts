// The in-cluster authentication and authorization APIs with the real kubectl and client-node:
// TokenReview, SelfSubjectReview (`kubectl auth whoami`), the access reviews (`kubectl auth
// can-i`, RBAC not being enforced), and ServiceAccount issuer discovery (OIDC + JWKS).

import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { AuthenticationV1Api, AuthorizationV1Api, KubeConfig } from "@kubernetes/client-node";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeBody, type Field } from "../../src/api/protobuf/pb-writer.test-helper.js";
import { NOT_ENFORCED_REASON } from "../../src/controlplane/apiserver/authz.js";
import { DEFAULT_API_AUDIENCES, DEFAULT_ISSUER, TokenSigner, buildClaims } from "../../src/controlplane/serviceaccount/token.js";
import { caOnlyKubeconfig, jwtClaims, runKubectl, startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

let tc: TestCluster;
let caOnly: string;

/** kubectl with only the CA in its kubeconfig and the token on the command line. */
const withToken = (token: string, ...args: string[]) => runKubectl(caOnly, ["--token", token, ...args]);

interface Reply {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request as the admin (client certificate) or with a bearer token, or with no credentials. */
function request(method: string, p: string, opts: { body?: Buffer | string; contentType?: string; as?: "admin" | "anonymous" | { token: string } } = {}): Promise<Reply> {
  const as = opts.as ?? "admin";
  const creds = as === "admin" ? { cert: tc.cp.pki.admin.cert, key: tc.cp.pki.admin.key } : {};
  const headers: Record<string, string> = {};
  if (typeof as === "object") headers.authorization = `Bearer ${as.token}`;
  if (opts.contentType) headers["content-type"] = opts.contentType;
  return new Promise((resolve, reject) => {
    const req = https.request(`${tc.cp.url}${p}`, { method, ca: tc.cp.pki.ca.cert, ...creds, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ code: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

const postJson = (p: string, obj: unknown, as?: "admin" | { token: string }) => request("POST", p, { body: JSON.stringify(obj), contentType: "application/json", as });
const TOKENREVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
const tokenReview = (token: string | undefined, audiences?: string[]) => ({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences } });

/** `kubectl create -f - -o json` of an object, parsed. */
async function kubectlCreate(obj: unknown, ...extra: string[]): Promise<Record<string, unknown>> {
  const r = await tc.kubectl(["create", "-f", "-", "-o", "json", ...extra], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(`kubectl create exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

let saUid: string;

beforeAll(async () => {
  tc = await startTestCluster({ store: "memory" });
  caOnly = caOnlyKubeconfig(tc);
  saUid = await waitFor("the default ServiceAccount", async () => {
    const r = await tc.kubectl(["get", "sa", "default", "-o", "jsonpath={.metadata.uid}"]);
    return r.code === 0 && r.stdout ? r.stdout : undefined;
  });
});

afterAll(async () => {
  await tc?.stop();
});

describe("discovery", () => {
  it("kubectl api-resources lists the review kinds with the create verb only", async () => {
    const out = await tc.k("api-resources", "-o", "wide");
    const row = (name: string, gv: string, namespaced: boolean, kind: string) => new RegExp(`^${name}\\s+${gv.replace(/[./]/g, "\\$&")}\\s+${namespaced}\\s+${kind}\\s+create\\s*$`, "m");
    expect(out).toMatch(row("tokenreviews", "authentication.k8s.io/v1", false, "TokenReview"));
    expect(out).toMatch(row("selfsubjectreviews", "authentication.k8s.io/v1", false, "SelfSubjectReview"));
    expect(out).toMatch(row("localsubjectaccessreviews", "authorization.k8s.io/v1", true, "LocalSubjectAccessReview"));
    expect(out).toMatch(row("selfsubjectaccessreviews", "authorization.k8s.io/v1", false, "SelfSubjectAccessReview"));
    expect(out).toMatch(row("selfsubjectrulesreviews", "authorization.k8s.io/v1", false, "SelfSubjectRulesReview"));
    expect(out).toMatch(row("subjectaccessreviews", "authorization.k8s.io/v1", false, "SubjectAccessReview"));
    // Not listable: kubectl get over every listable kind must not trip over them.
    expect(await tc.k("api-resources", "--verbs=list", "-o", "name")).not.toMatch(/review/);
  });

  it("other verbs are refused with 405 and nothing is stored", async () => {
    expect((await request("GET", TOKENREVIEWS)).code).toBe(405);
    expect((await request("GET", `${TOKENREVIEWS}/x`)).code).toBe(405);
    expect((await request("DELETE", `${TOKENREVIEWS}/x`)).code).toBe(405);
    expect((await request("POST", "/apis/authentication.k8s.io/v1/namespaces/default/tokenreviews", { body: "{}", contentType: "application/json" })).code).toBe(404);
  });
});

describe("kubectl auth whoami (SelfSubjectReview)", () => {
  it("the admin's certificate: user and groups, system:authenticated included", async () => {
    const review = JSON.parse(await tc.k("auth", "whoami", "-o", "json")) as { kind: string; status: { userInfo: Record<string, unknown> } };
    expect(review.kind).toBe("SelfSubjectReview");
    expect(review.status.userInfo).toEqual({ username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] });
    expect(await tc.k("auth", "whoami")).toMatch(/^Username\s+kubernetes-admin$/m);
  });

  it("a ServiceAccount token: the ServiceAccount with its UID and, in extra, the credential id", async () => {
    const token = (await tc.k("create", "token", "default")).trim();
    const r = await withToken(token, "auth", "whoami", "-o", "json");
    expect(r.code, r.stderr).toBe(0);
    const info = (JSON.parse(r.stdout) as { status: { userInfo: Record<string, unknown> } }).status.userInfo;
    expect(info).toEqual({
      username: "system:serviceaccount:default:default",
      uid: saUid,
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": [`JTI=${String(jwtClaims(token).jti)}`] },
    });
  });
});

describe("kubectl auth can-i (access reviews)", () => {
  it("says yes (exit 0) for resources, all namespaces and non-resource URLs", async () => {
    for (const args of [["create", "pods"], ["delete", "nodes"], ["*", "*", "--all-namespaces"], ["get", "/logs"], ["create", "deployments.apps", "-n", "kube-system"]]) {
      const r = await tc.kubectl(["auth", "can-i", ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe("yes");
    }
  });

  it("a ServiceAccount token is allowed too (RBAC is not enforced)", async () => {
    const token = (await tc.k("create", "token", "default")).trim();
    const r = await withToken(token, "auth", "can-i", "delete", "secrets", "-n", "kube-system");
    expect([r.code, r.stdout.trim()]).toEqual([0, "yes"]);
  });

  it("--list shows one rule allowing everything", async () => {
    const r = await tc.kubectl(["auth", "can-i", "--list"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    expect(r.stdout).toMatch(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  });

  it("a SelfSubjectAccessReview answers allowed with the reason", async () => {
    const out = await kubectlCreate({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb: "get", resource: "secrets" } } });
    expect(out.status).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
  });
});

const SDK = "/usr/lib/google-cloud-sdk/bin";
// kubectl 1.27 asks for SelfSubjectReview only in v1beta1/v1alpha1 (v1 is GA from 1.28), which we do not serve.
const VERSIONS = ["1.28", "1.29", "1.30", "1.31", "1.33"].filter((v) => fs.existsSync(path.join(SDK, `kubectl.${v}`)));

describe.each(VERSIONS)("kubectl %s", (v) => {
  it("auth whoami, auth can-i and can-i --list", async () => {
    const run = (...args: string[]) => tc.kubectl(args, { binary: path.join(SDK, `kubectl.${v}`) });
    const whoami = await run("auth", "whoami");
    expect(whoami.stdout, whoami.stderr).toMatch(/^Username\s+kubernetes-admin$/m);
    const canI = await run("auth", "can-i", "create", "pods");
    expect([canI.code, canI.stdout.trim()]).toEqual([0, "yes"]);
    const list = await run("auth", "can-i", "--list");
    expect(list.stdout, list.stderr).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  });
});

describe("SubjectAccessReview and LocalSubjectAccessReview", () => {
  const sar = (spec: Record<string, unknown>, metadata?: Record<string, unknown>) => ({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", metadata, spec });

  it("any authenticated user is allowed; anonymous only on the public paths", async () => {
    const jane = await kubectlCreate(sar({ user: "jane", groups: ["devs"], resourceAttributes: { verb: "delete", resource: "pods", namespace: "x" } }));
    expect(jane.status).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
    expect((jane.spec as { user: string }).user).toBe("jane");
    const anonPods = await kubectlCreate(sar({ user: "system:anonymous", resourceAttributes: { verb: "list", resource: "pods" } }));
    expect((anonPods.status as { allowed: boolean }).allowed).toBe(false);
    const anonHealth = await kubectlCreate(sar({ groups: ["system:unauthenticated"], nonResourceAttributes: { verb: "get", path: "/readyz" } }));
    expect((anonHealth.status as { allowed: boolean }).allowed).toBe(true);
  });

  it("invalid reviews are 422 with Kubernetes' field errors", async () => {
    const noSubject = await postJson("/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ resourceAttributes: { verb: "get" } }));
    expect(noSubject.code).toBe(422);
    expect(noSubject.body).toMatchObject({
      reason: "Invalid",
      message: 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
      details: { causes: [{ reason: "FieldValueInvalid", field: "spec.user" }] },
    });
    const named = await postJson("/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ user: "u", resourceAttributes: {} }, { name: "x" }));
    expect([named.code, named.body.message]).toEqual([422, 'SubjectAccessReview.authorization.k8s.io "" is invalid: metadata: Invalid value: {"name":"x"}: must be empty']);
  });

  it("a LocalSubjectAccessReview is namespaced: the attributes' namespace must be the request's", async () => {
    const local = (ns: string) => ({ apiVersion: "authorization.k8s.io/v1", kind: "LocalSubjectAccessReview", spec: { user: "jane", resourceAttributes: { namespace: ns, verb: "get", resource: "pods" } } });
    const ok = await kubectlCreate(local("kube-system"), "-n", "kube-system");
    expect(ok.metadata).toMatchObject({ namespace: "kube-system" });
    expect(ok.status).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
    const other = await postJson("/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews", local("kube-system"));
    expect([other.code, other.body.message]).toEqual([
      422,
      'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "kube-system": must match metadata.namespace',
    ]);
    expect((await postJson("/apis/authorization.k8s.io/v1/localsubjectaccessreviews", local("default"))).code).toBe(404);
  });

  it("a protobuf body (with extra, a map of ExtraValue) is decoded as JSON would be", async () => {
    const extra: Field = [5, "msg", [[1, "string", "scopes"], [2, "msg", [[1, "string", "a"], [1, "string", "b"]]]]];
    const body = kubeBody("authorization.k8s.io/v1", "SubjectAccessReview", [[2, "msg", [[1, "msg", [[2, "string", "get"], [5, "string", "pods"]]], [3, "string", "jane"], extra]]]);
    const r = await request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", { body, contentType: "application/vnd.kubernetes.protobuf" });
    expect(r.code).toBe(201);
    expect(r.body).toMatchObject({ kind: "SubjectAccessReview", spec: { user: "jane", extra: { scopes: ["a", "b"] }, resourceAttributes: { verb: "get", resource: "pods" } }, status: { allowed: true } });
  });

  it("SelfSubjectRulesReview needs a namespace", async () => {
    const r = await postJson("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: {} });
    expect([r.code, r.body.message]).toEqual([400, "no namespace on request"]);
  });
});

describe("TokenReview", () => {
  it("kubectl create -f: a valid token is authenticated as its ServiceAccount, audiences default to the API server's", async () => {
    const token = (await tc.k("create", "token", "default")).trim();
    const out = await kubectlCreate(tokenReview(token));
    expect(out).toMatchObject({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: { creationTimestamp: null }, spec: { token } });
    expect(out.status).toEqual({
      authenticated: true,
      audiences: [DEFAULT_ISSUER],
      user: {
        username: "system:serviceaccount:default:default",
        uid: saUid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
        extra: { "authentication.kubernetes.io/credential-id": [`JTI=${String(jwtClaims(token).jti)}`] },
      },
    });
  });

  it("a pod-bound token names the pod and its node in extra; it stops authenticating once the pod is gone", async () => {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "review-node" } };
    const nodeUid = ((await kubectlCreate(node)).metadata as { uid: string }).uid;
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "reviewed", namespace: "default" }, spec: { nodeName: "review-node", containers: [{ name: "c", image: "busybox" }] } };
    const podUid = ((await kubectlCreate(pod)).metadata as { uid: string }).uid;
    const token = (await tc.k("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=reviewed")).trim();
    const user = (await kubectlCreate(tokenReview(token))).status as { user: { extra: Record<string, string[]> } };
    expect(user.user.extra).toEqual({
      "authentication.kubernetes.io/credential-id": [`JTI=${String(jwtClaims(token).jti)}`],
      "authentication.kubernetes.io/node-name": ["review-node"],
      "authentication.kubernetes.io/node-uid": [nodeUid],
      "authentication.kubernetes.io/pod-name": ["reviewed"],
      "authentication.kubernetes.io/pod-uid": [podUid],
    });
    await tc.k("delete", "pod", "reviewed", "--grace-period=0", "--force");
    await waitFor("pod gone", async () => ((await tc.kubectl(["get", "pod", "reviewed"])).code !== 0 ? true : undefined));
    expect((await kubectlCreate(tokenReview(token))).status).toEqual({ user: {}, error: "[invalid bearer token, service account token has been invalidated]" });
  });

  it("spec.audiences: a token for another audience is valid only when the review asks for it", async () => {
    const token = (await tc.k("create", "token", "default", "--audience=vault")).trim();
    expect((await kubectlCreate(tokenReview(token, ["vault", "other"]))).status).toMatchObject({ authenticated: true, audiences: ["vault"] });
    expect((await kubectlCreate(tokenReview(token))).status).toEqual({
      user: {},
      error: `[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["${DEFAULT_ISSUER}"]]`,
    });
  });

  it("forged, expired and garbage tokens: 201 with authenticated unset and the error", async () => {
    const claims = (now: Date) => buildClaims({ issuer: DEFAULT_ISSUER, audiences: DEFAULT_API_AUDIENCES, namespace: "default", serviceAccount: { name: "default", uid: saUid }, expirationSeconds: 3600, now });
    const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const forged = await new TokenSigner(otherKey).sign(claims(new Date()));
    const expired = await new TokenSigner(tc.cp.pki.serviceAccountKey.key).sign(claims(new Date(Date.now() - 2 * 3600_000)));
    for (const [token, error] of [
      [forged, /^\[invalid bearer token, .*signature verification failed.*\]$/],
      [expired, /^\[invalid bearer token, service account token has expired\]$/],
      ["not-a-jwt", /^\[invalid bearer token, /],
    ] as const) {
      const r = await postJson(TOKENREVIEWS, tokenReview(token));
      expect(r.code).toBe(201);
      const status = r.body.status as { authenticated?: boolean; user: unknown; error: string };
      expect(status.authenticated).toBeUndefined();
      expect(status.user).toEqual({});
      expect(status.error).toMatch(error);
    }
  });

  it("bad input: no token is a 400 as in Kubernetes; another kind is a 400; dryRun answers the same", async () => {
    const empty = await postJson(TOKENREVIEWS, tokenReview(undefined));
    expect(empty.code).toBe(400);
    expect(empty.body).toMatchObject({ kind: "Status", reason: "BadRequest", message: "token is required for TokenReview in authentication" });
    const wrongKind = await postJson(TOKENREVIEWS, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { token: "x" } });
    expect(wrongKind.code).toBe(400);
    expect(wrongKind.body.message).toMatch(/the kind in the data does not match the expected kind TokenReview/);
    const notAnObject = await request("POST", TOKENREVIEWS, { body: "[1]", contentType: "application/json" });
    expect(notAnObject.code).toBe(400);
    const typeError = await postJson(TOKENREVIEWS, { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: 5 } });
    expect(typeError.code).toBe(400);

    const token = (await tc.k("create", "token", "default")).trim();
    const dry = await postJson(`${TOKENREVIEWS}?dryRun=All`, tokenReview(token));
    expect([dry.code, (dry.body.status as { authenticated: boolean }).authenticated]).toEqual([201, true]);
    const strict = await postJson(`${TOKENREVIEWS}?fieldValidation=Strict`, { ...tokenReview(token), bogus: 1 });
    expect([strict.code, strict.body.message]).toEqual([400, 'strict decoding error: unknown field "bogus"']);
  });

  it("a ServiceAccount may review tokens too, and a protobuf TokenReview is understood", async () => {
    const token = (await tc.k("create", "token", "default")).trim();
    const body = kubeBody("authentication.k8s.io/v1", "TokenReview", [[2, "msg", [[1, "string", token]]]]);
    const r = await request("POST", TOKENREVIEWS, { body, contentType: "application/vnd.kubernetes.protobuf", as: { token } });
    expect(r.code).toBe(201);
    expect(r.body.status).toMatchObject({ authenticated: true, user: { username: "system:serviceaccount:default:default" } });
  });
});

describe("@kubernetes/client-node", () => {
  it("createTokenReview, createSelfSubjectReview and createSelfSubjectAccessReview", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    const authn = kc.makeApiClient(AuthenticationV1Api);
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const token = (await tc.k("create", "token", "default")).trim();
    const review = await authn.createTokenReview({ body: { spec: { token } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe("system:serviceaccount:default:default");
    const me = await authn.createSelfSubjectReview({ body: {} });
    expect(me.status?.userInfo?.username).toBe("kubernetes-admin");
    const ssar = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: "create", resource: "pods", namespace: "default" } } } });
    expect(ssar.status).toMatchObject({ allowed: true, reason: NOT_ENFORCED_REASON });
  });
});

describe("ServiceAccount issuer discovery", () => {
  it("the OIDC document names the tokens' issuer; the JWKS verifies a token kubectl created", async () => {
    const conf = await request("GET", "/.well-known/openid-configuration");
    expect(conf.code).toBe(200);
    expect(conf.headers["content-type"]).toBe("application/json");
    expect(conf.body).toMatchObject({
      issuer: DEFAULT_ISSUER,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
    });
    expect(String(conf.body.jwks_uri)).toMatch(new RegExp(`^https://[^/]+:${tc.cp.port}/openid/v1/jwks$`));

    const jwks = await request("GET", "/openid/v1/jwks");
    expect(jwks.code).toBe(200);
    expect(jwks.headers["content-type"]).toBe("application/jwk-set+json");
    const token = (await tc.k("create", "token", "default", "--audience=sts.example.com")).trim();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body as unknown as JSONWebKeySet), { issuer: String(conf.body.issuer), audience: "sts.example.com" });
    expect(payload.sub).toBe("system:serviceaccount:default:default");
    const kid = (JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString()) as { kid: string }).kid;
    expect((jwks.body.keys as Array<{ kid: string; d?: string }>).map((k) => [k.kid, k.d])).toEqual([[kid, undefined]]);
  });

  it("needs authentication: a ServiceAccount token reads it, no credentials get 401", async () => {
    const token = (await tc.k("create", "token", "default")).trim();
    expect((await request("GET", "/openid/v1/jwks", { as: { token } })).code).toBe(200);
    expect((await withToken(token, "get", "--raw", "/.well-known/openid-configuration")).code).toBe(0);
    expect((await request("GET", "/.well-known/openid-configuration", { as: "anonymous" })).code).toBe(401);
  });
});
