import { describe, it, expect } from "vitest";
import { decodeBody, mediaType } from "./index.js";
import { scanJson } from "./json-scan.js";
import { StatusError } from "../errors.js";

const b = (s: string) => Buffer.from(s, "utf8");

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("decodeBody (JSON)", () => {
  it("decodes objects and reports duplicate keys by path", () => {
    const body = '{"metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"x","image":"i","image":"j"}]}}';
    const r = decodeBody(b(body), "application/json; charset=utf-8");
    expect(r.duplicateFields).toEqual(["metadata.name", "spec.containers[0].image"]);
    expect(r.obj).toEqual({ metadata: { name: "b" }, spec: { containers: [{ name: "x", image: "j" }] } });
  });

  it("skips the duplicate scan when asked", () => {
    expect(decodeBody(b('{"a":1,"a":2}'), "application/json", { duplicates: false }).duplicateFields).toEqual([]);
  });

  it("treats escaped keys as the same key", () => {
    expect(decodeBody(b('{"a":1,"\\u0061":2}'), "application/json").duplicateFields).toEqual(["a"]);
  });

  it.each([
    ['{"a":}', "json: invalid character '}' looking for beginning of value (line 1, column 6)"],
    ['{"a":1', "json: unexpected end of JSON input (line 1, column 7)"],
    ["", "json: unexpected end of JSON input (line 1, column 1)"],
    ['{"a" 1}', "json: invalid character '1' after object key (line 1, column 6)"],
    ['{"a":1 "b":2}', "json: invalid character '\"' after object key:value pair (line 1, column 8)"],
    ['{\n  "a": [1 2]\n}', "json: invalid character '2' after array element (line 2, column 11)"],
    ['{"a":tru}', "json: invalid character '}' in literal true (expecting 'e') (line 1, column 9)"],
    ['{"a":-x}', "json: invalid character 'x' in numeric literal (line 1, column 7)"],
    ['{"a":1.}', "json: invalid character '}' after decimal point in numeric literal (line 1, column 8)"],
    ['{"a":"\\q"}', "json: invalid character 'q' in string escape code (line 1, column 8)"],
    ['{"a":"x\ny"}', "json: invalid character '\\n' in string literal (line 1, column 8)"],
    ["{a:1}", "json: invalid character 'a' looking for beginning of object key string (line 1, column 2)"],
    ['{"a":1} x', "json: invalid character 'x' after top-level value (line 1, column 9)"],
  ])("rejects %j", (body, message) => {
    const err = errorOf(() => decodeBody(b(body), "application/json"));
    expect(err.code).toBe(400);
    expect(err.reason).toBe("BadRequest");
    expect(err.message).toBe(message);
  });

  it("requires an object at the top level, except for JSON patches", () => {
    expect(errorOf(() => decodeBody(b("[1]"), "application/json")).message).toBe("json: cannot unmarshal array into Go value of type map[string]interface {}");
    expect(errorOf(() => decodeBody(b('"x"'), "application/merge-patch+json")).code).toBe(400);
    expect(decodeBody(b('[{"op":"remove","path":"/a"}]'), "application/json-patch+json").obj).toEqual([{ op: "remove", path: "/a" }]);
    expect(errorOf(() => decodeBody(b("{}"), "application/json-patch+json")).code).toBe(400);
  });

  it("answers 415 for media types it does not decode", () => {
    const err = errorOf(() => decodeBody(b("{}"), "text/plain"));
    expect(err.code).toBe(415);
    expect(err.reason).toBe("UnsupportedMediaType");
  });
});

describe("decodeBody (YAML)", () => {
  // go-yaml v2 reads YAML 1.1: yes/on/y are true (even as keys, which become "true") and 0644 is octal.
  it("decodes apply patches with YAML 1.1 scalars as Kubernetes reads them", () => {
    const body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  when: 12:30\n  at: 2024-01-01T00:00:00Z\nspec:\n  mode: 0644\n  on: yes\n  v: y\n  s: \"yes\"\n";
    const r = decodeBody(b(body), "application/apply-patch+yaml");
    expect(r.obj).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x" },
      data: { when: "12:30", at: "2024-01-01T00:00:00Z" },
      spec: { mode: 420, true: true, v: true, s: "yes" },
    });
    expect(r.duplicateFields).toEqual([]);
  });

  it("reports duplicate keys with paths, last value winning", () => {
    const body = "metadata:\n  name: a\n  name: b\nspec:\n  containers:\n  - name: x\n    name: z\n";
    const r = decodeBody(b(body), "application/yaml");
    expect(r.duplicateFields).toEqual(["metadata.name", "spec.containers[0].name"]);
    expect(r.obj).toEqual({ metadata: { name: "b" }, spec: { containers: [{ name: "z" }] } });
  });

  it("accepts a leading and a trailing document marker", () => {
    expect(decodeBody(b("---\na: 1\n---\n"), "application/yaml").obj).toEqual({ a: 1 });
  });

  it("rejects several documents", () => {
    const err = errorOf(() => decodeBody(b("a: 1\n---\nb: 2\n"), "application/yaml"));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/^yaml: .*more than one YAML document/);
  });

  it("names the line of a syntax error", () => {
    const err = errorOf(() => decodeBody(b("a: 1\nb:\n  c: d: e\n"), "application/yaml"));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/^yaml: line 3: /);
  });

  it("requires a mapping at the top level", () => {
    expect(errorOf(() => decodeBody(b("- a\n"), "application/yaml")).message).toBe("json: cannot unmarshal array into Go value of type map[string]interface {}");
  });
});

describe("scanJson", () => {
  it("finds nothing in valid JSON without duplicates", () => {
    expect(scanJson('{"a":[1,-2.5e3,true,false,null,{"b":"\\u00e9"}],"c":{}}')).toEqual({ duplicates: [] });
  });
  it("reports nested duplicates in arrays of objects", () => {
    expect(scanJson('[{"a":1,"a":2},{"a":1}]').duplicates).toEqual(["[0].a"]);
  });
});

describe("mediaType", () => {
  it("drops parameters and case", () => expect(mediaType("Application/JSON; charset=utf-8")).toBe("application/json"));
});
