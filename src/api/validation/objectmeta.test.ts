import { describe, expect, it } from "vitest";
import type { ObjectMetaLike } from "../registry/types.js";
import { nameIsDNS1035Label } from "./names.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "./objectmeta.js";

const pairs = (errs: { type: string; field: string }[]) => errs.map((e) => [e.type, e.field]);

describe("validateObjectMeta", () => {
  const ok: ObjectMetaLike = { name: "web", namespace: "default" };
  const cases: Array<[string, ObjectMetaLike, boolean, Array<[string, string]>]> = [
    ["valid", ok, true, []],
    ["missing name", { namespace: "default" }, true, [["FieldValueRequired", "metadata.name"]]],
    ["bad name", { name: "Bad_Name", namespace: "default" }, true, [["FieldValueInvalid", "metadata.name"]]],
    ["bad generateName", { name: "x", generateName: "Bad_", namespace: "default" }, true, [["FieldValueInvalid", "metadata.generateName"]]],
    ["missing namespace", { name: "x" }, true, [["FieldValueRequired", "metadata.namespace"]]],
    ["namespace on cluster-scoped", { name: "x", namespace: "default" }, false, [["FieldValueForbidden", "metadata.namespace"]]],
    ["bad namespace", { name: "x", namespace: "Bad" }, true, [["FieldValueInvalid", "metadata.namespace"]]],
    ["bad label key", { ...ok, labels: { "a/b/c": "x" } }, true, [["FieldValueInvalid", "metadata.labels"]]],
    ["bad label value", { ...ok, labels: { app: "-x" } }, true, [["FieldValueInvalid", "metadata.labels"]]],
    ["bad annotation key", { ...ok, annotations: { "-bad": "x" } }, true, [["FieldValueInvalid", "metadata.annotations"]]],
    ["annotations too large", { ...ok, annotations: { big: "x".repeat(256 * 1024) } }, true, [["FieldValueTooLong", "metadata.annotations"]]],
    ["bad finalizer", { ...ok, finalizers: ["a/b/c"] }, true, [["FieldValueInvalid", "metadata.finalizers"]]],
    ["negative generation", { ...ok, generation: -1 }, true, [["FieldValueInvalid", "metadata.generation"]]],
    [
      "owner reference fields",
      { ...ok, ownerReferences: [{ apiVersion: "", kind: "", name: "", uid: "" }] },
      true,
      [
        ["FieldValueInvalid", "metadata.ownerReferences.apiVersion"],
        ["FieldValueInvalid", "metadata.ownerReferences.kind"],
        ["FieldValueInvalid", "metadata.ownerReferences.name"],
        ["FieldValueInvalid", "metadata.ownerReferences.uid"],
      ],
    ],
    [
      "two controllers",
      {
        ...ok,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "2", controller: true },
        ],
      },
      true,
      [["FieldValueInvalid", "metadata.ownerReferences"]],
    ],
    ["event as owner", { ...ok, ownerReferences: [{ apiVersion: "v1", kind: "Event", name: "e", uid: "1" }] }, true, [["FieldValueInvalid", "metadata.ownerReferences"]]],
  ];
  it.each(cases)("%s", (_n, meta, namespaced, expected) => {
    expect(pairs(validateObjectMeta(meta, { namespaced }))).toEqual(expected);
  });

  it("prints the Kubernetes message for a bad name", () => {
    const [err] = validateObjectMeta({ name: "Bad_Name", namespace: "default" }, { namespaced: true });
    expect(err.detail).toBe(
      `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    expect(validateObjectMeta({ name: "x" }, { namespaced: true })[0].detail).toBe("Required value");
    expect(validateObjectMeta({}, { namespaced: false })[0].detail).toBe("Required value: name or generateName is required");
  });

  it("uses the kind's name format", () => {
    expect(pairs(validateObjectMeta({ name: "1svc", namespace: "d" }, { namespaced: true, nameFn: nameIsDNS1035Label }))).toEqual([["FieldValueInvalid", "metadata.name"]]);
  });
});

describe("validateObjectMetaUpdate", () => {
  const old: ObjectMetaLike = { name: "a", namespace: "d", uid: "u1", creationTimestamp: "2024-01-01T00:00:00Z", generation: 2, finalizers: ["x.io/f"] };
  const cases: Array<[string, ObjectMetaLike, Array<[string, string]>]> = [
    ["unchanged", { ...old }, []],
    ["name changed", { ...old, name: "b" }, [["FieldValueInvalid", "metadata.name"]]],
    ["namespace changed", { ...old, namespace: "e" }, [["FieldValueInvalid", "metadata.namespace"]]],
    ["uid changed", { ...old, uid: "u2" }, [["FieldValueInvalid", "metadata.uid"]]],
    ["creationTimestamp changed", { ...old, creationTimestamp: "2025-01-01T00:00:00Z" }, [["FieldValueInvalid", "metadata.creationTimestamp"]]],
    ["generation decremented", { ...old, generation: 1 }, [["FieldValueInvalid", "metadata.generation"]]],
  ];
  it.each(cases)("%s", (_n, meta, expected) => {
    expect(pairs(validateObjectMetaUpdate(meta, old))).toEqual(expected);
  });

  it("refuses new finalizers once deletion started", () => {
    const deleting = { ...old, deletionTimestamp: "2024-02-01T00:00:00Z" };
    const errs = validateObjectMetaUpdate({ ...deleting, finalizers: ["x.io/f", "y.io/g"] }, deleting);
    expect(errs).toEqual([
      {
        type: "FieldValueForbidden",
        field: "metadata.finalizers",
        detail: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"y.io/g"}',
      },
    ]);
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).toEqual([]);
  });

  it("says field is immutable", () => {
    expect(validateObjectMetaUpdate({ ...old, name: "b" }, old)[0].detail).toBe('Invalid value: "b": field is immutable');
  });
});
