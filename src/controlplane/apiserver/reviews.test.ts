import { describe, expect, it } from "vitest";
import { StatusError } from "../../api/errors.js";
import { decodeKubeProtobuf } from "../../api/protobuf/index.js";
import { kubeBody, type Field } from "../../api/protobuf/pb-writer.test-helper.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { TokenRejected } from "../serviceaccount/token.js";
import type { ServiceAccountTokens } from "../serviceaccount/tokens.js";
import { NOT_ENFORCED_REASON } from "./authz.js";
import type { Caller } from "./rest.js";
import { answerReview, isReview, selfSubjectReview, userInfo, validateAccessReview, type ReviewDeps } from "./reviews.js";

const res = (kind: string): ResourceDef => RESOURCES.find((r) => r.kind === kind && r.group.startsWith("auth"))!;
const admin: Caller = { user: "kubernetes-admin", groups: ["system:masters", "system:authenticated"], userAgent: "t" };
const NOW = new Date("2026-03-01T10:00:00.123Z");

/** A stand-in for ServiceAccountTokens: accepts "good" for audience "api" or "vault", rejects anything else. */
function fakeTokens(): ReviewDeps["serviceAccountTokens"] {
  const fake = {
    apiAudiences: ["api"],
    async authenticateFor(token: string, audiences: readonly string[]) {
      if (token !== "good") throw new TokenRejected("service account token has expired");
      const matched = ["api", "vault"].filter((a) => audiences.includes(a));
      if (!matched.length) throw new TokenRejected(`token audiences ["api" "vault"] is invalid for the target audiences ${JSON.stringify(audiences)}`);
      return {
        user: { name: "system:serviceaccount:ns:sa", groups: ["system:serviceaccounts", "system:authenticated"], uid: "sa-uid", extra: { "authentication.kubernetes.io/pod-name": ["p"] } },
        audiences: matched,
      };
    },
  };
  return fake as unknown as ServiceAccountTokens;
}

const deps: ReviewDeps = { serviceAccountTokens: fakeTokens(), now: () => NOW };
const answer = (kind: string, obj: KubeObject, ns = "", caller = admin) => answerReview(deps, res(kind), ns, obj, caller);
const tokenReview = (spec: Record<string, unknown>) => answer("TokenReview", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec });

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("isReview", () => {
  it("covers the six review kinds and nothing stored", () => {
    expect(RESOURCES.filter(isReview).map((r) => r.kind).sort()).toEqual([
      "LocalSubjectAccessReview",
      "SelfSubjectAccessReview",
      "SelfSubjectReview",
      "SelfSubjectRulesReview",
      "SubjectAccessReview",
      "TokenReview",
    ]);
    for (const r of RESOURCES.filter(isReview)) expect(r.verbs).toEqual(["create"]);
  });
});

describe("TokenReview", () => {
  it("a valid token: authenticated, the user with uid and extra, audiences defaulting to the API server's", async () => {
    expect(await tokenReview({ token: "good" })).toEqual({
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { token: "good" },
      status: {
        authenticated: true,
        user: { username: "system:serviceaccount:ns:sa", uid: "sa-uid", groups: ["system:serviceaccounts", "system:authenticated"], extra: { "authentication.kubernetes.io/pod-name": ["p"] } },
        audiences: ["api"],
      },
    });
  });

  it("spec.audiences: the token must share one; status.audiences is the intersection", async () => {
    expect(((await tokenReview({ token: "good", audiences: ["vault", "other"] })).status as { audiences: string[] }).audiences).toEqual(["vault"]);
    expect((await tokenReview({ token: "good", audiences: ["other"] })).status).toEqual({
      user: {},
      error: '[invalid bearer token, token audiences ["api" "vault"] is invalid for the target audiences ["other"]]',
    });
  });

  it("a refused token is still an answer (no authenticated, an empty user, the error)", async () => {
    expect((await tokenReview({ token: "expired" })).status).toEqual({ user: {}, error: "[invalid bearer token, service account token has expired]" });
  });

  it("no token is a 400 with kube-apiserver's message", async () => {
    const err = await statusOf(tokenReview({}));
    expect(err.code).toBe(400);
    expect(err.message).toBe("token is required for TokenReview in authentication");
  });

  it("keeps the request's metadata, drops a namespace (cluster-scoped), and without an authenticator answers no status", async () => {
    const out = await answerReview({}, res("TokenReview"), "", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: { name: "r", namespace: "x" }, spec: { token: "t" } }, admin);
    expect(out.metadata).toEqual({ name: "r", creationTimestamp: null });
    expect(out.status).toEqual({});
  });
});

describe("SelfSubjectReview", () => {
  it("is the caller: certificate users have no uid or extra", () => {
    expect(selfSubjectReview(admin, NOW)).toEqual({
      kind: "SelfSubjectReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: "2026-03-01T10:00:00Z" },
      status: { userInfo: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] } },
    });
  });

  it("token users carry uid and extra", async () => {
    const caller: Caller = { user: "system:serviceaccount:a:b", groups: ["system:authenticated"], uid: "u", extra: { k: ["v"] }, userAgent: "" };
    const out = await answer("SelfSubjectReview", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }, "", caller);
    expect(out.status).toEqual({ userInfo: { username: "system:serviceaccount:a:b", uid: "u", groups: ["system:authenticated"], extra: { k: ["v"] } } });
  });

  it("userInfo leaves empty parts out", () => {
    expect(userInfo("u", [], "", {})).toEqual({ username: "u" });
  });
});

describe("access reviews", () => {
  const sar = (spec: Record<string, unknown>, metadata?: Record<string, unknown>): KubeObject => ({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", metadata, spec });

  it("allowed, with the reason that RBAC is not enforced; the request is echoed", async () => {
    const spec = { resourceAttributes: { verb: "get", resource: "secrets", namespace: "kube-system" }, user: "jane" };
    expect(await answer("SubjectAccessReview", sar(spec))).toEqual({
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: true, reason: NOT_ENFORCED_REASON },
    });
    const self = await answer("SelfSubjectAccessReview", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { nonResourceAttributes: { path: "/logs", verb: "get" } } });
    expect(self.status).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
  });

  it("anonymous subjects are refused except on the public paths", async () => {
    const out = await answer("SubjectAccessReview", sar({ resourceAttributes: { verb: "list", resource: "pods" }, user: "system:anonymous" }));
    expect((out.status as { allowed: boolean }).allowed).toBe(false);
    const health = await answer("SubjectAccessReview", sar({ nonResourceAttributes: { verb: "get", path: "/healthz" }, groups: ["system:unauthenticated"] }));
    expect((health.status as { allowed: boolean }).allowed).toBe(true);
  });

  it.each([
    ["neither attributes", "SubjectAccessReview", { user: "u" }, undefined, ['spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified']],
    ["both attributes", "SelfSubjectAccessReview", { resourceAttributes: {}, nonResourceAttributes: { path: "/x" } }, undefined, ['spec.nonResourceAttributes: Invalid value: {"path":"/x"}: exactly one of nonResourceAttributes or resourceAttributes must be specified']],
    ["no subject", "SubjectAccessReview", { resourceAttributes: {} }, undefined, ['spec.user: Invalid value: "": at least one of user or group must be specified']],
    ["a name", "SubjectAccessReview", { resourceAttributes: {}, user: "u" }, { name: "x" }, ['metadata: Invalid value: {"name":"x"}: must be empty']],
    ["managedFields and a null timestamp are fine", "SubjectAccessReview", { resourceAttributes: {}, user: "u" }, { creationTimestamp: null, managedFields: [{}] }, []],
    ["local: namespace mismatch", "LocalSubjectAccessReview", { resourceAttributes: { namespace: "b" }, user: "u" }, { namespace: "a" }, ['spec.resourceAttributes.namespace: Invalid value: "b": must match metadata.namespace']],
    ["local: labels", "LocalSubjectAccessReview", { resourceAttributes: { namespace: "a" }, user: "u" }, { namespace: "a", labels: { x: "y" } }, ['metadata: Invalid value: {"namespace":"a","labels":{"x":"y"}}: must be empty except for namespace']],
    ["local: non-resource", "LocalSubjectAccessReview", { nonResourceAttributes: {}, user: "u" }, { namespace: "a" }, ["spec.nonResourceAttributes: Invalid value: {}: disallowed on this kind of request"]],
  ] as const)("validation: %s", (_name, kind, spec, metadata, want) => {
    const errs = validateAccessReview(kind, { spec: spec as Record<string, unknown>, metadata: metadata as KubeObject["metadata"] });
    expect(errs.map((e) => `${e.field}: ${e.detail}`)).toEqual(want);
  });

  it("invalid reviews are 422 with kube's title", async () => {
    const err = await statusOf(answer("SubjectAccessReview", sar({ resourceAttributes: {} })));
    expect(err.code).toBe(422);
    expect(err.message).toBe('SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');
  });

  it("a LocalSubjectAccessReview takes the request's namespace; another one in the body is a 400", async () => {
    const local = (metadata?: Record<string, unknown>): KubeObject => ({ apiVersion: "authorization.k8s.io/v1", kind: "LocalSubjectAccessReview", metadata, spec: { resourceAttributes: { namespace: "team", verb: "get", resource: "pods" }, user: "u" } });
    expect((await answer("LocalSubjectAccessReview", local(), "team")).metadata).toEqual({ namespace: "team", creationTimestamp: null });
    expect((await statusOf(answer("LocalSubjectAccessReview", local({ namespace: "other" }), "team"))).code).toBe(400);
  });

  it("SelfSubjectRulesReview: everything, complete; a namespace is required", async () => {
    const out = await answer("SelfSubjectRulesReview", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "default" } });
    expect(out).toEqual({
      kind: "SelfSubjectRulesReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: {},
      status: { resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }], incomplete: false },
    });
    const err = await statusOf(answer("SelfSubjectRulesReview", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: {} }));
    expect([err.code, err.message]).toEqual([400, "no namespace on request"]);
  });
});

describe("protobuf bodies of the review kinds", () => {
  // Captured from kubectl 1.32 (`kubectl auth whoami`, `kubectl auth can-i create pods`).
  const WHOAMI = "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200";
  const CAN_I =
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577123f0a100a0012001a0022002a0032003800420012210a1f0a0764656661756c7412066372656174651a0022002a04706f647332003a001a08080012001a0020001a002200";

  it("kubectl auth whoami and can-i decode to their JSON", () => {
    expect(decodeKubeProtobuf(Buffer.from(WHOAMI, "hex"), "io.k8s.api.authentication.v1.SelfSubjectReview")).toEqual({
      kind: "SelfSubjectReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      status: { userInfo: {} },
    });
    expect(decodeKubeProtobuf(Buffer.from(CAN_I, "hex"), "io.k8s.api.authorization.v1.SelfSubjectAccessReview")).toMatchObject({
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } },
    });
  });

  it("a SubjectAccessReview's extra (map of ExtraValue) and a TokenReview's audiences", () => {
    const extra = (k: string, items: string[]): Field => [5, "msg", [[1, "string", k], [2, "msg", items.map((i): Field => [1, "string", i])]]];
    const body = kubeBody("authorization.k8s.io/v1", "SubjectAccessReview", [
      [2, "msg", [[1, "msg", [[2, "string", "get"], [5, "string", "pods"]]], [3, "string", "jane"], [4, "string", "devs"], extra("scopes", ["a", "b"]), extra("empty", []), [6, "string", "uid-1"]]],
    ]);
    expect(decodeKubeProtobuf(body, "io.k8s.api.authorization.v1.SubjectAccessReview")).toEqual({
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      spec: { resourceAttributes: { verb: "get", resource: "pods" }, user: "jane", groups: ["devs"], extra: { scopes: ["a", "b"], empty: [] }, uid: "uid-1" },
    });
    const tr = kubeBody("authentication.k8s.io/v1", "TokenReview", [[2, "msg", [[1, "string", "tok"], [2, "string", "vault"]]]]);
    expect(decodeKubeProtobuf(tr, "io.k8s.api.authentication.v1.TokenReview")).toEqual({ kind: "TokenReview", apiVersion: "authentication.k8s.io/v1", spec: { token: "tok", audiences: ["vault"] } });
  });
});
