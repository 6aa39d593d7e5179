import { describe, expect, it } from "vitest";
import { StatusError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { escapeFieldValue, fieldRequiresExactMatch, fieldSelectorFields, parseFieldRequirements, parseFieldSelector } from "./fields.js";

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "shop" },
  spec: { nodeName: "node-a", restartPolicy: "Always", schedulerName: "default-scheduler", serviceAccountName: "default" },
  status: { phase: "Running", podIP: "10.0.0.5", podIPs: [{ ip: "10.0.0.5" }, { ip: "fd00::5" }] },
};

describe("field selector syntax", () => {
  it.each([
    ["a=b", [{ field: "a", operator: "=", value: "b" }]],
    ["a==b", [{ field: "a", operator: "==", value: "b" }]],
    ["a!=b", [{ field: "a", operator: "!=", value: "b" }]],
    ["b=2,a=1", [{ field: "a", operator: "=", value: "1" }, { field: "b", operator: "=", value: "2" }]],
    ["a=x\\,y\\=z\\\\", [{ field: "a", operator: "=", value: "x,y=z\\" }]],
    ["a=", [{ field: "a", operator: "=", value: "" }]],
    [",,", []],
  ])("%j", (sel, reqs) => {
    expect(parseFieldRequirements(sel)).toEqual(reqs);
  });

  it.each([
    ["abc", "invalid selector: 'abc'; can't understand 'abc'"],
    ["a=b=c", "invalid field selector: unescaped character in value: 61"],
    ["a=b\\x", "invalid field selector: invalid escape sequence: \\x"],
    ["a=b\\", "invalid field selector: invalid escape sequence: \\"],
  ])("%j fails with %j", (sel, message) => {
    const err = errorOf(() => parseFieldRequirements(sel));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });

  it("escapes values in the canonical form", () => {
    expect(escapeFieldValue("a,b=c\\")).toBe("a\\,b\\=c\\\\");
    expect(parseFieldSelector("metadata.name=x\\,y", "v1/ConfigMap").toString()).toBe("metadata.name=x\\,y");
  });
});

describe("field selectors per kind", () => {
  it.each([
    ["spec.nodeName=node-a", true],
    ["spec.nodeName!=node-a", false],
    ["spec.nodeName=", false],
    ["status.phase=Running,metadata.namespace=shop", true],
    ["status.podIP=10.0.0.5", true],
    ["spec.hostNetwork=false", true],
    ["spec.host=node-a", true],
    ["status.nominatedNodeName=", true],
    ["metadata.name==web-1", true],
  ])("Pod %j → %s", (sel, want) => {
    expect(parseFieldSelector(sel, "v1/Pod").matches(pod)).toBe(want);
  });

  it("renames the legacy spec.host label", () => {
    const m = parseFieldSelector("spec.host=node-a", "v1/Pod");
    expect(m.toString()).toBe("spec.nodeName=node-a");
    expect(fieldRequiresExactMatch(m, "spec.nodeName")).toBe("node-a");
  });

  it.each([
    ["v1/Pod", "spec.containers=x", "field label not supported: spec.containers"],
    ["v1/Node", "metadata.namespace=x", "field label not supported: metadata.namespace"],
    ["v1/ConfigMap", "data.x=y", '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ["events.k8s.io/v1/Event", "source=kubelet", "field label not supported: source"],
  ])("%s rejects %j", (kind, sel, message) => {
    const err = errorOf(() => parseFieldSelector(sel, kind));
    expect(err.code).toBe(400);
    expect(err.reason).toBe("BadRequest");
    expect(err.message).toBe(message);
  });

  it("matches core and events.k8s.io events on their own field names", () => {
    const core: KubeObject = {
      metadata: { name: "e1", namespace: "shop" },
      involvedObject: { kind: "Pod", name: "web-1", namespace: "shop" },
      reason: "Started",
      type: "Normal",
      source: { component: "kubelet" },
    };
    expect(parseFieldSelector("involvedObject.kind=Pod,involvedObject.name=web-1,source=kubelet", "v1/Event").matches(core)).toBe(true);
    const v1: KubeObject = {
      metadata: { name: "e2", namespace: "shop" },
      regarding: { kind: "Node", name: "n1" },
      reportingController: "node-controller",
      type: "Warning",
    };
    expect(parseFieldSelector("regarding.kind=Node,reportingController=node-controller,type=Warning", "events.k8s.io/v1/Event").matches(v1)).toBe(true);
    expect(parseFieldSelector("source=node-controller", "v1/Event").matches(v1)).toBe(true);
  });

  it("prints numbers and booleans the way Go does", () => {
    expect(fieldSelectorFields["apps/v1/ReplicaSet"]["status.replicas"]({ status: {} })).toBe("0");
    expect(fieldSelectorFields["batch/v1/Job"]["status.successful"]({ status: { succeeded: 3 } })).toBe("3");
    expect(fieldSelectorFields["v1/Node"]["spec.unschedulable"]({ spec: { unschedulable: true } })).toBe("true");
  });

  it("accepts a custom field set (custom resources with selectableFields)", () => {
    const m = parseFieldSelector("spec.color=red", "example.com/v1/Widget", { fields: { "spec.color": (o) => (o.spec as { color?: string }).color } });
    expect(m.matches({ spec: { color: "red" } })).toBe(true);
    expect(errorOf(() => parseFieldSelector("spec.size=1", "example.com/v1/Widget", { fields: {} })).message).toBe(
      "field label not supported: spec.size",
    );
  });

  it("bounds the number of requirements", () => {
    const sel = Array.from({ length: 101 }, (_, i) => `metadata.name=n${i}`).join(",");
    expect(errorOf(() => parseFieldSelector(sel, "v1/Pod")).message).toBe("field selector has more than 100 requirements");
  });
});
