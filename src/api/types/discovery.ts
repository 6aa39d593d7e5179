// discovery.k8s.io/v1 EndpointSlice.

import { fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { fieldTooMany, validateImmutable } from "../validation/field.js";
import { validateLabels } from "../validation/labels.js";
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from "../validation/names.js";
import { isIPv4, isIPv6 } from "../validation/net.js";
import { PORT_PROTOCOLS } from "./container-validation.js";
import { specialIPError } from "./core-misc.js";
import { arr, dflt } from "./util.js";

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

export function endpointSliceDefaults(obj: KubeObject): void {
  for (const p of arr(obj.ports)) {
    dflt(p, "name", "");
    dflt(p, "protocol", "TCP");
  }
}

function validateAddress(type: string, address: string, path: string): FieldError[] {
  if (type === "IPv4") {
    if (!isIPv4(address)) return [fieldInvalid(path, address, "must be a valid IPv4 address")];
  } else if (type === "IPv6") {
    if (!isIPv6(address)) return [fieldInvalid(path, address, "must be a valid IPv6 address")];
  } else if (type === "FQDN") {
    const name = address.replace(/\.$/, "");
    const msgs = isDNS1123Subdomain(name);
    if (msgs.length) return [fieldInvalid(path, name, msgs.join(","))];
    if (name.split(".").length < 2) return [fieldInvalid(path, name, "should be a domain with at least two segments separated by dots")];
    return [];
  } else {
    return [];
  }
  const special = specialIPError(address);
  return special ? [fieldInvalid(path, address, special)] : [];
}

export function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = String(obj.addressType ?? "");
  if (!type) errs.push(fieldRequired("addressType", ""));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fieldNotSupported("addressType", type, ADDRESS_TYPES));
  const endpoints = arr(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(fieldTooMany("endpoints", endpoints.length, MAX_ENDPOINTS));
  else {
    endpoints.forEach((e, i) => {
      const ep = `endpoints[${i}]`;
      const addrs = arr<string>(e.addresses);
      if (addrs.length === 0) errs.push(fieldRequired(`${ep}.addresses`, "must contain at least 1 address"));
      else if (addrs.length > MAX_ADDRESSES) errs.push(fieldTooMany(`${ep}.addresses`, addrs.length, MAX_ADDRESSES));
      addrs.forEach((a, j) => errs.push(...validateAddress(type, String(a), `${ep}.addresses[${j}]`)));
      if (e.nodeName) for (const m of nameIsDNSSubdomain(e.nodeName, false)) errs.push(fieldInvalid(`${ep}.nodeName`, e.nodeName, m));
      const topo = e.deprecatedTopology ?? {};
      if (Object.keys(topo).length > MAX_TOPOLOGY_LABELS) errs.push(fieldTooMany(`${ep}.deprecatedTopology`, Object.keys(topo).length, MAX_TOPOLOGY_LABELS));
      errs.push(...validateLabels(topo, `${ep}.deprecatedTopology`));
      if (e.hostname) for (const m of isDNS1123Label(e.hostname)) errs.push(fieldInvalid(`${ep}.hostname`, e.hostname, m));
    });
  }
  const ports = arr(obj.ports);
  if (ports.length > MAX_PORTS) errs.push(fieldTooMany("ports", ports.length, MAX_PORTS));
  else {
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const pp = `ports[${i}]`;
      const name = String(p.name ?? "");
      if (name) for (const m of isDNS1123Label(name)) errs.push(fieldInvalid(`${pp}.name`, name, m));
      if (names.has(name)) errs.push(fieldDuplicate(`${pp}.name`, name));
      names.add(name);
      if (!p.protocol) errs.push(fieldRequired(`${pp}.protocol`, ""));
      else if (!PORT_PROTOCOLS.includes(p.protocol)) errs.push(fieldNotSupported(`${pp}.protocol`, p.protocol, PORT_PROTOCOLS));
    });
  }
  return errs;
}

export const endpointSliceStrategy: TypeStrategy = {
  defaults: endpointSliceDefaults,
  validate: validateEndpointSlice,
  validateUpdate: (obj, old) => validateImmutable(obj.addressType, old.addressType, "addressType"),
  tracksGeneration: false,
};
