import { describe, expect, it } from "vitest";
import { deploymentSchema } from "../testdata/schemas.js";
import { FieldSet, field, keyElement, parseElement, pathString, serializeElement, type Path } from "./fieldpath.js";
import { toFieldSet } from "./typed.js";

const p = (...names: string[]): Path => names.map(field);

describe("path elements", () => {
  it.each([
    [field("replicas"), "f:replicas"],
    [keyElement([["protocol", "TCP"], ["containerPort", 80]]), 'k:{"containerPort":80,"protocol":"TCP"}'],
    [{ kind: "value", value: "example.com/x" } as const, 'v:"example.com/x"'],
    [{ kind: "index", index: 2 } as const, "i:2"],
  ])("serializes %j as %s and parses it back", (pe, text) => {
    expect(serializeElement(pe)).toBe(text);
    expect(parseElement(text)).toEqual(pe);
  });

  it("prints paths like Kubernetes conflict messages", () => {
    expect(pathString([field("spec"), field("containers"), keyElement([["name", "web"]]), field("image")])).toBe('.spec.containers[name="web"].image');
    expect(pathString([field("metadata"), field("finalizers"), { kind: "value", value: "a" }])).toBe('.metadata.finalizers[="a"]');
  });
});

describe("FieldSet", () => {
  const a = FieldSet.of(p("spec", "replicas"), p("metadata", "labels", "app"), p("metadata", "labels"));
  const b = FieldSet.of(p("spec", "replicas"), p("spec", "paused"));

  it("set algebra", () => {
    expect(a.union(b).paths().map(pathString)).toEqual([".metadata.labels", ".metadata.labels.app", ".spec.paused", ".spec.replicas"]);
    expect(a.intersection(b).paths().map(pathString)).toEqual([".spec.replicas"]);
    expect(a.difference(b).paths().map(pathString)).toEqual([".metadata.labels", ".metadata.labels.app"]);
    expect(a.recursiveDifference(FieldSet.of(p("metadata"))).paths().map(pathString)).toEqual([".spec.replicas"]);
    expect(a.has(p("metadata", "labels"))).toBe(true);
    expect(a.has(p("metadata"))).toBe(false);
  });

  it("encodes FieldsV1 with '.' for members that also have children, and round-trips", () => {
    const json = a.toFieldsV1();
    expect(json).toEqual({ "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": { "f:replicas": {} } });
    expect(FieldSet.fromFieldsV1(json).toFieldsV1()).toEqual(json);
  });

  it("orders fields before keys before values before indices", () => {
    const s = FieldSet.of([{ kind: "index", index: 0 }], [{ kind: "value", value: "x" }], [keyElement([["name", "a"]])], [field("z")]);
    expect(Object.keys(s.toFieldsV1())).toEqual(["f:z", 'k:{"name":"a"}', 'v:"x"', "i:0"]);
  });
});

describe("toFieldSet", () => {
  it("records what an applied Deployment sets, as kubectl apply --server-side shows it", () => {
    const obj = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" }, finalizers: ["x"] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: { spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }] }] } },
      },
    };
    expect(toFieldSet(obj, deploymentSchema).toFieldsV1()).toEqual({
      "f:apiVersion": {},
      "f:kind": {},
      "f:metadata": { "f:finalizers": { 'v:"x"': {} }, "f:labels": { "f:app": {} }, "f:name": {} },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:spec": {
            "f:containers": {
              'k:{"name":"web"}': {
                ".": {},
                "f:image": {},
                "f:name": {},
                // protocol comes from the key's schema default
                "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } },
              },
            },
          },
        },
      },
    });
  });
});
