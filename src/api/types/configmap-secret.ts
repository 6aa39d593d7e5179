// ConfigMap and Secret: key format, the 1 MiB size limit, `immutable`, and the Secret types'
// required keys. Secret `data` travels as base64 text in JSON; `stringData` is folded into `data`
// by the defaults (Kubernetes does it when converting from v1).

import { fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { deepEqual, validateImmutable } from "../validation/field.js";
import { isConfigMapKey } from "../validation/names.js";
import { isObj, type Obj } from "./util.js";

export const MAX_DATA_SIZE = 1024 * 1024;
const IMMUTABLE_MSG = "field is immutable when `immutable` is set";
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const mapOf = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});

function validateKeys(data: Record<string, string>, field: string, other: Record<string, string>, otherField: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldInvalid(`${field}[${k}]`, k, m));
    if (k in other) errs.push(fieldInvalid(`${field}[${k}]`, k, `duplicate of key present in ${otherField}`));
  }
  return errs;
}

export function validateConfigMap(obj: KubeObject): FieldError[] {
  const data = mapOf(obj.data);
  const binary = mapOf(obj.binaryData);
  const errs = [...validateKeys(data, "data", binary, "binaryData"), ...validateKeys(binary, "binaryData", data, "data")];
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.byteLength(String(v));
  for (const v of Object.values(binary)) size += Buffer.from(String(v), "base64").length;
  if (size > MAX_DATA_SIZE) errs.push(fieldTooLong("", "", MAX_DATA_SIZE));
  return errs;
}

function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(fieldForbidden("immutable", IMMUTABLE_MSG));
  for (const f of fields) if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) errs.push(fieldForbidden(f, IMMUTABLE_MSG));
  return errs;
}

export const configMapStrategy: TypeStrategy = {
  validate: validateConfigMap,
  validateUpdate: (obj, old) => validateImmutableData(obj, old, ["data", "binaryData"]),
  tracksGeneration: false,
};

export function secretDefaults(obj: KubeObject): void {
  if (!obj.type) obj.type = "Opaque";
  const sd = obj.stringData;
  if (isObj(sd)) {
    const data = isObj(obj.data) ? (obj.data as Obj) : (obj.data = {});
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), "utf8").toString("base64");
    delete obj.stringData;
  }
}

const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/tls": ["tls.key", "tls.crt"],
};

export function validateSecret(obj: KubeObject): FieldError[] {
  const data = mapOf(obj.data);
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldInvalid(`data[${k}]`, k, m));
    if (typeof v !== "string" || !BASE64_RE.test(v)) {
      errs.push(fieldInvalid(`data[${k}]`, "<secret contents redacted>", "must be base64-encoded"));
      continue;
    }
    size += Buffer.from(v, "base64").length;
  }
  if (size > MAX_DATA_SIZE) errs.push(fieldTooLong("data", "", MAX_DATA_SIZE));
  const type = String(obj.type ?? "");
  for (const k of REQUIRED_KEYS[type] ?? []) if (!(k in data)) errs.push(fieldRequired(`data[${k}]`, ""));
  if (type === "kubernetes.io/service-account-token") {
    const sa = obj.metadata?.annotations?.["kubernetes.io/service-account.name"];
    if (!sa) errs.push(fieldRequired("metadata.annotations[kubernetes.io/service-account.name]", ""));
  }
  if (type === "kubernetes.io/basic-auth" && !("username" in data) && !("password" in data)) {
    errs.push(fieldRequired("data[username]", ""), fieldRequired("data[password]", ""));
  }
  if (type === "kubernetes.io/dockerconfigjson" && typeof data[".dockerconfigjson"] === "string") {
    try {
      JSON.parse(Buffer.from(data[".dockerconfigjson"], "base64").toString("utf8"));
    } catch (err) {
      errs.push(fieldInvalid("data[.dockerconfigjson]", "<secret contents redacted>", (err as Error).message));
    }
  }
  return errs;
}

export const secretStrategy: TypeStrategy = {
  defaults: secretDefaults,
  validate: validateSecret,
  validateUpdate: (obj, old) => [...validateImmutable(obj.type, old.type, "type"), ...validateImmutableData(obj, old, ["data"])],
  tracksGeneration: false,
};
