// What the API server lets whom do, in one place. minicluster does not enforce RBAC yet: every
// authenticated request is allowed, and an unauthenticated one is answered only on the public
// health and version paths (Kubernetes' system:public-info-viewer). The access reviews
// (reviews.ts) report exactly this, so `kubectl auth can-i` and operators asking
// SubjectAccessReviews get the truth. Enforcing RBAC later means changing `authorize` and
// `rulesFor`, and calling `authorize` on the request path.

export const ANONYMOUS_USER = "system:anonymous";
export const UNAUTHENTICATED_GROUP = "system:unauthenticated";

export const NOT_ENFORCED_REASON = "minicluster does not enforce RBAC: every authenticated request is allowed";
export const PUBLIC_PATH_REASON = "public path: readable without credentials, as Kubernetes' system:public-info-viewer";
export const ANONYMOUS_REASON = "minicluster refuses unauthenticated requests (401) except GET on /healthz, /livez, /readyz and /version";

const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

/** Paths anyone may read, as Kubernetes' system:public-info-viewer role allows (with sub-checks such as /readyz/etcd). */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || path.startsWith("/healthz/") || path.startsWith("/livez/") || path.startsWith("/readyz/");
}

export interface Subject {
  user?: string;
  groups?: readonly string[];
}

/** A request as authorization.k8s.io's ResourceAttributes / NonResourceAttributes describe it. */
export type Attributes = { resource: { verb?: string; resource?: string; namespace?: string } } | { nonResource: { path?: string; verb?: string } };

export interface Decision {
  allowed: boolean;
  reason: string;
}

function isAnonymous(s: Subject): boolean {
  return s.user === ANONYMOUS_USER || (s.groups ?? []).includes(UNAUTHENTICATED_GROUP);
}

/** Whether `subject` may do what `attrs` describe, and why. */
export function authorize(subject: Subject, attrs: Attributes): Decision {
  if (!isAnonymous(subject)) return { allowed: true, reason: NOT_ENFORCED_REASON };
  if ("nonResource" in attrs) {
    const verb = (attrs.nonResource.verb ?? "").toLowerCase();
    const path = attrs.nonResource.path ?? "";
    if ((verb === "get" || verb === "head") && isPublicPath(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path)) {
      return { allowed: true, reason: PUBLIC_PATH_REASON };
    }
  }
  return { allowed: false, reason: ANONYMOUS_REASON };
}

export interface Rules {
  resourceRules: Array<{ verbs: string[]; apiGroups: string[]; resources: string[] }>;
  nonResourceRules: Array<{ verbs: string[]; nonResourceURLs: string[] }>;
  incomplete: boolean;
}

/** The rules an (authenticated) user holds in a namespace: everything, complete. */
export function rulesFor(): Rules {
  return {
    resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
    nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
    incomplete: false,
  };
}
