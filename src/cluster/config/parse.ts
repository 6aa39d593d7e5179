// Reading a cluster file (`minicluster create --config FILE`): YAML in the spirit of kind's
// `kind: Cluster` file. We walk the YAML syntax tree rather than its JavaScript value so that every
// problem can name the line it is on; all problems are collected and reported together.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { isIPAddress, isIPv4, isIPv6 } from "../../api/validation/net.js";
import { isQualifiedName, isValidLabelValue } from "../../api/validation/names.js";
import { blocksIn, cidrsOverlap, parseIPv4Cidr, type IPv4Cidr } from "./cidr.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { Reader, type Entry, type FieldSet } from "./reader.js";
import { validateClusterName } from "./name.js";
import {
  API_VERSION,
  API_VERSIONS,
  DEFAULT_LISTEN_ADDRESS,
  DEFAULT_POD_SUBNET,
  DEFAULT_SERVICE_SUBNET,
  KIND_API_VERSION,
  MAX_NODES,
  type ClusterConfig,
  type NetworkingConfig,
  type NodeConfig,
  type NodeRole,
  type PortMapping,
  type PortProtocol,
} from "./types.js";

/** Prefix bounds of the pod subnet: each node takes a /24 of it. */
export const POD_SUBNET_PREFIX = { min: 8, max: 24 } as const;
/** Prefix bounds of the service subnet: /12 is the API server's limit; /28 still holds the DNS address (.10). */
export const SERVICE_SUBNET_PREFIX = { min: 12, max: 28 } as const;

/** The built-in cluster: one control-plane node, default networking. */
export function defaultClusterConfig(): ClusterConfig {
  return {
    apiVersion: API_VERSION,
    nodes: [{ role: "control-plane", labels: {}, extraPortMappings: [] }],
    networking: { apiServerPort: 0, apiServerAddress: DEFAULT_LISTEN_ADDRESS, podSubnet: DEFAULT_POD_SUBNET, serviceSubnet: DEFAULT_SERVICE_SUBNET },
  };
}

// Fields of each object. Fields kind has but we do not are named as such rather than as typos, and
// fields written one level off say where they belong.
const TOP: FieldSet = {
  known: ["kind", "apiVersion", "name", "nodes", "networking", "apiServerPort", "podSubnet", "serviceSubnet"],
  kindOnly: ["featureGates", "runtimeConfig", "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches", "containerdConfigPatchesJSON6902"],
  misplaced: { apiServerAddress: "networking.apiServerAddress", role: "nodes[].role", labels: "nodes[].labels", extraPortMappings: "nodes[].extraPortMappings" },
};
const NODE: FieldSet = {
  known: ["role", "labels", "extraPortMappings"],
  kindOnly: ["image", "extraMounts", "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902"],
  misplaced: { containerPort: "extraPortMappings[].containerPort", hostPort: "extraPortMappings[].hostPort", name: "the top level (the cluster's name)" },
};
const PORT: FieldSet = { known: ["containerPort", "hostPort", "listenAddress", "protocol"] };
const NETWORKING: FieldSet = { known: ["apiServerPort", "apiServerAddress", "podSubnet", "serviceSubnet"], kindOnly: ["ipFamily", "disableDefaultCNI", "kubeProxyMode", "dnsSearch"] };

const ROLES: readonly NodeRole[] = ["control-plane", "worker"];
const PROTOCOLS: readonly PortProtocol[] = ["TCP", "UDP", "SCTP"];

/** Where a port is published on the host, with its origin for conflict messages. */
interface HostBinding {
  address: string;
  port: number;
  protocol: PortProtocol;
  path: string;
  at: Node | null;
}

export function parseClusterConfig(text: string, file: string): ClusterConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: lc.linePos(e.pos[0]).line,
        path: "",
        message: yamlMessage(e.code, e.message, text.slice(e.pos[0]).split("\n")[0]),
      })),
    );
  }
  const config: ClusterConfig = { ...defaultClusterConfig(), file };
  const top = doc.contents as Node | null;
  if (!top || (isScalar(top) && top.value === null)) return config; // empty file (or only comments): defaults

  const r = new Reader(file, text, lc, doc as Document);
  if (!isMap(r.deref(top))) {
    r.report(top, "", `a cluster file must be a YAML mapping (starting with "kind: Cluster"), got ${r.show(top)}`);
    throw new ConfigError(r.problems);
  }
  const f = r.fields(top, "", TOP) ?? new Map<string, Entry>();

  // kind and apiVersion first: when they name some other kind of file, the rest is noise.
  const kind = f.get("kind");
  const kindValue = r.str(kind);
  if (!kind) r.report(top, "kind", 'missing; a cluster file starts with "kind: Cluster"');
  else if (kindValue !== undefined && kindValue !== "Cluster") r.report(kind.value, "kind", `must be "Cluster", got ${JSON.stringify(kindValue)}`);
  const av = f.get("apiVersion");
  const avValue = r.str(av);
  if (!av) r.report(top, "apiVersion", `missing; use "${API_VERSION}"`);
  else if (avValue !== undefined && !API_VERSIONS.includes(avValue)) {
    r.report(av.value, "apiVersion", `must be "${API_VERSION}" (or kind's "${KIND_API_VERSION}"), got ${JSON.stringify(avValue)}`);
  } else if (avValue !== undefined) config.apiVersion = avValue;
  if ((kindValue !== undefined && kindValue !== "Cluster") || (avValue !== undefined && !API_VERSIONS.includes(avValue))) {
    throw new ConfigError(byLine(r.problems.filter((p) => p.path === "kind" || p.path === "apiVersion")));
  }

  const name = r.str(f.get("name"));
  if (name !== undefined) {
    const problem = validateClusterName(name);
    if (problem) r.report(f.get("name")!.value, "name", problem);
    else config.name = name;
  }

  const nodesEntry = f.get("nodes");
  const nodes = r.list(nodesEntry).map(({ node, path }) => readNode(r, node, path));
  const bindings: HostBinding[] = [];
  if (nodes.length > 0) {
    const nodesAt = nodesEntry!.value ?? nodesEntry!.key;
    if (nodes.length > MAX_NODES) r.report(nodesAt, "nodes", `at most ${MAX_NODES} nodes are supported, the file lists ${nodes.length}`);
    const cps = nodes.filter((n) => n.config?.role === "control-plane");
    if (cps.length === 0 && nodes.every((n) => n.config)) r.report(nodesAt, "nodes", 'no control-plane node; add one with "- role: control-plane"');
    for (const extra of cps.slice(1)) r.report(extra.roleAt, `${extra.path}.role`, "multiple control-plane nodes are not supported yet");
    config.nodes = nodes.flatMap((n) => (n.config ? [n.config] : []));
    for (const n of nodes) bindings.push(...n.bindings);
  }

  const networking = readNetworking(r, f, config.nodes.length, nodes.length > 0);
  config.networking = networking.net;
  if (config.networking.apiServerPort !== 0) {
    const e = networking.apiServerPort;
    bindings.unshift({ address: config.networking.apiServerAddress, port: config.networking.apiServerPort, protocol: "TCP", path: e?.path ?? "apiServerPort", at: e?.value ?? null });
  }
  checkHostBindings(r, bindings);

  if (r.problems.length > 0) {
    throw new ConfigError(byLine(r.problems));
  }
  return config;
}

const byLine = (list: ConfigProblem[]): ConfigProblem[] => [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));

/** yaml's message, made specific where it can be; `rest` is the text from the error to the end of its line. */
function yamlMessage(code: string, message: string, rest: string): string {
  if (code === "MULTIPLE_DOCS") return "a cluster file holds one YAML document; found a second one";
  const key = /^(["']?)([^"':]+)\1\s*:/.exec(rest);
  if (code === "DUPLICATE_KEY" && key) return `field "${key[2]}" appears twice in the same mapping`;
  return message.split("\n")[0];
}

interface ReadNode {
  config?: NodeConfig;
  path: string;
  roleAt: Node | null;
  bindings: HostBinding[];
}

function readNode(r: Reader, node: Node | null, path: string): ReadNode {
  const out: ReadNode = { path, roleAt: node, bindings: [] };
  if (!node) {
    r.report(node, path, 'must be a mapping such as "{ role: worker }", got nothing');
    return out;
  }
  const f = r.fields(node, path, NODE);
  if (!f) return out;

  const roleEntry = f.get("role");
  const role = r.str(roleEntry);
  let okRole: NodeRole | undefined;
  if (!roleEntry || (role === undefined && r.isNull(roleEntry))) r.report(node, `${path}.role`, 'missing; must be "control-plane" or "worker"');
  else if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
    r.report(roleEntry.value, roleEntry.path, `must be "control-plane" or "worker", got ${JSON.stringify(role)}`);
  } else okRole = role as NodeRole | undefined;
  out.roleAt = roleEntry?.value ?? node;

  const labels = readLabels(r, f.get("labels"));
  const mappings: PortMapping[] = [];
  for (const item of r.list(f.get("extraPortMappings"))) {
    const read = readPortMapping(r, item.node, item.path);
    if (!read) continue;
    const m = read.mapping;
    mappings.push(m);
    if (m.hostPort !== 0) out.bindings.push({ address: m.listenAddress, port: m.hostPort, protocol: m.protocol, path: `${item.path}.hostPort`, at: read.hostPortAt });
  }
  if (okRole) out.config = { role: okRole, labels, extraPortMappings: mappings };
  return out;
}

function readLabels(r: Reader, e: Entry | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!e || r.isNull(e)) return labels;
  const map = r.deref(e.value);
  if (!map || !isMap(map)) {
    r.report(e.value ?? e.key, e.path, `must be a mapping of label keys to values, got ${r.show(e.value)}`);
    return labels;
  }
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const valueNode = (pair.value ?? null) as Node | null;
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
      r.report(keyNode, e.path, `label keys must be strings, got ${r.show(keyNode)}`);
      continue;
    }
    // An unquoted key such as `2024: x` is still the label key "2024".
    const key = typeof keyNode.value === "string" ? keyNode.value : r.source(keyNode);
    const path = `${e.path}[${key}]`;
    const keyProblems = isQualifiedName(key);
    if (keyProblems.length > 0) r.report(keyNode, path, `invalid label key ${JSON.stringify(key)}: ${keyProblems.join("; ")}`);
    const v = r.deref(valueNode);
    if (!v || !isScalar(v) || typeof v.value !== "string") {
      const quoteHint = v && isScalar(v) && v.value !== null ? ` (quote it: "${r.source(v)}")` : ' (use "" for an empty value)';
      r.report(valueNode ?? keyNode, path, `must be a string, got ${r.show(valueNode)}${isMap(v) || isSeq(v) ? "" : quoteHint}`);
      continue;
    }
    const valueProblems = isValidLabelValue(v.value);
    if (valueProblems.length > 0) r.report(valueNode, path, `invalid label value ${JSON.stringify(v.value)}: ${valueProblems.join("; ")}`);
    if (keyProblems.length === 0 && valueProblems.length === 0) labels[key] = v.value;
  }
  return labels;
}

function readPortMapping(r: Reader, node: Node | null, path: string): { mapping: PortMapping; hostPortAt: Node | null } | undefined {
  if (!node) {
    r.report(node, path, 'must be a mapping such as "{ containerPort: 30080, hostPort: 8080 }", got nothing');
    return undefined;
  }
  const f = r.fields(node, path, PORT);
  if (!f) return undefined;
  const before = r.problems.length;
  const cp = f.get("containerPort");
  const containerPort = r.int(cp, 1, 65535);
  if (!cp || r.isNull(cp)) r.report(node, `${path}.containerPort`, "missing; the port inside the node container to publish");
  const hp = f.get("hostPort");
  const hostPort = r.int(hp, 0, 65535, "an integer from 0 to 65535 (0 = any free port)") ?? 0;
  const la = f.get("listenAddress");
  const listenAddress = r.str(la) ?? DEFAULT_LISTEN_ADDRESS;
  if (la && !r.isNull(la) && !isIPAddress(listenAddress)) r.report(la.value, la.path, `must be an IP address such as 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(listenAddress)}`);
  const pe = f.get("protocol");
  const protocol = r.str(pe) ?? "TCP";
  if (pe && !r.isNull(pe) && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    r.report(pe.value, pe.path, `must be "TCP", "UDP" or "SCTP", got ${JSON.stringify(protocol)}`);
  }
  if (r.problems.length > before || containerPort === undefined) return undefined;
  return { mapping: { containerPort, hostPort, listenAddress, protocol: protocol as PortProtocol }, hostPortAt: hp?.value ?? node };
}

/** `networking.*`, with the flat top-level aliases the issue names (`apiServerPort`, `podSubnet`, `serviceSubnet`). */
function readNetworking(r: Reader, top: Map<string, Entry>, nodeCount: number, nodesListed: boolean): { net: NetworkingConfig; apiServerPort?: Entry } {
  const out = defaultClusterConfig().networking;
  const ne = top.get("networking");
  const net = (ne && !r.isNull(ne) && r.fields(ne.value!, ne.path, NETWORKING)) || new Map<string, Entry>();
  const scalarValue = (e: Entry): unknown => {
    const v = r.deref(e.value);
    return v && isScalar(v) ? v.value : r.show(v);
  };

  // Each setting from networking.* or its top-level alias; when both are given they must agree.
  const pick = (field: "apiServerPort" | "podSubnet" | "serviceSubnet"): Entry | undefined => {
    const nested = net.get(field);
    const flat = top.get(field);
    const given = (e: Entry | undefined): e is Entry => e !== undefined && !r.isNull(e);
    if (given(nested) && given(flat) && scalarValue(nested) !== scalarValue(flat)) {
      r.report(flat.value, field, `${r.show(flat.value)} conflicts with networking.${field}: ${r.show(nested.value)} (line ${r.line(nested.value)}); give it in one place`);
    }
    return given(nested) ? nested : given(flat) ? flat : undefined;
  };

  const portEntry = pick("apiServerPort");
  out.apiServerPort = r.int(portEntry, 0, 65535, "an integer from 0 to 65535 (0 = any free port)") ?? 0;
  const addrEntry = net.get("apiServerAddress");
  const addr = r.str(addrEntry);
  if (addr !== undefined) {
    // IPv4 only for now, like the subnets: the kubeconfig's server URL and the certificate assume it.
    if (isIPv4(addr)) out.apiServerAddress = addr;
    else r.report(addrEntry!.value, addrEntry!.path, `must be an IPv4 address such as 127.0.0.1 or 0.0.0.0${isIPv6(addr) ? " (IPv6 is not supported yet)" : ""}, got ${JSON.stringify(addr)}`);
  }

  const podEntry = pick("podSubnet");
  const pod = readCidr(r, podEntry, POD_SUBNET_PREFIX, "each node takes a /24 of it");
  if (pod && podEntry) {
    out.podSubnet = pod.text;
    const room = blocksIn(pod.cidr);
    if (nodesListed && room < nodeCount) {
      r.report(podEntry.value, podEntry.path, `${pod.text} has room for ${room} node${room === 1 ? "" : "s"} (a /24 each), the file lists ${nodeCount}`);
    }
  }
  const svcEntry = pick("serviceSubnet");
  const svc = readCidr(r, svcEntry, SERVICE_SUBNET_PREFIX, "the API server allows at most /12; /28 still holds the cluster DNS address");
  if (svc) out.serviceSubnet = svc.text;

  const result = { net: out, apiServerPort: portEntry };
  if ((podEntry && !pod) || (svcEntry && !svc)) return result; // already reported
  if (cidrsOverlap(parseIPv4Cidr(out.podSubnet) as IPv4Cidr, parseIPv4Cidr(out.serviceSubnet) as IPv4Cidr)) {
    if (podEntry) r.report(podEntry.value, podEntry.path, `${out.podSubnet} overlaps serviceSubnet ${out.serviceSubnet}; they must be disjoint`);
    else if (svcEntry) r.report(svcEntry.value, svcEntry.path, `${out.serviceSubnet} overlaps podSubnet ${out.podSubnet}; they must be disjoint`);
  }
  return result;
}

function readCidr(r: Reader, e: Entry | undefined, bounds: { min: number; max: number }, why: string): { text: string; cidr: IPv4Cidr } | undefined {
  const text = r.str(e);
  if (text === undefined || !e) return undefined;
  const c = parseIPv4Cidr(text);
  if (typeof c === "string") {
    r.report(e.value, e.path, `${JSON.stringify(text)} ${c}`);
    return undefined;
  }
  if (c.prefix < bounds.min || c.prefix > bounds.max) {
    r.report(e.value, e.path, `${text}: the prefix must be between /${bounds.min} and /${bounds.max} (${why}), got /${c.prefix}`);
    return undefined;
  }
  return { text, cidr: c };
}

const family = (a: string): 4 | 6 => (a.includes(":") ? 6 : 4);
/** Whether two listen addresses would collide on the host: equal, or one is a wildcard covering the other. */
export function addressesOverlap(a: string, b: string): boolean {
  if (a === b || a === "::" || b === "::") return true;
  return (a === "0.0.0.0" && family(b) === 4) || (b === "0.0.0.0" && family(a) === 4);
}

/** No two fixed host ports (the API server's included) may be bound to overlapping addresses with one protocol. */
function checkHostBindings(r: Reader, all: HostBinding[]): void {
  for (let i = 1; i < all.length; i++) {
    const b = all[i];
    const a = all.slice(0, i).find((x) => x.port === b.port && x.protocol === b.protocol && addressesOverlap(x.address, b.address));
    if (!a) continue;
    const line = r.line(a.at);
    r.report(b.at, b.path, `${b.port}/${b.protocol} on ${b.address} is already published by ${a.path}${line === undefined ? "" : ` (line ${line})`}`);
  }
}
