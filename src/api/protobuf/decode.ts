// Schema-driven decoding of one protobuf message into the JSON object Kubernetes' JSON encoding
// of the same Go value would give. The field table says which JSON field a number carries; our
// OpenAPI schema says its type; well-known.ts covers the types whose wire form is special.

import type { SchemaNode } from "../schema/index.js";
import { messageFields } from "./fields.js";
import { WELL_KNOWN } from "./well-known.js";
import { ProtobufDecodeError, readFields, readPackedVarints, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type WireField } from "./wire.js";

type JsonObject = Record<string, unknown>;

/** Decodes a message whose table is `table` (a definition name) and whose schema is `node`. */
export function decodeMessage(bytes: Buffer, node: SchemaNode, table: string): JsonObject {
  const out: JsonObject = {};
  decodeInto(out, bytes, node, table);
  return out;
}

function decodeInto(out: JsonObject, bytes: Buffer, node: SchemaNode, table: string): void {
  const fields = messageFields(table);
  if (!fields) throw new ProtobufDecodeError(`no protobuf field table for ${table}`);
  const omitZero: string[] = [];
  for (const f of readFields(bytes)) {
    const spec = fields.get(f.num);
    // Unknown numbers are fields newer than our table; like unknown JSON fields they are dropped.
    if (!spec) continue;
    if (spec.inline) {
      // JSON flattens the embedded struct: its properties live in the enclosing schema.
      decodeInto(out, bytesOf(f, spec.inline), node, spec.inline);
      continue;
    }
    const prop = node.properties?.[spec.name];
    if (!prop) continue; // a field our (older) schema does not know
    if (spec.omitZero) omitZero.push(spec.name);
    if (prop.type === "array") {
      const list = (out[spec.name] ??= []) as unknown[];
      appendElements(list, f, prop.items ?? { type: "any" }, spec.name);
    } else if (isMap(prop)) {
      const map = (out[spec.name] ??= {}) as JsonObject;
      const [k, v] = decodeMapEntry(bytesOf(f, spec.name), prop.additionalProperties!, spec.name);
      map[k] = v;
    } else {
      out[spec.name] = decodeValue(f, prop, spec.name);
    }
  }
  for (const name of omitZero) if (out[name] === "" || out[name] === 0 || out[name] === false) delete out[name];
}

function isMap(node: SchemaNode): boolean {
  return node.type === "object" && !node.properties && node.additionalProperties !== undefined && !node.ref;
}

/** A map<K,V> field is a repeated entry message {1: key, 2: value}; a missing value is V's zero. */
function decodeMapEntry(bytes: Buffer, valueSchema: SchemaNode, where: string): [string, unknown] {
  let key = "";
  let value: WireField | undefined;
  for (const f of readFields(bytes)) {
    if (f.num === 1) key = bytesOf(f, where).toString("utf8");
    else if (f.num === 2) value = f;
  }
  const v = value ?? { num: 2, wire: WIRE_BYTES, bytes: Buffer.alloc(0) };
  // A map of slices (UserInfo.extra: map<string, ExtraValue>) wraps each slice in a message whose
  // field 1 repeats the items; JSON has the bare list.
  if (valueSchema.type === "array") return [key, decodeWrappedList(bytesOf(v, where), valueSchema.items ?? { type: "any" }, `${where}[${key}]`)];
  return [key, decodeValue(v, valueSchema, `${where}[${key}]`)];
}

function decodeWrappedList(bytes: Buffer, items: SchemaNode, where: string): unknown[] {
  const list: unknown[] = [];
  for (const f of readFields(bytes)) if (f.num === 1) appendElements(list, f, items, where);
  return list;
}

/** Repeated fields arrive one element per occurrence; repeated scalars may also come packed. */
function appendElements(list: unknown[], f: WireField, items: SchemaNode, where: string): void {
  const scalarNumeric = items.type === "integer" || items.type === "boolean";
  if (scalarNumeric && f.wire === WIRE_BYTES) {
    for (const v of readPackedVarints(f.bytes)) list.push(scalarOf(v, items));
    return;
  }
  list.push(decodeValue(f, items, where));
}

function decodeValue(f: WireField, schema: SchemaNode, where: string): unknown {
  const special = schema.ref ? WELL_KNOWN[schema.ref] : undefined;
  if (special) return special(bytesOf(f, where));
  switch (schema.type) {
    case "int-or-string":
      return WELL_KNOWN["io.k8s.apimachinery.pkg.util.intstr.IntOrString"](bytesOf(f, where));
    case "string": {
      const b = bytesOf(f, where);
      // []byte fields (Secret.data, ConfigMap.binaryData) are base64 strings in JSON.
      return schema.format === "byte" ? b.toString("base64") : b.toString("utf8");
    }
    case "integer":
    case "boolean":
      if (f.wire !== WIRE_VARINT) throw new ProtobufDecodeError(`${where}: expected a varint, got wire type ${f.wire}`);
      return scalarOf(f.value, schema);
    case "number":
      if (f.wire === WIRE_FIXED64) return Buffer.from(bigintLE(f.value, 8)).readDoubleLE(0);
      if (f.wire === WIRE_FIXED32) return Buffer.from(bigintLE(f.value, 4)).readFloatLE(0);
      if (f.wire === WIRE_VARINT) return Number(BigInt.asIntN(64, f.value));
      throw new ProtobufDecodeError(`${where}: expected a number`);
    case "object":
      if (!schema.ref) throw new ProtobufDecodeError(`${where}: object without a named type`);
      return decodeMessage(bytesOf(f, where), schema, schema.ref);
    default:
      throw new ProtobufDecodeError(`${where}: cannot decode a field of schema type ${schema.type}`);
  }
}

function scalarOf(v: bigint, schema: SchemaNode): number | boolean {
  if (schema.type === "boolean") return v !== 0n;
  // int32 negatives are sign-extended to 64 bits on the wire, so one signed read serves both.
  return Number(BigInt.asIntN(64, v));
}

function bytesOf(f: WireField, where: string): Buffer {
  if (f.wire !== WIRE_BYTES) throw new ProtobufDecodeError(`${where}: expected length-delimited data, got wire type ${f.wire}`);
  return f.bytes;
}

function bigintLE(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}
