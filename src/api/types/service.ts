// Service defaulting and validation (SetDefaults_Service, ValidateService, ValidateServiceUpdate).
// Cluster IPs and node ports are allocated by the API server, not here; `servicePrepareForUpdate`
// carries allocated values over when an update omits them, as Kubernetes' Service REST does.

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { validateLabels } from "../validation/labels.js";
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum } from "../validation/names.js";
import { ipFamilyOf, isIPAddress } from "../validation/net.js";
import { validatePortNumOrName } from "./container-validation.js";
import { arr, dflt, isObj, specOf, type Obj } from "./util.js";

const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const AFFINITIES = ["ClientIP", "None"];
const TRAFFIC_POLICIES = ["Cluster", "Local"];
const IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"];
const IP_FAMILIES = ["IPv4", "IPv6"];

const isHeadless = (spec: Obj): boolean => spec.clusterIP === "None";

export function serviceDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  dflt(spec, "sessionAffinity", "None");
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = isObj(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : (spec.sessionAffinityConfig = {});
    const cip = isObj(cfg.clientIP) ? cfg.clientIP : (cfg.clientIP = {});
    dflt(cip, "timeoutSeconds", 10800);
  }
  dflt(spec, "type", "ClusterIP");
  for (const p of arr(spec.ports)) {
    dflt(p, "protocol", "TCP");
    // An unset (or zero) targetPort means "the same as port".
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  if (spec.type === "NodePort" || spec.type === "LoadBalancer") dflt(spec, "externalTrafficPolicy", "Cluster");
  if (spec.type !== "ExternalName") dflt(spec, "internalTrafficPolicy", "Cluster");
  if (spec.type === "LoadBalancer") dflt(spec, "allocateLoadBalancerNodePorts", true);
  // clusterIPs mirrors clusterIP, and a single-stack cluster serves IPv4 (what the Service REST
  // storage fills in when it allocates).
  if (spec.type !== "ExternalName") {
    if (spec.clusterIP && !arr(spec.clusterIPs).length) spec.clusterIPs = [spec.clusterIP];
    if (!spec.clusterIP && arr<string>(spec.clusterIPs).length) spec.clusterIP = spec.clusterIPs[0];
    // A headless Service without a selector may carry endpoints of either family.
    const selectorless = !isObj(spec.selector) || !Object.keys(spec.selector).length;
    dflt(spec, "ipFamilyPolicy", isHeadless(spec) && selectorless ? "RequireDualStack" : "SingleStack");
    if (!arr(spec.ipFamilies).length) {
      const fam = spec.clusterIP && spec.clusterIP !== "None" ? ipFamilyOf(spec.clusterIP) : undefined;
      spec.ipFamilies = [fam ?? "IPv4"];
    }
  }
  if (!isObj(obj.status)) obj.status = { loadBalancer: {} };
}

function validatePorts(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ports = arr(spec.ports);
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== "ExternalName") errs.push(fieldRequired("spec.ports", ""));
  const requireName = ports.length > 1;
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const ip = `spec.ports[${i}]`;
    if (requireName && !p.name) errs.push(fieldRequired(`${ip}.name`, ""));
    else if (p.name) {
      for (const m of isDNS1123Label(p.name)) errs.push(fieldInvalid(`${ip}.name`, p.name, m));
      if (names.has(p.name)) errs.push(fieldDuplicate(`${ip}.name`, p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(fieldInvalid(`${ip}.port`, p.port ?? 0, m));
    if (!p.protocol) errs.push(fieldRequired(`${ip}.protocol`, ""));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldNotSupported(`${ip}.protocol`, p.protocol, PROTOCOLS));
    errs.push(...validatePortNumOrName(p.targetPort, `${ip}.targetPort`));
    if (p.appProtocol) for (const m of isDNS1123Subdomain(String(p.appProtocol).split("/").pop() ?? "")) errs.push(fieldInvalid(`${ip}.appProtocol`, p.appProtocol, m));
    const k = `${p.port}/${p.protocol}`;
    if (seen.has(k)) errs.push(fieldDuplicate(ip, { port: p.port, protocol: p.protocol }));
    seen.add(k);
    if (p.nodePort) {
      if (spec.type === "ClusterIP") errs.push(fieldForbidden(`${ip}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else for (const m of isValidPortNum(p.nodePort)) errs.push(fieldInvalid(`${ip}.nodePort`, p.nodePort, m));
    }
  });
  return errs;
}

function validateClusterIPs(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ips = arr<string>(spec.clusterIPs);
  if (spec.type === "ExternalName") {
    if (spec.clusterIP || ips.length) errs.push(fieldForbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    return errs;
  }
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) errs.push(fieldInvalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  ips.forEach((ip, i) => {
    if (ip === "None") {
      if (i > 0 || ips.length > 1) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ip, "'None' must be the first and only value"));
    } else if (!isIPAddress(ip)) {
      errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
    }
  });
  if (spec.clusterIP && spec.clusterIP !== "None" && !isIPAddress(spec.clusterIP) && !ips.length) {
    errs.push(fieldInvalid("spec.clusterIP", spec.clusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  }
  if (ips.length > 2) errs.push(fieldInvalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  return errs;
}

export function validateService(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const errs: FieldError[] = [];
  if (!spec.type) errs.push(fieldRequired("spec.type", ""));
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(fieldNotSupported("spec.type", spec.type, SERVICE_TYPES));
  if (spec.type === "ExternalName") {
    if (!spec.externalName) errs.push(fieldRequired("spec.externalName", ""));
    else {
      const name = String(spec.externalName).replace(/\.$/, "");
      for (const m of isDNS1123Subdomain(name)) errs.push(fieldInvalid("spec.externalName", spec.externalName, m));
    }
  }
  errs.push(...validatePorts(spec));
  errs.push(...validateClusterIPs(spec));
  if (spec.type !== "ExternalName") errs.push(...validateLabels(spec.selector, "spec.selector"));
  if (spec.sessionAffinity === undefined || spec.sessionAffinity === "") errs.push(fieldRequired("spec.sessionAffinity", ""));
  else if (!AFFINITIES.includes(spec.sessionAffinity)) errs.push(fieldNotSupported("spec.sessionAffinity", spec.sessionAffinity, AFFINITIES));
  if (spec.sessionAffinity === "ClientIP") {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (typeof t !== "number" || t <= 0 || t > 86400) {
      errs.push(fieldInvalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t ?? 0, "must be greater than 0 and less than 86400"));
    }
  } else if (spec.sessionAffinityConfig) {
    errs.push(fieldInvalid("spec.sessionAffinityConfig", spec.sessionAffinityConfig, "must not be set when session affinity is None"));
  }
  if (spec.externalTrafficPolicy) {
    if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
      errs.push(fieldInvalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
      errs.push(fieldNotSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  }
  if (spec.internalTrafficPolicy && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(fieldNotSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (spec.ipFamilyPolicy && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) errs.push(fieldNotSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  const fams = arr<string>(spec.ipFamilies);
  fams.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(fieldNotSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
    else if (fams.indexOf(f) !== i) errs.push(fieldDuplicate(`spec.ipFamilies[${i}]`, f));
  });
  if (spec.ipFamilyPolicy === "SingleStack" && fams.length > 1) errs.push(fieldInvalid("spec.ipFamilies", fams, "when spec.ipFamilyPolicy is SingleStack, only one ipFamily may be specified"));
  arr<string>(spec.externalIPs).forEach((ip, i) => {
    if (!isIPAddress(ip)) errs.push(fieldInvalid(`spec.externalIPs[${i}]`, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  });
  return errs;
}

export function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? (obj.spec as Obj) : {};
  const o = isObj(old.spec) ? (old.spec as Obj) : {};
  const errs: FieldError[] = [];
  if (o.loadBalancerClass && spec.loadBalancerClass !== o.loadBalancerClass && spec.type === "LoadBalancer") {
    errs.push(fieldInvalid("spec.loadBalancerClass", spec.loadBalancerClass ?? null, "may not change once set"));
  }
  // Changing to or from ExternalName releases or allocates the IP, so the IP may change then.
  if (spec.type === "ExternalName" || o.type === "ExternalName") return errs;
  const oldIPs = arr<string>(o.clusterIPs);
  const newIPs = arr<string>(spec.clusterIPs);
  if (oldIPs.length && newIPs.length && oldIPs[0] !== newIPs[0]) {
    // Printed as Go prints a []string, as in Kubernetes' message.
    errs.push({ type: "FieldValueInvalid", field: "spec.clusterIPs[0]", detail: `Invalid value: []string{${newIPs.map((ip) => JSON.stringify(String(ip))).join(", ")}}: may not change once set` });
  }
  else if (o.clusterIP && (spec.clusterIP ?? "") !== o.clusterIP) errs.push(fieldInvalid("spec.clusterIP", spec.clusterIP ?? "", "field is immutable"));
  return errs;
}

/** Carry allocated clusterIP(s), node ports and health-check port over when an update omits them. */
export function servicePrepareForUpdate(obj: KubeObject, old: KubeObject): void {
  const spec = specOf(obj);
  const o = isObj(old.spec) ? (old.spec as Obj) : {};
  dropTypeDependentFields(spec, o);
  normalizeClusterIPs(spec, o);
  if (spec.type !== "ExternalName" && o.type !== "ExternalName") {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if (!arr(spec.clusterIPs).length && arr(o.clusterIPs).length) spec.clusterIPs = [...o.clusterIPs];
  }
  const needsNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  if (needsNodePorts) {
    for (const p of arr(spec.ports)) {
      if (p.nodePort) continue;
      const match = arr(o.ports).find((op) => op.port === p.port && (op.protocol ?? "TCP") === (p.protocol ?? "TCP") && op.nodePort);
      if (match) p.nodePort = match.nodePort;
    }
    if (spec.externalTrafficPolicy === "Local" && !spec.healthCheckNodePort && o.healthCheckNodePort) spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/**
 * Keeps clusterIP and clusterIPs in step when a client changed only one of them (Kubernetes'
 * normalizeClusterIPs): a changed clusterIP with the old clusterIPs becomes the new list, a cleared
 * clusterIP with the old list clears both.
 */
function normalizeClusterIPs(spec: Obj, o: Obj): void {
  const sameIPs = JSON.stringify(arr(spec.clusterIPs)) === JSON.stringify(arr(o.clusterIPs));
  if (arr(o.clusterIPs).length && !arr(spec.clusterIPs).length && spec.clusterIP === o.clusterIP) spec.clusterIPs = [...o.clusterIPs];
  if ((spec.clusterIP ?? "") === (o.clusterIP ?? "") || !sameIPs) return;
  if (o.clusterIP && !spec.clusterIP) delete spec.clusterIPs;
  else spec.clusterIPs = [spec.clusterIP];
}

/**
 * A type change drops what the old type had allocated when the client sent it back unchanged
 * (a patch of `type` only): the cluster IP and IP families going to ExternalName, node ports going
 * to ClusterIP, the health check port leaving LoadBalancer/Local.
 */
function dropTypeDependentFields(spec: Obj, o: Obj): void {
  if (spec.type === o.type) return;
  if (spec.type === "ExternalName" && o.type !== "ExternalName") {
    if (spec.clusterIP === o.clusterIP) delete spec.clusterIP;
    if (JSON.stringify(spec.clusterIPs) === JSON.stringify(o.clusterIPs)) delete spec.clusterIPs;
    if (JSON.stringify(spec.ipFamilies) === JSON.stringify(o.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === o.ipFamilyPolicy) delete spec.ipFamilyPolicy;
    if (spec.internalTrafficPolicy === o.internalTrafficPolicy) delete spec.internalTrafficPolicy;
  }
  const nodePortTypes = ["NodePort", "LoadBalancer"];
  if (nodePortTypes.includes(o.type) && !nodePortTypes.includes(spec.type)) {
    const oldPorts = new Set(arr(o.ports).map((p) => p.nodePort));
    for (const p of arr(spec.ports)) if (p.nodePort && oldPorts.has(p.nodePort)) delete p.nodePort;
    if (spec.externalTrafficPolicy === o.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
  if (o.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (spec.healthCheckNodePort === o.healthCheckNodePort) delete spec.healthCheckNodePort;
    if (spec.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  }
}

export const serviceStrategy: TypeStrategy = {
  defaults: serviceDefaults,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  tracksGeneration: false,
};
