import { describe, expect, it } from "vitest";
import { ANONYMOUS_REASON, NOT_ENFORCED_REASON, PUBLIC_PATH_REASON, authorize, isPublicPath, rulesFor } from "./authz.js";

describe("isPublicPath", () => {
  it.each([
    ["/healthz", true],
    ["/livez/ping", true],
    ["/readyz", true],
    ["/version", true],
    ["/versions", false],
    ["/healthzz", false],
    ["/api", false],
    ["/", false],
  ])("%s → %s", (path, want) => {
    expect(isPublicPath(path)).toBe(want);
  });
});

describe("authorize", () => {
  const pods = { resource: { verb: "delete", resource: "pods", namespace: "kube-system" } };

  it("allows any authenticated user anything, saying RBAC is not enforced", () => {
    expect(authorize({ user: "jane" }, pods)).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
    expect(authorize({ groups: ["team"] }, { nonResource: { path: "/metrics", verb: "get" } })).toEqual({ allowed: true, reason: NOT_ENFORCED_REASON });
  });

  it("refuses anonymous users except reads of the public paths", () => {
    for (const subject of [{ user: "system:anonymous" }, { user: "x", groups: ["system:unauthenticated"] }]) {
      expect(authorize(subject, pods)).toEqual({ allowed: false, reason: ANONYMOUS_REASON });
      expect(authorize(subject, { nonResource: { path: "/api", verb: "get" } }).allowed).toBe(false);
      expect(authorize(subject, { nonResource: { path: "/healthz", verb: "post" } }).allowed).toBe(false);
      expect(authorize(subject, { nonResource: { path: "/readyz/", verb: "GET" } })).toEqual({ allowed: true, reason: PUBLIC_PATH_REASON });
      expect(authorize(subject, { nonResource: { path: "/version", verb: "head" } }).allowed).toBe(true);
    }
  });
});

describe("rulesFor", () => {
  it("is one rule allowing everything, complete", () => {
    expect(rulesFor()).toEqual({
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    });
  });
});
