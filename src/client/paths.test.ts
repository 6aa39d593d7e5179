import { describe, expect, it } from "vitest";
import { queryString, resourcePath } from "./paths.js";

const pods = { group: "", version: "v1", plural: "pods", namespaced: true };
const nodes = { group: "", version: "v1", plural: "nodes", namespaced: false };
const leases = { group: "coordination.k8s.io", version: "v1", plural: "leases", namespaced: true };

describe("resourcePath", () => {
  it.each([
    [pods, {}, "/api/v1/pods"],
    [pods, { namespace: "default" }, "/api/v1/namespaces/default/pods"],
    [pods, { namespace: "default", name: "web", subresource: "status" }, "/api/v1/namespaces/default/pods/web/status"],
    [nodes, { name: "n1" }, "/api/v1/nodes/n1"],
    [nodes, { namespace: "ignored", name: "n1", subresource: "status" }, "/api/v1/nodes/n1/status"],
    [leases, { namespace: "kube-node-lease", name: "n1" }, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"],
    [nodes, { name: "a b/c" }, "/api/v1/nodes/a%20b%2Fc"],
  ])("%o %o → %s", (r, parts, want) => {
    expect(resourcePath(r, parts)).toBe(want);
  });

  it("refuses a namespaced name without a namespace, and an empty name", () => {
    expect(() => resourcePath(pods, { name: "web" })).toThrow(/namespaced/);
    expect(() => resourcePath(nodes, { name: "" })).toThrow(/empty name/);
  });
});

describe("queryString", () => {
  it("drops undefined and empty values and escapes the rest", () => {
    expect(queryString({})).toBe("");
    expect(queryString({ a: undefined, b: "" })).toBe("");
    expect(queryString({ labelSelector: "app=web,tier!=db", limit: 5, watch: true })).toBe("?labelSelector=app%3Dweb%2Ctier%21%3Ddb&limit=5&watch=true");
  });
});
