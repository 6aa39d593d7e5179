import { describe, expect, it } from "vitest";
import { StatusError } from "../errors.js";
import { jsonPatch } from "./json-patch.js";

const pod = () => ({ metadata: { name: "p", labels: { app: "web" } }, spec: { containers: [{ name: "a", image: "x" }] } });

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return { code: err.code, reason: err.status.reason ?? "", message: err.message };
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("jsonPatch", () => {
  it.each([
    ["add", [{ op: "add", path: "/metadata/labels/tier", value: "fe" }], { app: "web", tier: "fe" }],
    ["replace", [{ op: "replace", path: "/metadata/labels/app", value: "db" }], { app: "db" }],
    ["remove", [{ op: "remove", path: "/metadata/labels/app" }], {}],
    ["test then replace", [{ op: "test", path: "/metadata/labels/app", value: "web" }, { op: "replace", path: "/metadata/labels/app", value: "x" }], { app: "x" }],
  ])("applies %s", (_name, ops, labels) => {
    expect(jsonPatch(pod(), ops).metadata.labels).toEqual(labels);
  });

  it("appends to a list with the - index and copies/moves values", () => {
    const out = jsonPatch(pod(), [
      { op: "add", path: "/spec/containers/-", value: { name: "b", image: "y" } },
      { op: "copy", from: "/metadata/name", path: "/metadata/generateName" },
      { op: "move", from: "/metadata/labels/app", path: "/metadata/labels/role" },
    ]);
    expect(out.spec.containers.map((c) => c.name)).toEqual(["a", "b"]);
    expect(out.metadata).toMatchObject({ generateName: "p", labels: { role: "web" } });
  });

  it("does not mutate its input", () => {
    const input = pod();
    jsonPatch(input, [{ op: "remove", path: "/metadata/labels" }]);
    expect(input).toEqual(pod());
  });

  it.each([
    ["a failing test", [{ op: "test", path: "/metadata/name", value: "other" }]],
    ["a missing path", [{ op: "remove", path: "/metadata/annotations/x" }]],
    ["replace of a missing key", [{ op: "replace", path: "/spec/nodeName", value: "n" }]],
    ["an unknown op", [{ op: "frobnicate", path: "/metadata/name" }]],
    ["add without value", [{ op: "add", path: "/metadata/x" }]],
  ])("answers 422 Invalid with kube's generic message for %s", (_name, ops) => {
    expect(statusOf(() => jsonPatch(pod(), ops))).toEqual({
      code: 422,
      reason: "Invalid",
      message: "the server rejected our request due to an error in our request",
    });
  });

  it.each([
    [{ op: "add" }, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"],
    ["x", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"],
    [["x"], "json: cannot unmarshal string into Go value of type jsonpatch.Operation"],
  ])("answers 400 BadRequest for an undecodable patch %j", (patch, message) => {
    expect(statusOf(() => jsonPatch(pod(), patch))).toEqual({ code: 400, reason: "BadRequest", message });
  });

  it("refuses more than 10000 operations with 413", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "/metadata/name", value: "p" }));
    expect(statusOf(() => jsonPatch(pod(), ops)).code).toBe(413);
  });
});
