// The review kinds of authentication.k8s.io/v1 and authorization.k8s.io/v1: create-only questions
// the API server answers on the spot and never stores (kube-apiserver's pkg/registry/
// authentication/{tokenreview,selfsubjectreview} and pkg/registry/authorization/*). Each answer is
// the request object with its status filled in, served with 201 like any create; checks and
// messages follow those registries and pkg/apis/authorization/validation.

import { badRequest, fieldInvalid, invalid, type FieldError } from "../../api/errors.js";
import type { KubeObject, ObjectMetaLike, ResourceDef } from "../../api/registry/types.js";
import { TokenRejected } from "../serviceaccount/token.js";
import type { ServiceAccountTokens } from "../serviceaccount/tokens.js";
import { authorize, rulesFor, type Attributes, type Subject } from "./authz.js";
import type { Caller } from "./rest.js";

const AUTHN_GROUP = "authentication.k8s.io";
const AUTHZ_GROUP = "authorization.k8s.io";

/** The kinds served here, by "group/Kind". */
const REVIEW_KINDS = new Set([
  `${AUTHN_GROUP}/TokenReview`,
  `${AUTHN_GROUP}/SelfSubjectReview`,
  `${AUTHZ_GROUP}/SubjectAccessReview`,
  `${AUTHZ_GROUP}/SelfSubjectAccessReview`,
  `${AUTHZ_GROUP}/LocalSubjectAccessReview`,
  `${AUTHZ_GROUP}/SelfSubjectRulesReview`,
]);

export function isReview(r: Pick<ResourceDef, "group" | "kind">): boolean {
  return REVIEW_KINDS.has(`${r.group}/${r.kind}`);
}

export interface ReviewDeps {
  /** Verifies ServiceAccount tokens for TokenReview; absent: reviews come back without a status, as kube-apiserver without a token authenticator. */
  serviceAccountTokens?: ServiceAccountTokens;
  now?: () => Date;
}

/** UserInfo (authentication.k8s.io/v1) as Go's JSON encoding writes it: empty fields left out. */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface AccessReviewSpec {
  resourceAttributes?: Record<string, unknown> | null;
  nonResourceAttributes?: Record<string, unknown> | null;
  user?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  uid?: string;
}

/** Answers a create of a review kind; `ns` is the request's namespace (LocalSubjectAccessReview only). */
export async function answerReview(deps: ReviewDeps, r: ResourceDef, ns: string, obj: KubeObject, caller: Caller): Promise<KubeObject> {
  const meta = (obj.metadata ??= {});
  // kube's create handler: a namespaced object takes the request's namespace, a cluster-scoped one loses any.
  if (r.namespaced) {
    if (meta.namespace && meta.namespace !== ns) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    meta.namespace = ns;
  } else {
    delete meta.namespace;
  }
  switch (r.kind) {
    case "TokenReview":
      return tokenReview(deps, obj);
    case "SelfSubjectReview":
      return selfSubjectReview(caller, (deps.now ?? (() => new Date()))());
    case "SubjectAccessReview":
    case "LocalSubjectAccessReview":
    case "SelfSubjectAccessReview": {
      const errs = validateAccessReview(r.kind, obj);
      if (errs.length) throw invalid(r.kind, AUTHZ_GROUP, "", errs);
      const spec = obj.spec as AccessReviewSpec;
      const subject: Subject = r.kind === "SelfSubjectAccessReview" ? { user: caller.user, groups: caller.groups } : { user: spec.user, groups: spec.groups };
      return withStatus(obj, accessReviewStatus(subject, spec));
    }
    case "SelfSubjectRulesReview":
      return selfSubjectRulesReview(obj);
    default:
      throw new Error(`${r.kind} is not a review kind`);
  }
}

/** Metadata as Go encodes an ObjectMeta nothing filled in: creationTimestamp is the zero time, written as null. */
function zeroMeta(meta?: ObjectMetaLike): ObjectMetaLike {
  return { ...meta, creationTimestamp: meta?.creationTimestamp ?? (null as unknown as string) };
}

/** The object as kube-apiserver echoes it, with its status. */
function withStatus(obj: KubeObject, status: Record<string, unknown>): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = obj;
  return { kind, apiVersion, metadata: zeroMeta(metadata), ...rest, status };
}

async function tokenReview(deps: ReviewDeps, obj: KubeObject): Promise<KubeObject> {
  const spec = (obj.spec ?? {}) as { token?: string; audiences?: string[] };
  if (!spec.token) throw badRequest("token is required for TokenReview in authentication");
  const tokens = deps.serviceAccountTokens;
  if (!tokens) return withStatus(obj, {});
  const audiences = spec.audiences?.length ? spec.audiences : [...tokens.apiAudiences];
  try {
    const { user, audiences: matched } = await tokens.authenticateFor(spec.token, audiences);
    return withStatus(obj, { authenticated: true, user: userInfo(user.name, user.groups, user.uid, user.extra), audiences: matched });
  } catch (err) {
    if (!(err instanceof TokenRejected)) throw err;
    return withStatus(obj, tokenReviewFailure(err.message));
  }
}

/** The status of a refused token, as kube-apiserver's bearer-token authenticator words it. */
export function tokenReviewFailure(reason: string): Record<string, unknown> {
  return { user: {}, error: `[invalid bearer token, ${reason}]` };
}

export function userInfo(username: string, groups: readonly string[], uid?: string, extra?: Record<string, string[]>): UserInfo {
  const out: UserInfo = { username };
  if (uid) out.uid = uid;
  if (groups.length) out.groups = [...groups];
  if (extra && Object.keys(extra).length) out.extra = structuredClone(extra);
  return out;
}

/** A SelfSubjectReview is a new object: the caller as the API server authenticated it. */
export function selfSubjectReview(caller: Pick<Caller, "user" | "groups" | "uid" | "extra">, now: Date): KubeObject {
  return {
    kind: "SelfSubjectReview",
    apiVersion: `${AUTHN_GROUP}/v1`,
    metadata: { creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, "Z") },
    status: { userInfo: userInfo(caller.user, caller.groups, caller.uid, caller.extra) },
  };
}

/** Whether metadata carries anything but zero values (managedFields, and `except` keys, aside). */
function metadataSet(meta: Record<string, unknown> | undefined, except: string[]): boolean {
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (k === "managedFields" || except.includes(k)) continue;
    if (v === null || v === undefined || v === "" || v === 0) continue;
    if (typeof v === "object" && Object.keys(v).length === 0) continue;
    return true;
  }
  return false;
}

/** pkg/apis/authorization/validation for the three access review kinds. */
export function validateAccessReview(kind: "SubjectAccessReview" | "LocalSubjectAccessReview" | "SelfSubjectAccessReview", obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as AccessReviewSpec;
  const errs: FieldError[] = [];
  const { resourceAttributes: ra, nonResourceAttributes: nra } = spec;
  const exactlyOne = "exactly one of nonResourceAttributes or resourceAttributes must be specified";
  if (ra && nra) errs.push(fieldInvalid("spec.nonResourceAttributes", nra, exactlyOne));
  if (!ra && !nra) errs.push(fieldInvalid("spec.resourceAttributes", "null", exactlyOne));
  if (kind !== "SelfSubjectAccessReview" && !spec.user && !spec.groups?.length) {
    errs.push(fieldInvalid("spec.user", spec.user ?? "", "at least one of user or group must be specified"));
  }
  const meta = obj.metadata;
  if (kind === "LocalSubjectAccessReview") {
    if (metadataSet(meta, ["namespace"])) errs.push(fieldInvalid("metadata", meta, "must be empty except for namespace"));
    if (ra && (ra.namespace ?? "") !== (meta?.namespace ?? "")) errs.push(fieldInvalid("spec.resourceAttributes.namespace", ra.namespace ?? "", "must match metadata.namespace"));
    if (nra) errs.push(fieldInvalid("spec.nonResourceAttributes", nra, "disallowed on this kind of request"));
  } else if (metadataSet(meta, [])) {
    errs.push(fieldInvalid("metadata", meta, "must be empty"));
  }
  return errs;
}

/** SubjectAccessReviewStatus for a validated spec: allowed and reason from the authorizer (authz.ts). */
export function accessReviewStatus(subject: Subject, spec: AccessReviewSpec): Record<string, unknown> {
  const attrs: Attributes = spec.resourceAttributes ? { resource: spec.resourceAttributes } : { nonResource: spec.nonResourceAttributes ?? {} };
  const d = authorize(subject, attrs);
  return d.reason ? { allowed: d.allowed, reason: d.reason } : { allowed: d.allowed };
}

/** A SelfSubjectRulesReview answer is a new object with the caller's rules (authz.ts) in the namespace asked about. */
function selfSubjectRulesReview(obj: KubeObject): KubeObject {
  const ns = (obj.spec as { namespace?: string } | undefined)?.namespace;
  if (!ns) throw badRequest("no namespace on request");
  const rules = rulesFor();
  return {
    kind: "SelfSubjectRulesReview",
    apiVersion: `${AUTHZ_GROUP}/v1`,
    metadata: zeroMeta(),
    spec: {},
    status: { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete },
  };
}
