import { describe, expect, it } from "vitest";
import { parseRequestInfo } from "./request-info.js";

const q = (s = "") => new URLSearchParams(s);

describe("parseRequestInfo", () => {
  it.each([
    ["GET", "/api/v1/pods", "", { verb: "list", resource: "pods", namespace: "", name: "" }],
    ["GET", "/api/v1/namespaces/default/pods", "", { verb: "list", resource: "pods", namespace: "default" }],
    ["GET", "/api/v1/namespaces/default/pods/web", "", { verb: "get", resource: "pods", name: "web" }],
    ["GET", "/api/v1/namespaces/default/pods", "watch=true", { verb: "watch", resource: "pods" }],
    ["GET", "/api/v1/watch/namespaces/default/pods", "", { verb: "watch", resource: "pods", namespace: "default" }],
    ["PUT", "/api/v1/namespaces/default/pods/web/status", "", { verb: "update", subresource: "status", name: "web" }],
    ["POST", "/api/v1/namespaces/default/pods/web/binding", "", { verb: "create", subresource: "binding" }],
    ["GET", "/api/v1/namespaces/kube-system", "", { verb: "get", resource: "namespaces", name: "kube-system", namespace: "" }],
    ["PUT", "/api/v1/namespaces/x/finalize", "", { verb: "update", resource: "namespaces", name: "x", subresource: "finalize" }],
    ["GET", "/apis/apps/v1/namespaces/ns1/deployments/d/scale", "", { group: "apps", version: "v1", subresource: "scale" }],
    ["DELETE", "/apis/apps/v1/namespaces/ns1/deployments", "", { verb: "deletecollection" }],
    ["DELETE", "/api/v1/nodes/n1", "", { verb: "delete", resource: "nodes", name: "n1" }],
  ])("%s %s?%s", (method, path, query, want) => {
    const info = parseRequestInfo(method, path, q(query));
    expect(info.isResourceRequest).toBe(true);
    expect(info).toMatchObject(want);
  });

  it("treats discovery paths as non-resource requests", () => {
    expect(parseRequestInfo("GET", "/apis/apps/v1", q())).toMatchObject({ isResourceRequest: false, group: "apps", version: "v1" });
    expect(parseRequestInfo("GET", "/api", q()).isResourceRequest).toBe(false);
    expect(parseRequestInfo("GET", "/healthz", q()).isResourceRequest).toBe(false);
  });
});
