// Swagger 2.0 JSON → gnostic `openapi.v2.Document` message object, following what gnostic's
// `openapi_v2.ParseDocument` (the function kube-apiserver runs on its JSON document before
// marshalling it for protobuf clients) builds: the same keys allowed per object, the same
// required keys, maps as ordered NamedX lists, `x-` keys as NamedAny vendor extensions and free
// values (default, example, enum members, extensions) as `Any.yaml`. Field names are the .proto's
// snake_case names (see schema.ts).

import {
  any,
  anys,
  bool,
  type Convert,
  fail,
  int,
  isObject,
  list,
  message,
  type MessageSpec,
  msg,
  named,
  namedMessage,
  num,
  object,
  str,
  strs,
  vendorExtension,
} from "./fields.js";

/** A string restricted to `values` (gnostic checks these enums while choosing oneof members). */
function oneOf(values: readonly string[]): Convert {
  return (v, path) => {
    if (typeof v !== "string" || !values.includes(v)) fail(path, `must be one of ${values.join(", ")}, not ${JSON.stringify(v)}`);
    return v;
  };
}

const stringArray: Convert = (v, path) => ({ value: strs(v, path) });

const EXTERNAL_DOCS: MessageSpec = {
  fields: { description: ["description", str], url: ["url", str] },
  extensions: "vendor_extension",
  required: ["url"],
};
const externalDocs = msg(EXTERNAL_DOCS);

const XML: MessageSpec = {
  fields: { name: ["name", str], namespace: ["namespace", str], prefix: ["prefix", str], attribute: ["attribute", bool], wrapped: ["wrapped", bool] },
  extensions: "vendor_extension",
};

// ---- Schema (definitions, body parameters, responses) ----

const schema: Convert = (v, path) => message(SCHEMA, v, path);

// `type` may be one name or a list of names; gnostic keeps both as TypeItem.value.
const typeItem: Convert = (v, path) => ({ value: typeof v === "string" ? [v] : strs(v, path) });

// gnostic accepts only a single schema for `items` (a mapping), stored as a one-element list.
const itemsItem: Convert = (v, path) => ({ schema: [schema(object(v, path), path)] });

// A oneof: a schema, or true/false. `false` is set explicitly because oneof members keep their
// presence on the wire even at the zero value.
const additionalProperties: Convert = (v, path) => (typeof v === "boolean" ? { boolean: v } : { schema: schema(v, path) });

const SCHEMA: MessageSpec = {
  fields: {
    $ref: ["_ref", str],
    format: ["format", str],
    title: ["title", str],
    description: ["description", str],
    default: ["default", any],
    multipleOf: ["multiple_of", num],
    maximum: ["maximum", num],
    exclusiveMaximum: ["exclusive_maximum", bool],
    minimum: ["minimum", num],
    exclusiveMinimum: ["exclusive_minimum", bool],
    maxLength: ["max_length", int],
    minLength: ["min_length", int],
    pattern: ["pattern", str],
    maxItems: ["max_items", int],
    minItems: ["min_items", int],
    uniqueItems: ["unique_items", bool],
    maxProperties: ["max_properties", int],
    minProperties: ["min_properties", int],
    required: ["required", strs],
    enum: ["enum", anys],
    additionalProperties: ["additional_properties", additionalProperties],
    type: ["type", typeItem],
    items: ["items", itemsItem],
    allOf: ["all_of", list(schema)],
    properties: ["properties", namedMessage(schema)],
    discriminator: ["discriminator", str],
    readOnly: ["read_only", bool],
    xml: ["xml", msg(XML)],
    externalDocs: ["external_docs", externalDocs],
    example: ["example", any],
  },
  extensions: "vendor_extension",
};

const FILE_SCHEMA: MessageSpec = {
  fields: {
    format: ["format", str],
    title: ["title", str],
    description: ["description", str],
    default: ["default", any],
    required: ["required", strs],
    type: ["type", oneOf(["file"])],
    readOnly: ["read_only", bool],
    externalDocs: ["external_docs", externalDocs],
    example: ["example", any],
  },
  extensions: "vendor_extension",
  required: ["type"],
};

// A response's schema is a Schema, or a FileSchema when its type is "file" (gnostic tries both
// and the FileSchema wins whenever it matches).
const schemaItem: Convert = (v, path) => (isObject(v) && v.type === "file" ? { file_schema: message(FILE_SCHEMA, v, path) } : { schema: schema(v, path) });

// ---- Primitive values: non-body parameters, their items, response headers ----

const primitivesItems: Convert = (v, path) => message(PRIMITIVES_ITEMS, v, path);

function primitiveFields(types: readonly string[], collectionFormats: readonly string[]): MessageSpec["fields"] {
  return {
    type: ["type", oneOf(types)],
    format: ["format", str],
    items: ["items", primitivesItems],
    collectionFormat: ["collection_format", oneOf(collectionFormats)],
    default: ["default", any],
    maximum: ["maximum", num],
    exclusiveMaximum: ["exclusive_maximum", bool],
    minimum: ["minimum", num],
    exclusiveMinimum: ["exclusive_minimum", bool],
    maxLength: ["max_length", int],
    minLength: ["min_length", int],
    pattern: ["pattern", str],
    maxItems: ["max_items", int],
    minItems: ["min_items", int],
    uniqueItems: ["unique_items", bool],
    enum: ["enum", anys],
    multipleOf: ["multiple_of", num],
  };
}

const PRIMITIVE_TYPES = ["string", "number", "integer", "boolean", "array"];
const COLLECTION_FORMATS = ["csv", "ssv", "tsv", "pipes"];

const PRIMITIVES_ITEMS: MessageSpec = { fields: primitiveFields(PRIMITIVE_TYPES, COLLECTION_FORMATS), extensions: "vendor_extension" };

const HEADER: MessageSpec = {
  fields: { ...primitiveFields(PRIMITIVE_TYPES, COLLECTION_FORMATS), description: ["description", str] },
  extensions: "vendor_extension",
  required: ["type"],
};

function nonBodySpec(location: string, allowEmptyValue: boolean, types: readonly string[], collectionFormats: readonly string[]): MessageSpec {
  const fields: MessageSpec["fields"] = {
    required: ["required", bool],
    in: ["in", oneOf([location])],
    description: ["description", str],
    name: ["name", str],
    ...primitiveFields(types, collectionFormats),
  };
  if (allowEmptyValue) fields.allowEmptyValue = ["allow_empty_value", bool];
  // Path parameters must say `required` (always true in valid Swagger).
  return { fields, extensions: "vendor_extension", required: location === "path" ? ["in", "name", "type", "required"] : ["in", "name", "type"] };
}

/** Non-body parameters by `in`: the NonBodyParameter oneof member and its message. */
const NON_BODY: Record<string, readonly [string, MessageSpec]> = {
  header: ["header_parameter_sub_schema", nonBodySpec("header", false, PRIMITIVE_TYPES, COLLECTION_FORMATS)],
  formData: ["form_data_parameter_sub_schema", nonBodySpec("formData", true, [...PRIMITIVE_TYPES, "file"], [...COLLECTION_FORMATS, "multi"])],
  query: ["query_parameter_sub_schema", nonBodySpec("query", true, PRIMITIVE_TYPES, [...COLLECTION_FORMATS, "multi"])],
  path: ["path_parameter_sub_schema", nonBodySpec("path", false, PRIMITIVE_TYPES, COLLECTION_FORMATS)],
};

const BODY_PARAMETER: MessageSpec = {
  fields: { description: ["description", str], name: ["name", str], in: ["in", oneOf(["body"])], required: ["required", bool], schema: ["schema", schema] },
  extensions: "vendor_extension",
  required: ["in", "name", "schema"],
};

const parameter: Convert = (v, path) => {
  const json = object(v, path);
  if (json.in === "body") return { body_parameter: message(BODY_PARAMETER, json, path) };
  const nonBody = typeof json.in === "string" ? NON_BODY[json.in] : undefined;
  if (!nonBody) fail(path, `has invalid parameter location ${JSON.stringify(json.in)}`);
  return { non_body_parameter: { [nonBody[0]]: message(nonBody[1], json, path) } };
};

const JSON_REFERENCE: MessageSpec = { fields: { $ref: ["_ref", str], description: ["description", str] }, required: ["$ref"] };

/** `$ref` objects are JsonReferences, anything else a Parameter. */
const parametersItem: Convert = (v, path) =>
  isObject(v) && "$ref" in v ? { json_reference: message(JSON_REFERENCE, v, path) } : { parameter: parameter(v, path) };

// ---- Responses ----

const RESPONSE: MessageSpec = {
  fields: {
    description: ["description", str],
    schema: ["schema", schemaItem],
    headers: ["headers", namedMessage(msg(HEADER))],
    examples: ["examples", namedMessage(any)],
  },
  extensions: "vendor_extension",
  required: ["description"],
};

const responseValue: Convert = (v, path) =>
  isObject(v) && "$ref" in v ? { json_reference: message(JSON_REFERENCE, v, path) } : { response: message(RESPONSE, v, path) };

/**
 * A map whose keys are either `x-` extensions or entries matching `key` (Paths: "/..."; Responses:
 * status codes and "default"), as two repeated fields of one message.
 */
function patternedMap(entryField: string, extensionField: string, key: RegExp, convert: Convert): Convert {
  return (v, path) => {
    const entries: unknown[] = [];
    const extensions: unknown[] = [];
    for (const [name, value] of Object.entries(object(v, path))) {
      if (name.startsWith("x-")) extensions.push(vendorExtension(name, value, path));
      else if (key.test(name)) entries.push({ name, value: convert(value, `${path}.${name}`) });
      else fail(path, `has invalid property ${name}`);
    }
    const out: Record<string, unknown> = {};
    if (entries.length) out[entryField] = entries;
    if (extensions.length) out[extensionField] = extensions;
    return out;
  };
}

const responses = patternedMap("response_code", "vendor_extension", /^([0-9]{3}|default)$/, responseValue);

// ---- Security ----

/** `security` lists: each requirement maps scheme names to lists of scopes. */
const securityRequirement: Convert = (v, path) => ({ additional_properties: named(stringArray)(v, path) });
const oauth2Scopes = namedMessage(str);

const SECURITY_SCHEMES: Record<string, readonly [string, MessageSpec]> = {
  basic: ["basic_authentication_security", { fields: { type: ["type", str], description: ["description", str] }, extensions: "vendor_extension", required: ["type"] }],
  apiKey: [
    "api_key_security",
    {
      fields: { type: ["type", str], name: ["name", str], in: ["in", oneOf(["header", "query"])], description: ["description", str] },
      extensions: "vendor_extension",
      required: ["in", "name", "type"],
    },
  ],
};

function oauth2(member: string, urls: readonly string[]): readonly [string, MessageSpec] {
  const fields: MessageSpec["fields"] = { type: ["type", str], flow: ["flow", str], scopes: ["scopes", oauth2Scopes], description: ["description", str] };
  for (const u of urls) fields[u] = [u === "authorizationUrl" ? "authorization_url" : "token_url", str];
  return [member, { fields, extensions: "vendor_extension", required: ["flow", "type", ...urls] }];
}

const OAUTH2_FLOWS: Record<string, readonly [string, MessageSpec]> = {
  implicit: oauth2("oauth2_implicit_security", ["authorizationUrl"]),
  password: oauth2("oauth2_password_security", ["tokenUrl"]),
  application: oauth2("oauth2_application_security", ["tokenUrl"]),
  accessCode: oauth2("oauth2_access_code_security", ["authorizationUrl", "tokenUrl"]),
};

const securityDefinitionsItem: Convert = (v, path) => {
  const json = object(v, path);
  const scheme = json.type === "oauth2" ? OAUTH2_FLOWS[String(json.flow)] : SECURITY_SCHEMES[String(json.type)];
  if (!scheme) fail(path, `has unsupported security scheme type ${JSON.stringify(json.type)} (flow ${JSON.stringify(json.flow)})`);
  return { [scheme[0]]: message(scheme[1], json, path) };
};

// ---- Operations, paths, document ----

const SCHEMES = ["http", "https", "ws", "wss"];
const schemes: Convert = (v, path) => {
  const values = strs(v, path) as string[];
  values.forEach((s, i) => oneOf(SCHEMES)(s, `${path}[${i}]`));
  return values;
};

const OPERATION: MessageSpec = {
  fields: {
    tags: ["tags", strs],
    summary: ["summary", str],
    description: ["description", str],
    externalDocs: ["external_docs", externalDocs],
    operationId: ["operation_id", str],
    produces: ["produces", strs],
    consumes: ["consumes", strs],
    parameters: ["parameters", list(parametersItem)],
    responses: ["responses", responses],
    schemes: ["schemes", schemes],
    deprecated: ["deprecated", bool],
    security: ["security", list(securityRequirement)],
  },
  extensions: "vendor_extension",
  required: ["responses"],
};
const operation = msg(OPERATION);

const PATH_ITEM: MessageSpec = {
  fields: {
    $ref: ["_ref", str],
    get: ["get", operation],
    put: ["put", operation],
    post: ["post", operation],
    delete: ["delete", operation],
    options: ["options", operation],
    head: ["head", operation],
    patch: ["patch", operation],
    parameters: ["parameters", list(parametersItem)],
  },
  extensions: "vendor_extension",
};

const paths = patternedMap("path", "vendor_extension", /^\//, msg(PATH_ITEM));

const INFO: MessageSpec = {
  fields: {
    title: ["title", str],
    version: ["version", str],
    description: ["description", str],
    termsOfService: ["terms_of_service", str],
    contact: ["contact", msg({ fields: { name: ["name", str], url: ["url", str], email: ["email", str] }, extensions: "vendor_extension" })],
    license: ["license", msg({ fields: { name: ["name", str], url: ["url", str] }, extensions: "vendor_extension", required: ["name"] })],
  },
  extensions: "vendor_extension",
  required: ["title", "version"],
};

const TAG: MessageSpec = {
  fields: { name: ["name", str], description: ["description", str], externalDocs: ["external_docs", externalDocs] },
  extensions: "vendor_extension",
  required: ["name"],
};

const DOCUMENT: MessageSpec = {
  fields: {
    swagger: ["swagger", oneOf(["2.0"])],
    info: ["info", msg(INFO)],
    host: ["host", str],
    basePath: ["base_path", str],
    schemes: ["schemes", schemes],
    consumes: ["consumes", strs],
    produces: ["produces", strs],
    paths: ["paths", paths],
    definitions: ["definitions", namedMessage(schema)],
    parameters: ["parameters", namedMessage(parameter)],
    responses: ["responses", namedMessage(msg(RESPONSE))],
    security: ["security", list(securityRequirement)],
    securityDefinitions: ["security_definitions", namedMessage(securityDefinitionsItem)],
    tags: ["tags", list(msg(TAG))],
    externalDocs: ["external_docs", externalDocs],
  },
  extensions: "vendor_extension",
  required: ["info", "paths", "swagger"],
};

/** The gnostic Document message object (snake_case field names) for a Swagger 2.0 JSON document. */
export function gnosticDocument(doc: Record<string, unknown>): Record<string, unknown> {
  return message(DOCUMENT, doc, "$");
}
