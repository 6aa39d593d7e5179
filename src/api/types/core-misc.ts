// Smaller core/v1 kinds: Endpoints, ServiceAccount, Event, LimitRange, ResourceQuota.

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from "../validation/names.js";
import { isIPAddress } from "../validation/net.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "../validation/quantity.js";
import { PORT_PROTOCOLS } from "./container-validation.js";
import { arr, dflt, isObj, type Obj } from "./util.js";

// --- Endpoints ---------------------------------------------------------------------------------

export function endpointsDefaults(obj: KubeObject): void {
  for (const s of arr(obj.subsets)) for (const p of arr(s.ports)) dflt(p, "protocol", "TCP");
}

/** IPs an endpoint may not point at (ValidateNonSpecialIP). */
export function specialIPError(ip: string): string | undefined {
  if (ip === "0.0.0.0" || ip === "::") return "may not be unspecified (0.0.0.0)";
  if (/^127\./.test(ip) || ip === "::1") return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
  if (/^169\.254\./.test(ip) || /^fe[89ab][0-9a-f]:/i.test(ip)) return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
  if (/^224\.0\.0\./.test(ip) || /^ff02:/i.test(ip)) return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
  return undefined;
}

function validateEndpointAddress(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ip = String(a.ip ?? "");
  if (!isIPAddress(ip)) errs.push(fieldInvalid(`${path}.ip`, ip, "must be a valid IP address"));
  else {
    const special = specialIPError(ip);
    if (special) errs.push(fieldInvalid(`${path}.ip`, ip, special));
  }
  if (a.hostname) for (const m of isDNS1123Label(a.hostname)) errs.push(fieldInvalid(`${path}.hostname`, a.hostname, m));
  if (a.nodeName) for (const m of nameIsDNSSubdomain(a.nodeName, false)) errs.push(fieldInvalid(`${path}.nodeName`, a.nodeName, m));
  return errs;
}

export function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  arr(obj.subsets).forEach((s, i) => {
    const sp = `subsets[${i}]`;
    if (arr(s.addresses).length === 0 && arr(s.notReadyAddresses).length === 0) errs.push(fieldRequired(sp, "must specify `addresses` or `notReadyAddresses`"));
    arr(s.addresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, `${sp}.addresses[${j}]`)));
    arr(s.notReadyAddresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, `${sp}.notReadyAddresses[${j}]`)));
    const ports = arr(s.ports);
    ports.forEach((p, j) => {
      const pp = `${sp}.ports[${j}]`;
      if (ports.length > 1 && !p.name) errs.push(fieldRequired(`${pp}.name`, ""));
      else if (p.name) for (const m of isDNS1123Label(p.name)) errs.push(fieldInvalid(`${pp}.name`, p.name, m));
      for (const m of isValidPortNum(p.port)) errs.push(fieldInvalid(`${pp}.port`, p.port ?? 0, m));
      if (!p.protocol) errs.push(fieldRequired(`${pp}.protocol`, ""));
      else if (!PORT_PROTOCOLS.includes(p.protocol)) errs.push(fieldNotSupported(`${pp}.protocol`, p.protocol, PORT_PROTOCOLS));
    });
  });
  return errs;
}

export const endpointsStrategy: TypeStrategy = { defaults: endpointsDefaults, validate: validateEndpoints, tracksGeneration: false };

// --- ServiceAccount ----------------------------------------------------------------------------

export const serviceAccountStrategy: TypeStrategy = {
  validate: (obj) => {
    const errs: FieldError[] = [];
    arr(obj.secrets).forEach((s, i) => {
      if (s.name) for (const m of nameIsDNSSubdomain(s.name, false)) errs.push(fieldInvalid(`secrets[${i}].name`, s.name, m));
    });
    return errs;
  },
  tracksGeneration: false,
};

// --- Event (core/v1) ---------------------------------------------------------------------------

/**
 * core/v1 Events are validated leniently for compatibility: the involved object's namespace must
 * match the Event's (or be empty for events in "default"), and new-style fields are checked only
 * when eventTime is set.
 */
export function validateCoreEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = obj.metadata?.namespace ?? "";
  const involved = isObj(obj.involvedObject) ? (obj.involvedObject as Obj) : {};
  const ins = String(involved.namespace ?? "");
  const mismatch = () => errs.push(fieldInvalid("involvedObject.namespace", ins, "does not match event.namespace"));
  if (!obj.eventTime) {
    if (!ins ? ns !== "" && ns !== "default" : ns !== ins) mismatch();
  } else {
    if (!ins && ns !== "default" && ns !== "kube-system") mismatch();
    if (!obj.reportingComponent) errs.push(fieldRequired("source", ""));
    else for (const m of isQualifiedName(String(obj.reportingComponent))) errs.push(fieldInvalid("source", obj.reportingComponent, m));
    if (!obj.reportingInstance) errs.push(fieldRequired("reportingInstance", ""));
    if (!obj.action) errs.push(fieldRequired("action", ""));
    if (!obj.reason) errs.push(fieldRequired("reason", ""));
    for (const [f, max] of [["reportingInstance", 128], ["action", 128], ["reason", 128], ["message", 1024]] as const) {
      if (String(obj[f] ?? "").length > max) errs.push(fieldInvalid(f, "", `can have at most ${max} characters`));
    }
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(fieldInvalid("namespace", ns, m));
  return errs;
}

export const coreEventStrategy: TypeStrategy = { validate: validateCoreEvent, tracksGeneration: false };

// --- LimitRange --------------------------------------------------------------------------------

const LIMIT_MAPS = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;

export function limitRangeDefaults(obj: KubeObject): void {
  for (const item of arr((obj.spec as Obj | undefined)?.limits)) {
    if (item.type !== "Container") continue;
    const def: Obj = { ...(isObj(item.default) ? item.default : {}) };
    const req: Obj = { ...(isObj(item.defaultRequest) ? item.defaultRequest : {}) };
    // An unset default limit takes the max; an unset default request takes the default limit,
    // else the min.
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) dflt(def, k, v);
    for (const [k, v] of Object.entries(def)) dflt(req, k, v);
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) dflt(req, k, v);
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
}

export function validateLimitRange(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  arr((obj.spec as Obj | undefined)?.limits).forEach((item, i) => {
    const ip = `spec.limits[${i}]`;
    const type = String(item.type ?? "");
    if (!type) errs.push(fieldRequired(`${ip}.type`, ""));
    else for (const m of isQualifiedName(type)) errs.push(fieldInvalid(`${ip}.type`, type, m));
    if (types.has(type)) errs.push(fieldDuplicate(`${ip}.type`, type));
    types.add(type);
    const vals: Record<string, Record<string, number>> = {};
    for (const f of LIMIT_MAPS) {
      vals[f] = {};
      for (const [k, q] of Object.entries(isObj(item[f]) ? (item[f] as Obj) : {})) {
        const v = parseQuantity(q);
        if (v === undefined) errs.push(fieldInvalid(`${ip}.${f}[${k}]`, q, QUANTITY_FORMAT_ERROR));
        else if (v < 0) errs.push(fieldInvalid(`${ip}.${f}[${k}]`, String(q), "must be greater than or equal to 0"));
        else vals[f][k] = v;
      }
    }
    if (type === "Pod") {
      if (Object.keys(item.default ?? {}).length) errs.push(fieldForbidden(`${ip}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(item.defaultRequest ?? {}).length) errs.push(fieldForbidden(`${ip}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    if (type === "PersistentVolumeClaim" && vals.min.storage === undefined && vals.max.storage === undefined) {
      errs.push(fieldRequired(`${ip}.limits`, "either minimum or maximum storage value is required, but neither was provided"));
    }
    const text = (f: string, k: string): string => String((item[f] as Obj)[k]);
    const keys = new Set(LIMIT_MAPS.flatMap((f) => Object.keys(vals[f])));
    for (const k of keys) {
      const { min, max, default: def, defaultRequest: req, maxLimitRequestRatio: ratio } = vals;
      if (k in min && k in max && min[k] > max[k]) errs.push(fieldInvalid(`${ip}.min[${k}]`, text("min", k), `min value ${text("min", k)} is greater than max value ${text("max", k)}`));
      if (k in req && k in min && min[k] > req[k]) errs.push(fieldInvalid(`${ip}.defaultRequest[${k}]`, text("defaultRequest", k), `min value ${text("min", k)} is greater than default request value ${text("defaultRequest", k)}`));
      if (k in req && k in max && req[k] > max[k]) errs.push(fieldInvalid(`${ip}.defaultRequest[${k}]`, text("defaultRequest", k), `default request value ${text("defaultRequest", k)} is greater than max value ${text("max", k)}`));
      if (k in req && k in def && req[k] > def[k]) errs.push(fieldInvalid(`${ip}.defaultRequest[${k}]`, text("defaultRequest", k), `default request value ${text("defaultRequest", k)} is greater than default limit value ${text("default", k)}`));
      if (k in def && k in min && min[k] > def[k]) errs.push(fieldInvalid(`${ip}.default[${k}]`, text("min", k), `min value ${text("min", k)} is greater than default value ${text("default", k)}`));
      if (k in def && k in max && def[k] > max[k]) errs.push(fieldInvalid(`${ip}.default[${k}]`, text("max", k), `default value ${text("default", k)} is greater than max value ${text("max", k)}`));
      if (k in ratio && ratio[k] < 1) errs.push(fieldInvalid(`${ip}.maxLimitRequestRatio[${k}]`, text("maxLimitRequestRatio", k), `ratio ${text("maxLimitRequestRatio", k)} is less than 1`));
    }
  });
  return errs;
}

export const limitRangeStrategy: TypeStrategy = { defaults: limitRangeDefaults, validate: validateLimitRange, tracksGeneration: false };

// --- ResourceQuota -----------------------------------------------------------------------------

const QUOTA_SCOPES = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"];

function validateResourceList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, q] of Object.entries(isObj(list) ? list : {})) {
    for (const m of isQualifiedName(k)) errs.push(fieldInvalid(`${path}[${k}]`, k, m));
    const v = parseQuantity(q);
    if (v === undefined) errs.push(fieldInvalid(`${path}[${k}]`, q, QUANTITY_FORMAT_ERROR));
    else if (v < 0) errs.push(fieldInvalid(`${path}[${k}]`, String(q), "must be greater than or equal to 0"));
  }
  return errs;
}

export function validateResourceQuota(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const errs = validateResourceList(spec.hard, "spec.hard");
  arr<string>(spec.scopes).forEach((s) => {
    if (!QUOTA_SCOPES.includes(s)) errs.push(fieldNotSupported("spec.scopes", s, QUOTA_SCOPES));
  });
  arr(spec.scopeSelector?.matchExpressions).forEach((e, i) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!QUOTA_SCOPES.includes(e.scopeName)) errs.push(fieldNotSupported(`${p}.scopeName`, e.scopeName ?? "", QUOTA_SCOPES));
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(e.operator)) errs.push(fieldInvalid(`${p}.operator`, e.operator ?? "", "not a valid selector operator"));
  });
  return errs;
}

export const resourceQuotaStrategy: TypeStrategy = { validate: validateResourceQuota, tracksGeneration: false };
