// Validation of containers inside a PodSpec: names, images, ports, env, mounts, probes and
// resources, with Kubernetes' field paths and messages (pkg/apis/core/validation).

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import { fieldNotFound, validateNonnegative } from "../validation/field.js";
import {
  isConfigMapKey,
  isDNS1123Label,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from "../validation/names.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "../validation/quantity.js";
import { arr, isObj, type Obj } from "./util.js";

export const PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]; // sorted, as Kubernetes lists them
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"];
const TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"];

/** An IntOrString port: a number 1-65535 or an IANA service name. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === "number") return isValidPortNum(port).map((m) => fieldInvalid(path, port, m));
  if (typeof port === "string") {
    if (port === "") return [fieldRequired(path, "")];
    return isValidPortName(port).map((m) => fieldInvalid(path, port, m));
  }
  if (port === undefined || port === null) return [fieldRequired(path, "")];
  return [fieldInvalid(path, port, "must be an integer or string")];
}

function validateContainerPorts(ports: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const ip = `${path}[${i}]`;
    if (p.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length) for (const m of msgs) errs.push(fieldInvalid(`${ip}.name`, p.name, m));
      else if (names.has(p.name)) errs.push(fieldDuplicate(`${ip}.name`, p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(fieldRequired(`${ip}.containerPort`, ""));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(fieldInvalid(`${ip}.containerPort`, p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(fieldInvalid(`${ip}.hostPort`, p.hostPort, m));
    if (!p.protocol) errs.push(fieldRequired(`${ip}.protocol`, ""));
    else if (!PORT_PROTOCOLS.includes(p.protocol)) errs.push(fieldNotSupported(`${ip}.protocol`, p.protocol, PORT_PROTOCOLS));
  });
  return errs;
}

const ENV_FIELD_PATHS = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
const RESOURCE_FIELD_REFS = [
  "limits.cpu",
  "limits.ephemeral-storage",
  "limits.memory",
  "requests.cpu",
  "requests.ephemeral-storage",
  "requests.memory",
];

function validateFieldRef(ref: Obj, path: string): FieldError[] {
  const fp = ref.fieldPath;
  if (!ref.apiVersion) return [fieldRequired(`${path}.apiVersion`, "")];
  if (!fp) return [fieldRequired(`${path}.fieldPath`, "")];
  // metadata.labels['key'] and metadata.annotations['key'] select one entry.
  const sub = /^(metadata\.(?:labels|annotations))\['(.+)'\]$/.exec(fp);
  if (sub) return isQualifiedName(sub[2].toLowerCase()).map((m) => fieldInvalid(`${path}.fieldPath`, sub[2], m));
  if (fp === "metadata.labels" || fp === "metadata.annotations" || !ENV_FIELD_PATHS.includes(fp)) {
    return [fieldNotSupported(`${path}.fieldPath`, fp, ENV_FIELD_PATHS)];
  }
  return [];
}

function validateKeySelector(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of nameIsDNSSubdomain(s.name ?? "", false)) errs.push(fieldInvalid(`${path}.name`, s.name ?? "", m));
  if (!s.key) errs.push(fieldRequired(`${path}.key`, ""));
  else for (const m of isConfigMapKey(s.key)) errs.push(fieldInvalid(`${path}.key`, s.key, m));
  return errs;
}

export function validateEnv(env: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const ip = `${path}[${i}]`;
    if (!e.name) errs.push(fieldRequired(`${ip}.name`, ""));
    else for (const m of isEnvVarName(e.name)) errs.push(fieldInvalid(`${ip}.name`, e.name, m));
    const vf = e.valueFrom;
    if (!isObj(vf)) return;
    const vp = `${ip}.valueFrom`;
    let n = 0;
    if (isObj(vf.fieldRef)) {
      n++;
      errs.push(...validateFieldRef(vf.fieldRef, `${vp}.fieldRef`));
    }
    if (isObj(vf.resourceFieldRef)) {
      n++;
      const r = vf.resourceFieldRef.resource;
      if (!r) errs.push(fieldRequired(`${vp}.resourceFieldRef.resource`, ""));
      else if (!RESOURCE_FIELD_REFS.includes(r) && !/^(limits|requests)\.hugepages-/.test(r)) {
        errs.push(fieldNotSupported(`${vp}.resourceFieldRef.resource`, r, RESOURCE_FIELD_REFS));
      }
    }
    if (isObj(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, `${vp}.configMapKeyRef`));
    }
    if (isObj(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, `${vp}.secretKeyRef`));
    }
    if (n === 0) errs.push(fieldInvalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    else if (e.value) errs.push(fieldInvalid(vp, "", "may not be specified when `value` is not empty"));
    else if (n > 1) errs.push(fieldInvalid(vp, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

function validateEnvFrom(envFrom: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  envFrom.forEach((e, i) => {
    const ip = `${path}[${i}]`;
    if (e.prefix) for (const m of isEnvVarName(e.prefix)) errs.push(fieldInvalid(`${ip}.prefix`, e.prefix, m));
    const refs = ["configMapRef", "secretRef"].filter((k) => isObj(e[k]));
    if (refs.length === 0) errs.push(fieldInvalid(ip, "", "must specify one of: `configMapRef` or `secretRef`"));
    else if (refs.length > 1) errs.push(fieldInvalid(ip, "", "may not have more than one field specified at a time"));
    for (const r of refs) for (const m of nameIsDNSSubdomain(e[r].name ?? "", false)) errs.push(fieldInvalid(`${ip}.${r}.name`, e[r].name ?? "", m));
  });
  return errs;
}

/** A relative path below the volume root (subPath, item paths). */
export function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith("/")) errs.push(fieldInvalid(path, p, "must be a relative path"));
  if (p.split(/[\\/]/).includes("..")) errs.push(fieldInvalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: Obj[], volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const points = new Set<string>();
  mounts.forEach((m, i) => {
    const ip = `${path}[${i}]`;
    if (!m.name) errs.push(fieldRequired(`${ip}.name`, ""));
    if (!volumes.has(m.name)) errs.push(fieldNotFound(`${ip}.name`, m.name ?? ""));
    if (!m.mountPath) errs.push(fieldRequired(`${ip}.mountPath`, ""));
    if (points.has(m.mountPath)) errs.push(fieldInvalid(`${ip}.mountPath`, m.mountPath, "must be unique"));
    points.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, `${ip}.subPath`));
    if (m.subPathExpr && m.subPath) errs.push(fieldInvalid(`${ip}.subPathExpr`, m.subPathExpr, "subPathExpr and subPath are mutually exclusive"));
    if (m.mountPropagation !== undefined && !["None", "HostToContainer", "Bidirectional"].includes(m.mountPropagation)) {
      errs.push(fieldNotSupported(`${ip}.mountPropagation`, m.mountPropagation, ["Bidirectional", "HostToContainer", "None"]));
    }
  });
  return errs;
}

function validateHTTPGet(h: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!h.path) errs.push(fieldRequired(`${path}.path`, ""));
  errs.push(...validatePortNumOrName(h.port, `${path}.port`));
  if (h.scheme !== undefined && !["HTTP", "HTTPS"].includes(h.scheme)) errs.push(fieldNotSupported(`${path}.scheme`, h.scheme, ["HTTP", "HTTPS"]));
  for (const [i, hd] of arr(h.httpHeaders).entries()) {
    for (const m of isHTTPHeaderName(hd.name ?? "")) errs.push(fieldInvalid(`${path}.httpHeaders[${i}].name`, hd.name ?? "", m));
  }
  return errs;
}

/** A probe or lifecycle handler: exactly one action. */
export function validateHandler(h: Obj, path: string, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of kinds) {
    if (!isObj(h[k])) continue;
    if (n > 0) {
      errs.push(fieldForbidden(`${path}.${k}`, "may not specify more than 1 handler type"));
      continue;
    }
    n++;
    const a = h[k] as Obj;
    if (k === "exec" && arr(a.command).length === 0) errs.push(fieldRequired(`${path}.exec.command`, ""));
    if (k === "httpGet") errs.push(...validateHTTPGet(a, `${path}.httpGet`));
    if (k === "tcpSocket") errs.push(...validatePortNumOrName(a.port, `${path}.tcpSocket.port`));
    if (k === "grpc") for (const m of isValidPortNum(a.port)) errs.push(fieldInvalid(`${path}.grpc.port`, a.port, m));
    if (k === "sleep") errs.push(...validateNonnegative(a.seconds, `${path}.sleep.seconds`));
  }
  if (n === 0) errs.push(fieldRequired(path, "must specify a handler type"));
  return errs;
}

const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"];
const LIFECYCLE_HANDLERS = ["exec", "httpGet", "tcpSocket", "sleep"];

function validateProbe(p: unknown, path: string): FieldError[] {
  if (!isObj(p)) return [];
  const errs = validateHandler(p, path, PROBE_HANDLERS);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    errs.push(...validateNonnegative(p[f], `${path}.${f}`));
  }
  if (typeof p.terminationGracePeriodSeconds === "number" && p.terminationGracePeriodSeconds <= 0) {
    errs.push(fieldInvalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, "must be greater than 0"));
  }
  return errs;
}

const STANDARD_CONTAINER_RESOURCES = ["cpu", "memory", "ephemeral-storage"];
const isHugePages = (n: string): boolean => n.startsWith("hugepages-");
// Native resources (cpu, memory, ephemeral storage) may request less than their limit; huge
// pages, devices and extended resources must request exactly what they limit.
const overcommitAllowed = (n: string): boolean => (!n.includes("/") || n.startsWith("kubernetes.io/")) && !isHugePages(n);

function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldInvalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes("/")) {
    if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !isHugePages(name)) errs.push(fieldInvalid(path, name, "must be a standard resource for containers"));
  } else if (name.startsWith("requests.")) {
    errs.push(fieldInvalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** A resource quantity that must parse and not be negative; extended resources must be whole. */
export function validateResourceQuantity(name: string, q: unknown, path: string): FieldError[] {
  const v = parseQuantity(q);
  if (v === undefined) return [fieldInvalid(path, q, QUANTITY_FORMAT_ERROR)];
  if (v < 0) return [fieldInvalid(path, String(q), "must be greater than or equal to 0")];
  if (name.includes("/") && !name.startsWith("kubernetes.io/") && !Number.isInteger(v)) return [fieldInvalid(path, q, "must be an integer")];
  return [];
}

export function validateResources(res: unknown, path: string): FieldError[] {
  if (!isObj(res)) return [];
  const errs: FieldError[] = [];
  const limits = isObj(res.limits) ? (res.limits as Obj) : {};
  const requests = isObj(res.requests) ? (res.requests as Obj) : {};
  for (const [n, q] of Object.entries(limits)) {
    errs.push(...validateResourceName(n, `${path}.limits[${n}]`));
    errs.push(...validateResourceQuantity(n, q, `${path}.limits[${n}]`));
  }
  for (const [n, q] of Object.entries(requests)) {
    const p = `${path}.requests[${n}]`;
    errs.push(...validateResourceName(n, p));
    const qErrs = validateResourceQuantity(n, q, p);
    errs.push(...qErrs);
    if (qErrs.length) continue;
    if (n in limits) {
      const rv = parseQuantity(q);
      const lv = parseQuantity(limits[n]);
      if (rv === undefined || lv === undefined) continue;
      if (rv !== lv && !overcommitAllowed(n)) errs.push(fieldInvalid(`${path}.requests`, String(q), `must be equal to ${n} limit of ${limits[n]}`));
      else if (rv > lv) errs.push(fieldInvalid(`${path}.requests`, String(q), `must be less than or equal to ${n} limit of ${limits[n]}`));
    } else if (!overcommitAllowed(n)) {
      errs.push(fieldRequired(`${path}.limits`, "Limit must be set for non overcommitable resources"));
    }
  }
  return errs;
}

export interface ContainerContext {
  /** Names of the pod's volumes (mounts must refer to one). */
  volumes: Set<string>;
  /** Container names seen so far across containers and init containers. */
  names: Set<string>;
  kind: "container" | "init" | "ephemeral";
}

/** One container; `path` is e.g. "spec.containers[0]". */
export function validateContainer(c: Obj, path: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fieldRequired(`${path}.name`, ""));
  else {
    for (const m of isDNS1123Label(c.name)) errs.push(fieldInvalid(`${path}.name`, c.name, m));
    if (ctx.names.has(c.name)) errs.push(fieldDuplicate(`${path}.name`, c.name));
    ctx.names.add(c.name);
  }
  if (!c.image) errs.push(fieldRequired(`${path}.image`, ""));
  else if (typeof c.image === "string" && c.image.trim() !== c.image) {
    errs.push(fieldInvalid(`${path}.image`, c.image, "must not have leading or trailing whitespace"));
  }
  if (!c.imagePullPolicy) errs.push(fieldRequired(`${path}.imagePullPolicy`, ""));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(fieldNotSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  if (!c.terminationMessagePolicy) errs.push(fieldRequired(`${path}.terminationMessagePolicy`, ""));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(fieldNotSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  }
  // Only init containers may carry a restartPolicy, and only "Always" (a sidecar).
  const sidecar = ctx.kind === "init" && c.restartPolicy === "Always";
  if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
    if (ctx.kind !== "init") errs.push(fieldForbidden(`${path}.restartPolicy`, "may not be set for non-init containers"));
    else if (!sidecar) errs.push(fieldNotSupported(`${path}.restartPolicy`, c.restartPolicy, ["Always"]));
  }
  if (ctx.kind === "ephemeral") {
    for (const f of ["ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources"]) {
      if (c[f] !== undefined && c[f] !== null) errs.push(fieldForbidden(`${path}.${f}`, "cannot be set for an Ephemeral Container"));
    }
  } else {
    errs.push(...validateContainerPorts(arr(c.ports), `${path}.ports`));
  }
  errs.push(...validateEnv(arr(c.env), `${path}.env`));
  errs.push(...validateEnvFrom(arr(c.envFrom), `${path}.envFrom`));
  errs.push(...validateVolumeMounts(arr(c.volumeMounts), ctx.volumes, `${path}.volumeMounts`));
  if (ctx.kind === "init" && !sidecar) {
    for (const f of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) {
      if (c[f] !== undefined && c[f] !== null) errs.push(fieldForbidden(`${path}.${f}`, "may not be set for init containers without restartPolicy=Always"));
    }
  } else if (ctx.kind !== "ephemeral") {
    errs.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`));
    errs.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`));
    errs.push(...validateProbe(c.startupProbe, `${path}.startupProbe`));
    for (const f of ["livenessProbe", "startupProbe"]) {
      const p = c[f];
      if (isObj(p) && p.successThreshold !== undefined && p.successThreshold !== 1) errs.push(fieldInvalid(`${path}.${f}.successThreshold`, p.successThreshold, "must be 1"));
    }
    if (isObj(c.readinessProbe) && c.readinessProbe.terminationGracePeriodSeconds !== undefined) {
      errs.push(fieldInvalid(`${path}.readinessProbe.terminationGracePeriodSeconds`, c.readinessProbe.terminationGracePeriodSeconds, "must not be set for readinessProbes"));
    }
    if (isObj(c.lifecycle)) {
      for (const h of ["postStart", "preStop"]) {
        if (isObj(c.lifecycle[h])) errs.push(...validateHandler(c.lifecycle[h], `${path}.lifecycle.${h}`, LIFECYCLE_HANDLERS));
      }
    }
  }
  errs.push(...validateResources(c.resources, `${path}.resources`));
  return errs;
}
