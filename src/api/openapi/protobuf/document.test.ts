import { describe, expect, it } from "vitest";
import { gnosticDocument } from "./document.js";

const base = { swagger: "2.0", info: { title: "T", version: "v1" } };
const docWith = (extra: Record<string, unknown>) => gnosticDocument({ ...base, paths: {}, ...extra });
const schemaOf = (s: unknown) => {
  const out = docWith({ definitions: { S: s } }) as { definitions: { additional_properties: Array<{ value: unknown }> } };
  return out.definitions.additional_properties[0].value;
};
const parametersOf = (params: unknown[]) => {
  const out = docWith({ paths: { "/x": { parameters: params } } }) as { paths: { path: Array<{ value: { parameters: unknown[] } }> } };
  return out.paths.path[0].value.parameters;
};

describe("gnosticDocument: schemas", () => {
  it.each([
    ["type as one name", { type: "string" }, { type: { value: ["string"] } }],
    ["type as a list", { type: ["string", "null"] }, { type: { value: ["string", "null"] } }],
    ["$ref", { $ref: "#/definitions/P" }, { _ref: "#/definitions/P" }],
    ["items", { type: "array", items: { type: "integer", format: "int32" } }, { type: { value: ["array"] }, items: { schema: [{ type: { value: ["integer"] }, format: "int32" }] } }],
    ["additionalProperties schema", { type: "object", additionalProperties: { type: "string" } }, { type: { value: ["object"] }, additional_properties: { schema: { type: { value: ["string"] } } } }],
    ["additionalProperties false keeps the oneof member", { additionalProperties: false }, { additional_properties: { boolean: false } }],
    ["empty properties stay present", { properties: {} }, { properties: { additional_properties: [] } }],
    ["properties in key order", { properties: { b: { type: "string" }, a: { type: "boolean" } } }, { properties: { additional_properties: [{ name: "b", value: { type: { value: ["string"] } } }, { name: "a", value: { type: { value: ["boolean"] } } }] } }],
    ["allOf", { allOf: [{ $ref: "#/definitions/A" }, { type: "object" }] }, { all_of: [{ _ref: "#/definitions/A" }, { type: { value: ["object"] } }] }],
    ["enum and default as YAML", { type: "string", enum: ["Always", "yes"], default: "Always" }, { type: { value: ["string"] }, enum: [{ yaml: "Always\n" }, { yaml: '"yes"\n' }], default: { yaml: "Always\n" } }],
    ["numbers and limits", { maximum: 10.5, minimum: 0, maxLength: 63, uniqueItems: true }, { maximum: 10.5, max_length: 63, unique_items: true }],
    ["zero values are left out", { description: "", readOnly: false, required: ["a"] }, { required: ["a"] }],
    [
      "vendor extensions as NamedAny with YAML text",
      { "x-kubernetes-patch-merge-key": "name", "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "x-kubernetes-group-version-kind": [{ group: "", kind: "Pod", version: "v1" }] },
      {
        vendor_extension: [
          { name: "x-kubernetes-patch-merge-key", value: { yaml: "name\n" } },
          { name: "x-kubernetes-list-map-keys", value: { yaml: "- containerPort\n- protocol\n" } },
          { name: "x-kubernetes-group-version-kind", value: { yaml: '- group: ""\n  kind: Pod\n  version: v1\n' } },
        ],
      },
    ],
    ["boolean extension", { "x-kubernetes-preserve-unknown-fields": true }, { vendor_extension: [{ name: "x-kubernetes-preserve-unknown-fields", value: { yaml: "true\n" } }] }],
  ])("%s", (_name, json, expected) => {
    expect(schemaOf(json)).toEqual(expected);
  });

  it.each([
    ["an unknown key", { nullable: true }, /\$\.definitions\.S has invalid property nullable/],
    ["items as a list", { items: [{ type: "string" }] }, /\$\.definitions\.S\.items is not an object/],
    ["a non-integer length", { maxLength: 1.5 }, /maxLength is not an integer/],
    ["a nested bad key", { properties: { a: { type: "string", oneOf: [] } } }, /\$\.definitions\.S\.properties\.a has invalid property oneOf/],
  ])("rejects %s", (_name, json, message) => {
    expect(() => schemaOf(json)).toThrow(message);
  });
});

describe("gnosticDocument: parameters", () => {
  it.each([
    [
      "body",
      { name: "body", in: "body", required: true, schema: { $ref: "#/definitions/P" } },
      { parameter: { body_parameter: { name: "body", in: "body", required: true, schema: { _ref: "#/definitions/P" } } } },
    ],
    [
      "query",
      { uniqueItems: true, type: "string", description: "d", name: "pretty", in: "query" },
      { parameter: { non_body_parameter: { query_parameter_sub_schema: { unique_items: true, type: "string", description: "d", name: "pretty", in: "query" } } } },
    ],
    [
      "path",
      { type: "string", name: "namespace", in: "path", required: true },
      { parameter: { non_body_parameter: { path_parameter_sub_schema: { type: "string", name: "namespace", in: "path", required: true } } } },
    ],
    [
      "header",
      { type: "array", items: { type: "string" }, collectionFormat: "csv", name: "h", in: "header" },
      { parameter: { non_body_parameter: { header_parameter_sub_schema: { type: "array", items: { type: "string" }, collection_format: "csv", name: "h", in: "header" } } } },
    ],
    [
      "formData",
      { type: "file", name: "f", in: "formData", allowEmptyValue: true },
      { parameter: { non_body_parameter: { form_data_parameter_sub_schema: { type: "file", name: "f", in: "formData", allow_empty_value: true } } } },
    ],
    ["$ref", { $ref: "#/parameters/pretty" }, { json_reference: { _ref: "#/parameters/pretty" } }],
  ])("%s", (_name, json, expected) => {
    expect(parametersOf([json])).toEqual([expected]);
  });

  it.each([
    ["an unknown location", { name: "c", in: "cookie", type: "string" }, /invalid parameter location "cookie"/],
    ["allowEmptyValue on a path parameter", { name: "n", in: "path", type: "string", required: true, allowEmptyValue: true }, /has invalid property allowEmptyValue/],
    ["a path parameter without required", { name: "n", in: "path", type: "string" }, /missing required property required/],
    ["a body parameter without schema", { name: "body", in: "body" }, /missing required property schema/],
    ["an object query parameter", { name: "q", in: "query", type: "object" }, /type must be one of/],
  ])("rejects %s", (_name, json, message) => {
    expect(() => parametersOf([json])).toThrow(message);
  });
});

describe("gnosticDocument: operations, responses, security", () => {
  it("converts an operation with responses and extensions", () => {
    const out = docWith({
      paths: {
        "/api/v1/pods": {
          get: {
            description: "list",
            produces: ["application/json"],
            schemes: ["https"],
            tags: ["core_v1"],
            operationId: "listPods",
            responses: { "200": { description: "OK", schema: { $ref: "#/definitions/L" } }, "401": { description: "Unauthorized" }, default: { $ref: "#/responses/E" } },
            "x-kubernetes-action": "list",
          },
        },
        "x-note": 1,
      },
    });
    expect(out.paths).toEqual({
      path: [
        {
          name: "/api/v1/pods",
          value: {
            get: {
              description: "list",
              produces: ["application/json"],
              schemes: ["https"],
              tags: ["core_v1"],
              operation_id: "listPods",
              responses: {
                response_code: [
                  { name: "200", value: { response: { description: "OK", schema: { schema: { _ref: "#/definitions/L" } } } } },
                  { name: "401", value: { response: { description: "Unauthorized" } } },
                  { name: "default", value: { json_reference: { _ref: "#/responses/E" } } },
                ],
              },
              vendor_extension: [{ name: "x-kubernetes-action", value: { yaml: "list\n" } }],
            },
          },
        },
      ],
      vendor_extension: [{ name: "x-note", value: { yaml: "1\n" } }],
    });
  });

  it("makes a file response a FileSchema", () => {
    const out = docWith({ paths: { "/f": { get: { responses: { "200": { description: "file", schema: { type: "file" } } } } } } }) as never as {
      paths: { path: Array<{ value: { get: { responses: { response_code: Array<{ value: unknown }> } } } }> };
    };
    expect(out.paths.path[0].value.get.responses.response_code[0].value).toEqual({ response: { description: "file", schema: { file_schema: { type: "file" } } } });
  });

  it("converts security definitions and requirements", () => {
    const out = docWith({
      securityDefinitions: {
        BearerToken: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" },
        Basic: { type: "basic" },
        OAuth: { type: "oauth2", flow: "accessCode", authorizationUrl: "https://a", tokenUrl: "https://t", scopes: { read: "Read" } },
      },
      security: [{ BearerToken: [] }, { OAuth: ["read"] }],
    });
    expect(out.security_definitions).toEqual({
      additional_properties: [
        { name: "BearerToken", value: { api_key_security: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" } } },
        { name: "Basic", value: { basic_authentication_security: { type: "basic" } } },
        {
          name: "OAuth",
          value: { oauth2_access_code_security: { type: "oauth2", flow: "accessCode", authorization_url: "https://a", token_url: "https://t", scopes: { additional_properties: [{ name: "read", value: "Read" }] } } },
        },
      ],
    });
    expect(out.security).toEqual([{ additional_properties: [{ name: "BearerToken", value: { value: [] } }] }, { additional_properties: [{ name: "OAuth", value: { value: ["read"] } }] }]);
  });

  it.each([
    ["a path not starting with /", { paths: { "api/v1": {} } }, /\$\.paths has invalid property api\/v1/],
    ["a bad status code", { paths: { "/x": { get: { responses: { "2xx": { description: "d" } } } } } }, /responses has invalid property 2xx/],
    ["an operation without responses", { paths: { "/x": { get: {} } } }, /get is missing required property responses/],
    ["a response without description", { paths: { "/x": { get: { responses: { "200": {} } } } } }, /missing required property description/],
    ["an unknown scheme", { schemes: ["ftp"] }, /schemes\[0\] must be one of http, https, ws, wss/],
    ["an unknown security type", { securityDefinitions: { X: { type: "mutualTLS" } } }, /unsupported security scheme type "mutualTLS"/],
  ])("rejects %s", (_name, extra, message) => {
    expect(() => docWith(extra)).toThrow(message);
  });

  it("requires swagger 2.0, info and paths", () => {
    expect(() => gnosticDocument({ swagger: "2.0", info: base.info })).toThrow(/\$ is missing required property paths/);
    expect(() => gnosticDocument({ ...base, swagger: "3.0", paths: {} })).toThrow(/swagger must be one of 2.0/);
    expect(() => gnosticDocument({ swagger: "2.0", info: { title: "T" }, paths: {} })).toThrow(/\$\.info is missing required property version/);
  });
});
