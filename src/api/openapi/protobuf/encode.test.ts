import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RESOURCES } from "../../registry/resources.js";
import { buildOpenApiV2 } from "../v2.js";
import { decodeOpenApiV2Protobuf, encodeOpenApiV2Protobuf } from "./index.js";

// ---- Wire-level checks: field numbers as gnostic's OpenAPIv2.proto assigns them, read from the
// raw bytes without our .proto, so a wrong number in schema.ts cannot go unnoticed. ----

interface WireField {
  no: number;
  bytes?: Uint8Array;
  varint?: number;
}

function wireFields(bytes: Uint8Array): WireField[] {
  const r = protobuf.Reader.create(bytes);
  const out: WireField[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const no = tag >>> 3;
    switch (tag & 7) {
      case 0:
        out.push({ no, varint: r.uint32() });
        break;
      case 1:
        r.double();
        out.push({ no });
        break;
      case 2:
        out.push({ no, bytes: r.bytes() });
        break;
      default:
        throw new Error(`unexpected wire type ${tag & 7}`);
    }
  }
  return out;
}

/** Descends through length-delimited fields: each step is a field number (first occurrence). */
function sub(bytes: Uint8Array, ...path: number[]): Uint8Array {
  let cur = bytes;
  for (const no of path) {
    const f = wireFields(cur).find((x) => x.no === no && x.bytes);
    if (!f?.bytes) throw new Error(`no field ${no} on the way ${path.join(".")}`);
    cur = f.bytes;
  }
  return cur;
}
const numbers = (bytes: Uint8Array) => [...new Set(wireFields(bytes).map((f) => f.no))].sort((a, b) => a - b);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

describe("encodeOpenApiV2Protobuf: wire format", () => {
  it("encodes the smallest document byte for byte", () => {
    const bytes = encodeOpenApiV2Protobuf({ swagger: "2.0", info: { title: "T", version: "v" }, paths: {} });
    // swagger=1 "2.0"; info=2 {title=1 "T", version=2 "v"}; paths=8 (present, empty)
    expect([...bytes]).toEqual([0x0a, 3, 0x32, 0x2e, 0x30, 0x12, 6, 0x0a, 1, 0x54, 0x12, 1, 0x76, 0x42, 0]);
  });

  it("numbers schema fields as gnostic does", () => {
    const bytes = encodeOpenApiV2Protobuf({
      swagger: "2.0",
      info: { title: "T", version: "v" },
      paths: {},
      definitions: {
        S: {
          description: "d",
          type: "object",
          required: ["a"],
          properties: { a: { type: "array", items: { $ref: "#/definitions/R" } }, m: { type: "object", additionalProperties: { type: "string", enum: ["x"] } } },
          "x-kubernetes-patch-merge-key": "name",
        },
      },
    });
    const schema = sub(bytes, 9, 1, 2); // Document.definitions → Definitions.additional_properties → NamedSchema.value
    expect(text(sub(bytes, 9, 1, 1))).toBe("S");
    // description 4, required 19, type 22, properties 25, vendor_extension 31
    expect(numbers(schema)).toEqual([4, 19, 22, 25, 31]);
    expect(text(sub(schema, 22, 1))).toBe("object"); // TypeItem.value 1
    expect(text(sub(schema, 31, 1))).toBe("x-kubernetes-patch-merge-key"); // NamedAny.name 1
    expect(text(sub(schema, 31, 2, 2))).toBe("name\n"); // NamedAny.value 2 → Any.yaml 2
    const a = sub(schema, 25, 1, 2); // Properties.additional_properties 1 → NamedSchema.value 2
    expect(numbers(a)).toEqual([22, 23]); // type, items
    expect(text(sub(a, 23, 1, 1))).toBe("#/definitions/R"); // ItemsItem.schema 1 → Schema._ref 1
    const props = wireFields(sub(schema, 25)).filter((f) => f.no === 1);
    const m = sub(props[1].bytes as Uint8Array, 2);
    expect(numbers(m)).toEqual([21, 22]); // additional_properties, type
    const values = sub(m, 21, 1); // AdditionalPropertiesItem.schema 1
    expect(numbers(values)).toEqual([20, 22]); // enum 20
    expect(text(sub(values, 20, 2))).toBe("x\n");
  });

  it("numbers paths, operations and parameters as gnostic does", () => {
    const bytes = encodeOpenApiV2Protobuf({
      swagger: "2.0",
      info: { title: "T", version: "v" },
      paths: {
        "/api/v1/namespaces/{namespace}/pods": {
          post: {
            tags: ["core_v1"],
            operationId: "createPod",
            parameters: [
              { name: "body", in: "body", required: true, schema: { $ref: "#/definitions/Pod" } },
              { uniqueItems: true, type: "string", name: "fieldValidation", in: "query" },
            ],
            responses: { "201": { description: "Created", schema: { $ref: "#/definitions/Pod" } } },
            "x-kubernetes-action": "post",
          },
          parameters: [{ type: "string", name: "namespace", in: "path", required: true }],
        },
      },
      securityDefinitions: { BearerToken: { type: "apiKey", name: "authorization", in: "header" } },
      security: [{ BearerToken: [] }],
    });
    expect(numbers(bytes)).toEqual([1, 2, 8, 12, 13]);
    const item = sub(bytes, 8, 2, 2); // Paths.path 2 → NamedPathItem.value 2
    expect(numbers(item)).toEqual([4, 9]); // post, parameters
    const op = sub(item, 4);
    expect(numbers(op)).toEqual([1, 5, 8, 9, 13]);
    const [body, query] = wireFields(op).filter((f) => f.no === 8);
    // ParametersItem.parameter 1 → Parameter.body_parameter 1 → BodyParameter.schema 5 → _ref 1
    expect(text(sub(body.bytes as Uint8Array, 1, 1, 5, 1))).toBe("#/definitions/Pod");
    // … Parameter.non_body_parameter 2 → query_parameter_sub_schema 3: in 2, name 4, type 6, unique_items 20
    const q = sub(query.bytes as Uint8Array, 1, 2, 3);
    expect(numbers(q)).toEqual([2, 4, 6, 20]);
    expect(text(sub(q, 4))).toBe("fieldValidation");
    // path_parameter_sub_schema 4: required 1 is a varint 1
    const p = sub(item, 9, 1, 2, 4);
    expect(wireFields(p).find((f) => f.no === 1)?.varint).toBe(1);
    // Responses.response_code 1 → NamedResponseValue.value 2 → ResponseValue.response 1 → Response.schema 2 → SchemaItem.schema 1
    expect(text(sub(op, 9, 1, 1))).toBe("201");
    expect(text(sub(op, 9, 1, 2, 1, 2, 1, 1))).toBe("#/definitions/Pod");
    // security 12 → NamedStringArray 1 → name 1; security_definitions 13 → item 1 → value 2 → api_key_security 2 → name 2
    expect(text(sub(bytes, 12, 1, 1))).toBe("BearerToken");
    expect(text(sub(bytes, 13, 1, 2, 2, 2))).toBe("authorization");
  });
});

// ---- The real document round-trips through encode and decode. ----

type Json = Record<string, unknown>;
interface Decoded {
  [k: string]: unknown;
}

/** Decoded gnostic Schema back to Swagger JSON, for the keys our generated definitions use. */
function schemaJson(s: Decoded): Json {
  const out: Json = {};
  if (s.description) out.description = s.description;
  if (s.type) out.type = (s.type as { value: string[] }).value[0];
  if (s.format) out.format = s.format;
  if (s._ref) out.$ref = s._ref;
  if (s.required) out.required = s.required;
  if (s.enum) out.enum = (s.enum as Array<{ yaml: string }>).map((a) => parse(a.yaml, { version: "1.1" }));
  if (s.items) out.items = schemaJson((s.items as { schema: Decoded[] }).schema[0]);
  if (s.properties) {
    out.properties = Object.fromEntries(((s.properties as { additional_properties?: Array<{ name: string; value: Decoded }> }).additional_properties ?? []).map((p) => [p.name, schemaJson(p.value)]));
  }
  if (s.additional_properties) out.additionalProperties = schemaJson((s.additional_properties as { schema: Decoded }).schema);
  for (const e of (s.vendor_extension as Array<{ name: string; value: { yaml: string } }> | undefined) ?? []) out[e.name] = parse(e.value.yaml, { version: "1.1" });
  return out;
}

/** Same key order is not part of the contract for this comparison; sort keys recursively. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Json)[k])]));
  return v;
}

describe("encodeOpenApiV2Protobuf: the served document", () => {
  const json = buildOpenApiV2(RESOURCES, { version: "v1.30.0" }) as { definitions: Record<string, Json>; paths: Record<string, Json> };
  const bytes = encodeOpenApiV2Protobuf(json);
  const doc = decodeOpenApiV2Protobuf(bytes) as {
    swagger: string;
    info: Decoded;
    definitions: { additional_properties: Array<{ name: string; value: Decoded }> };
    paths: { path: Array<{ name: string; value: Decoded }> };
    security_definitions: Decoded;
  };

  it("keeps the header, every definition and every path, in order", () => {
    expect(doc.swagger).toBe("2.0");
    expect(doc.info).toEqual({ title: "Kubernetes", version: "v1.30.0" });
    expect(doc.definitions.additional_properties.map((d) => d.name)).toEqual(Object.keys(json.definitions));
    expect(doc.paths.path.map((p) => p.name)).toEqual(Object.keys(json.paths));
  });

  it("round-trips every definition, extensions included", () => {
    for (const { name, value } of doc.definitions.additional_properties) {
      expect(sorted(schemaJson(value)), name).toEqual(sorted(json.definitions[name]));
    }
  });

  it("carries the Pod definition and the containers' patch metadata", () => {
    const byName = new Map(doc.definitions.additional_properties.map((d) => [d.name, d.value]));
    const pod = schemaJson(byName.get("io.k8s.api.core.v1.Pod") as Decoded);
    expect(Object.keys(pod.properties as Json)).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(pod["x-kubernetes-group-version-kind"]).toEqual([{ group: "", kind: "Pod", version: "v1" }]);
    const containers = (schemaJson(byName.get("io.k8s.api.core.v1.PodSpec") as Decoded).properties as Record<string, Json>).containers;
    expect(containers["x-kubernetes-patch-merge-key"]).toBe("name");
    expect(containers["x-kubernetes-patch-strategy"]).toBe("merge");
    expect(containers.items).toEqual({ $ref: "#/definitions/io.k8s.api.core.v1.Container" });
  });

  it("carries path parameters, the body parameter and fieldValidation of create", () => {
    const item = doc.paths.path.find((p) => p.name === "/api/v1/namespaces/{namespace}/pods")?.value as Decoded;
    type Param = { parameter: { body_parameter?: Decoded; non_body_parameter?: Record<string, Decoded> } };
    const pathLevel = (item.parameters as Param[]).map((p) => p.parameter.non_body_parameter);
    expect(pathLevel).toEqual([
      { path_parameter_sub_schema: expect.objectContaining({ name: "namespace", in: "path", required: true, type: "string" }) },
      { query_parameter_sub_schema: expect.objectContaining({ name: "pretty", in: "query", type: "string" }) },
    ]);
    const post = item.post as Decoded;
    expect(post.operation_id).toBe("createCoreV1NamespacedPod");
    const params = post.parameters as Param[];
    expect(params[0].parameter.body_parameter).toEqual({ name: "body", in: "body", required: true, schema: { _ref: "#/definitions/io.k8s.api.core.v1.Pod" } });
    const queryNames = params.slice(1).map((p) => (p.parameter.non_body_parameter as Record<string, Decoded>).query_parameter_sub_schema.name);
    expect(queryNames).toEqual(["dryRun", "fieldManager", "fieldValidation"]);
    const gvk = (post.vendor_extension as Array<{ name: string; value: { yaml: string } }>).find((e) => e.name === "x-kubernetes-group-version-kind");
    expect(parse(gvk?.value.yaml as string)).toEqual({ group: "", kind: "Pod", version: "v1" });
  });

  it("carries the bearer token security definition", () => {
    expect(doc.security_definitions).toEqual({
      additional_properties: [{ name: "BearerToken", value: { api_key_security: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" } } }],
    });
  });

  it("is deterministic", () => {
    expect(encodeOpenApiV2Protobuf(json).equals(bytes)).toBe(true);
  });
});
