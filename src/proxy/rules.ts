// The service proxy's rules as text: a pure function from Services, EndpointSlices and the node's
// settings to the rules of our own iptables chains (the layout of kube-proxy's iptables mode, with
// an MC- prefix), and the iptables-restore input that installs them. No kernel needed to test it.
//
// nat:    PREROUTING, OUTPUT -> MC-SERVICES: per service port "-d CLUSTERIP -p P --dport N -j MC-SVC-x",
//         last a jump for node addresses to MC-NODEPORTS ("--dport NODEPORT -j MC-SVC-x", marked for
//         masquerade); MC-SVC-x DNATs to an endpoint's ip:port chosen at random (probability 1/n,
//         then 1/(n-1), ...); with ClientIP affinity it goes through one chain MC-SEP-y per endpoint
//         that the recent module remembers clients in. internalTrafficPolicy Local: the cluster IP
//         jumps to MC-SVL-x instead, which balances over this node's endpoints only.
//         externalTrafficPolicy Local: the NodePort jumps to MC-EXT-x, which sends pods and the node
//         itself to MC-SVC-x and outside callers, unmasqueraded, to this node's endpoints only.
//         POSTROUTING -> MC-POSTROUTING masquerades what MC-MARK-MASQ marked: traffic to a cluster IP
//         from outside the pod subnet (the node itself, other hosts), NodePort traffic, and hairpin
//         traffic (a pod reaching itself through its service, which needs the node as source).
// filter: INPUT, FORWARD, OUTPUT (new connections) -> MC-SERVICES: REJECT for service ports that have
//         no usable endpoint, so connections fail at once instead of hanging; DROP where a Local
//         traffic policy leaves this node without an endpoint (kube-proxy's choice).

import { createHash } from "node:crypto";
import type { Service, ServicePort } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { UdpServicePort } from "./conntrack.js";

export const SERVICES_CHAIN = "MC-SERVICES";
export const NODEPORTS_CHAIN = "MC-NODEPORTS";
export const POSTROUTING_CHAIN = "MC-POSTROUTING";
export const MARK_MASQ_CHAIN = "MC-MARK-MASQ";
/** The packet mark bit meaning "masquerade me" (kube-proxy's bit; nothing else on a node uses it). */
export const MASQ_MARK = "0x4000";
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const DEFAULT_AFFINITY_SECONDS = 10800;

export interface ProxyConfig {
  /** The cluster's pod subnet: traffic to a cluster IP from outside it is masqueraded. */
  podSubnet: string;
  /**
   * Node addresses NodePorts answer on. Omitted: every local address of the node except
   * 127.0.0.0/8 (addrtype LOCAL, which follows address changes by itself). Localhost NodePorts
   * are left out on purpose: they need route_localnet=1, which exposes 127.0.0.1 services to
   * neighbours (CVE-2020-8558), and a node container's localhost is not reachable from the host.
   */
  nodePortAddresses?: string[];
  /** This node's name: hairpin rules are needed only for endpoints on it (all when omitted). */
  nodeName?: string;
}

export interface TableRules {
  /** Our chains in this table, in declaration order. */
  chains: string[];
  /** "-A CHAIN ..." lines. */
  rules: string[];
}

export interface DesiredRules {
  nat: TableRules;
  filter: TableRules;
  /** The two tables as one iptables-restore text (our chains only; no jumps): what changed is compared on this. */
  text: string;
  /** Service ports with endpoints, service ports rejected, endpoint chains. */
  counts: { servicePorts: number; rejected: number; endpoints: number };
  /** Every UDP service port with its usable endpoints (for conntrack clean-up, which is not part of `text`). */
  udp: UdpServicePort[];
}

type Protocol = "tcp" | "udp" | "sctp";

/** One usable endpoint of a service port. */
export interface PortEndpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

/** The short hash kube-proxy uses for chain names: names have 28 characters at most. */
export function chainHash(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 16).toUpperCase();
}

export function serviceChain(portName: string, proto: Protocol): string {
  return `MC-SVC-${chainHash(`${portName}/${proto}`)}`;
}

export function localChain(portName: string, proto: Protocol): string {
  return `MC-SVL-${chainHash(`${portName}/${proto}`)}`;
}

export function externalChain(portName: string, proto: Protocol): string {
  return `MC-EXT-${chainHash(`${portName}/${proto}`)}`;
}

export function endpointChain(portName: string, proto: Protocol, ep: PortEndpoint): string {
  return `MC-SEP-${chainHash(`${portName}/${proto}/${ep.ip}:${ep.port}`)}`;
}

function protocolOf(p: string | undefined): Protocol | undefined {
  const s = (p ?? "TCP").toLowerCase();
  return s === "tcp" || s === "udp" || s === "sctp" ? s : undefined;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** Endpoint classes in kube-proxy's order of preference. */
const enum Usable {
  Ready = 2,
  ServingTerminating = 1,
  No = 0,
}

/**
 * The endpoints of one service port, taken from the service's slices: each slice carries the port
 * number its pods resolved a named targetPort to, so the number is per slice (per endpoint).
 * Ready endpoints when there are any; otherwise serving-but-terminating ones (kube-proxy's
 * fallback, so that a rolling restart of the last pods does not drop connections); otherwise none.
 * With publishNotReadyAddresses every endpoint counts as ready.
 */
export function portEndpoints(svc: Service, port: ServicePort, slices: EndpointSlice[]): PortEndpoint[] {
  const proto = protocolOf(port.protocol);
  const name = port.name ?? "";
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const best = new Map<string, { ep: PortEndpoint; usable: Usable }>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    const sp = slice.ports?.find((p) => (p.name ?? "") === name && protocolOf(p.protocol) === proto);
    if (sp?.port === undefined || sp.port === null) continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const c = e.conditions ?? {};
      // A nil condition means "ready" (the API's advice); publishNotReadyAddresses makes every
      // endpoint ready, as the EndpointSlice controller also marks them.
      const ready = publishNotReady || (c.ready ?? true);
      const serving = c.serving ?? ready;
      const usable = ready ? Usable.Ready : serving && c.terminating === true ? Usable.ServingTerminating : Usable.No;
      const key = `${ip}:${sp.port}`;
      const prev = best.get(key);
      if (!prev || prev.usable < usable) best.set(key, { ep: e.nodeName ? { ip, port: sp.port, nodeName: e.nodeName } : { ip, port: sp.port }, usable });
    }
  }
  const all = [...best.values()];
  const ready = all.filter((x) => x.usable === Usable.Ready);
  const chosen = ready.length ? ready : all.filter((x) => x.usable === Usable.ServingTerminating);
  return chosen.map((x) => x.ep).sort(compareEndpoints);
}

function compareEndpoints(a: PortEndpoint, b: PortEndpoint): number {
  const na = ipNumber(a.ip);
  const nb = ipNumber(b.ip);
  return na !== nb ? na - nb : a.port - b.port;
}

function ipNumber(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

/** The random match that picks the i-th of n endpoints evenly (1/n, then 1/(n-1), ...; none for the last). */
function probabilityMatch(i: number, n: number): string {
  const left = n - i;
  return left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : "";
}

/** The matches of a protocol and destination port, in iptables-save's spelling. */
function portMatch(proto: Protocol, port: number): string {
  return `-p ${proto} -m ${proto} --dport ${port}`;
}

/** "ns/name:port" as kube-proxy names a service port (":port" omitted for an unnamed one). */
export function servicePortName(svc: Service, port: ServicePort): string {
  const base = `${svc.metadata?.namespace ?? "default"}/${svc.metadata?.name ?? ""}`;
  return port.name ? `${base}:${port.name}` : base;
}

/** Slices grouped by "namespace/service name" (their kubernetes.io/service-name label). */
export function slicesByService(slices: Iterable<EndpointSlice>): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${s.metadata?.namespace ?? "default"}/${svc}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/** Whether the proxy handles this service: it has an IPv4 cluster IP (not headless, not ExternalName). */
function proxied(svc: Service): boolean {
  return svc.spec?.type !== "ExternalName" && isIPv4(svc.spec?.clusterIP);
}

/** The desired rules of our chains for these Services and EndpointSlices. Deterministic: the same input gives the same text. */
export function desiredRules(services: Iterable<Service>, slices: Iterable<EndpointSlice>, cfg: ProxyConfig): DesiredRules {
  const byService = slicesByService(slices);
  const svcs = [...services].filter(proxied).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

  const natChains = [SERVICES_CHAIN, NODEPORTS_CHAIN, POSTROUTING_CHAIN, MARK_MASQ_CHAIN];
  const services_: string[] = [];
  const nodePorts: string[] = [];
  const perService: string[] = [];
  const filter: string[] = [];
  const counts = { servicePorts: 0, rejected: 0, endpoints: 0 };
  const udp: UdpServicePort[] = [];
  const nodePortDest = cfg.nodePortAddresses?.length ? cfg.nodePortAddresses.map((a) => `-d ${a}/32`) : ["-m addrtype --dst-type LOCAL"];

  for (const svc of svcs) {
    const clusterIP = svc.spec!.clusterIP!;
    const svcSlices = byService.get(keyOf(svc)) ?? [];
    const withNodePorts = svc.spec?.type === "NodePort" || svc.spec?.type === "LoadBalancer";
    const affinity = svc.spec?.sessionAffinity === "ClientIP";
    const affinitySeconds = svc.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS;
    for (const port of svc.spec?.ports ?? []) {
      const proto = protocolOf(port.protocol);
      if (!proto || !port.port) continue;
      const name = servicePortName(svc, port);
      const nodePort = withNodePorts && port.nodePort ? port.nodePort : undefined;
      const eps = portEndpoints(svc, port, svcSlices);
      if (proto === "udp") udp.push({ name, clusterIP, port: port.port, ...(nodePort ? { nodePort } : {}), endpoints: eps.map((e) => e.ip) });
      if (eps.length === 0) {
        counts.rejected++;
        const reject = proto === "tcp" ? "REJECT --reject-with tcp-reset" : "REJECT --reject-with icmp-port-unreachable";
        filter.push(`-A ${SERVICES_CHAIN} -d ${clusterIP}/32 -p ${proto} -m comment --comment "${name} has no endpoints" -m ${proto} --dport ${port.port} -j ${reject}`);
        if (nodePort) {
          for (const d of nodePortDest) filter.push(`-A ${SERVICES_CHAIN} ${d} -p ${proto} -m comment --comment "${name} has no endpoints" -m ${proto} --dport ${nodePort} -j ${reject}`);
        }
        continue;
      }
      counts.servicePorts++;
      counts.endpoints += eps.length;
      const svcChain = serviceChain(name, proto);
      natChains.push(svcChain);
      const isLocal = (ep: PortEndpoint) => !cfg.nodeName || ep.nodeName === cfg.nodeName;
      // An endpoint of unknown node might be here: hairpin rules for it cost nothing.
      const hairpin = (ep: PortEndpoint) => !ep.nodeName || isLocal(ep);
      const sticky = affinity ? affinitySeconds : undefined;
      const clusterIPMatch = `-d ${clusterIP}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${port.port}`;
      // Callers from outside the pod subnet (the node, other hosts) must get replies back through
      // this node: masquerade them.
      const masqOutsiders = (chain: string) => `-A ${chain} ! -s ${cfg.podSubnet} -d ${clusterIP}/32 ${portMatch(proto, port.port)} -j ${MARK_MASQ_CHAIN}`;
      if (svc.spec?.internalTrafficPolicy === "Local") {
        // The cluster IP reaches only this node's endpoints (NodePorts still use svcChain, all of them).
        const localEps = eps.filter(isLocal);
        if (localEps.length) {
          const svl = localChain(name, proto);
          natChains.push(svl);
          services_.push(`-A ${SERVICES_CHAIN} ${clusterIPMatch} -j ${svl}`);
          perService.push(masqOutsiders(svl), ...balanceRules(svl, localEps, name, proto, sticky, hairpin));
        } else filter.push(`-A ${SERVICES_CHAIN} ${clusterIPMatch.replace("cluster IP", "has no local endpoints")} -j DROP`);
      } else services_.push(`-A ${SERVICES_CHAIN} ${clusterIPMatch} -j ${svcChain}`);
      if (nodePort) {
        const np = `-A ${NODEPORTS_CHAIN} -p ${proto} -m comment --comment "${name}" -m ${proto} --dport ${nodePort}`;
        if (svc.spec?.externalTrafficPolicy === "Local") {
          const localEps = eps.filter(isLocal);
          nodePorts.push(`${np} -j ${externalChain(name, proto)}`);
          natChains.push(externalChain(name, proto));
          perService.push(...externalLocalRules(name, proto, svcChain, localEps, cfg, sticky));
          if (localEps.length === 0) {
            // kube-proxy drops these (a load balancer's health check sends clients elsewhere).
            for (const d of nodePortDest) filter.push(`-A ${SERVICES_CHAIN} ! -s ${cfg.podSubnet} ${d} -m addrtype ! --src-type LOCAL -p ${proto} -m comment --comment "${name} has no local endpoints" -m ${proto} --dport ${nodePort} -j DROP`);
          }
        } else nodePorts.push(`${np} -j ${MARK_MASQ_CHAIN}`, `${np} -j ${svcChain}`);
      }
      perService.push(masqOutsiders(svcChain), ...balanceRules(svcChain, eps, name, proto, sticky, hairpin));
      if (!affinity) continue;
      // Session affinity: one chain per endpoint, which records the client (recent module) and
      // which the balancing chains check first.
      for (const ep of eps) {
        const sep = endpointChain(name, proto, ep);
        natChains.push(sep);
        // Hairpin: a pod reaching itself through the service must see the node as the source.
        perService.push(`-A ${sep} -s ${ep.ip}/32 -j ${MARK_MASQ_CHAIN}`);
        perService.push(`-A ${sep} -p ${proto} -m recent --set --name ${sep} --mask 255.255.255.255 --rsource -m ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
      }
    }
  }

  const nat = [
    ...services_,
    // Last: anything else addressed to the node may be a NodePort.
    ...nodePortDest.map((d) => (d.startsWith("-m") ? `-A ${SERVICES_CHAIN} ! -d 127.0.0.0/8 ${d} -j ${NODEPORTS_CHAIN}` : `-A ${SERVICES_CHAIN} ${d} -j ${NODEPORTS_CHAIN}`)),
    ...nodePorts,
    `-A ${POSTROUTING_CHAIN} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    // Clear the bit: a packet re-entering the stack (e.g. through a tunnel) is not masqueraded twice.
    `-A ${POSTROUTING_CHAIN} -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${POSTROUTING_CHAIN} -j MASQUERADE`,
    `-A ${MARK_MASQ_CHAIN} -j MARK --or-mark ${MASQ_MARK}`,
    ...perService,
  ];
  const natRules: TableRules = { chains: natChains, rules: nat };
  const filterRules: TableRules = { chains: [SERVICES_CHAIN], rules: filter };
  const text = tableText("nat", natRules) + tableText("filter", filterRules);
  return { nat: natRules, filter: filterRules, text, counts, udp };
}

/**
 * The rules of a chain that picks one of `eps` at random (1/n, 1/(n-1), ...). Without affinity it
 * DNATs directly — no per-endpoint chains: with 10,000 endpoints their number makes
 * iptables-nft-restore --noflush quadratic (7 s instead of 0.4 s) — and masquerades a caller that
 * is one of this node's endpoints (hairpin; kube-proxy does it only when the chosen endpoint is the
 * caller itself, a difference only in the source address another replica sees). With ClientIP
 * affinity it jumps to the endpoint chains, first to one that remembers the client.
 */
function balanceRules(chain: string, eps: PortEndpoint[], name: string, proto: Protocol, affinitySeconds: number | undefined, hairpin: (ep: PortEndpoint) => boolean): string[] {
  const out: string[] = [];
  const probability = (i: number) => probabilityMatch(i, eps.length);
  if (affinitySeconds === undefined) {
    for (const ep of eps) if (hairpin(ep)) out.push(`-A ${chain} -s ${ep.ip}/32 -j ${MARK_MASQ_CHAIN}`);
    eps.forEach((ep, i) => out.push(`-A ${chain} -p ${proto}${probability(i)} -m ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`));
    return out;
  }
  const seps = eps.map((ep) => endpointChain(name, proto, ep));
  for (const sep of seps) out.push(`-A ${chain} -m recent --rcheck --seconds ${affinitySeconds} --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
  seps.forEach((sep, i) => out.push(`-A ${chain}${probability(i)} -j ${sep}`));
  return out;
}

/**
 * externalTrafficPolicy: Local for a NodePort: callers from outside keep their address (no
 * masquerade) and reach only this node's endpoints; pods and the node itself take the cluster-wide
 * path. With no local endpoint nothing is DNATed here and the filter table drops the packet.
 */
function externalLocalRules(name: string, proto: Protocol, svcChain: string, localEps: PortEndpoint[], cfg: ProxyConfig, affinitySeconds: number | undefined): string[] {
  const ext = externalChain(name, proto);
  return [
    `-A ${ext} -s ${cfg.podSubnet} -m comment --comment "pod traffic for ${name} takes the cluster-wide path" -j ${svcChain}`,
    `-A ${ext} -m addrtype --src-type LOCAL -j ${MARK_MASQ_CHAIN}`,
    `-A ${ext} -m addrtype --src-type LOCAL -j ${svcChain}`,
    // Outside callers are never endpoints: no hairpin rules.
    ...balanceRules(ext, localEps, name, proto, affinitySeconds, () => false),
  ];
}

function keyOf(svc: Service): string {
  return `${svc.metadata?.namespace ?? "default"}/${svc.metadata?.name ?? ""}`;
}

function tableText(table: string, t: TableRules, extra: { before?: string[]; after?: string[] } = {}): string {
  return [`*${table}`, ...t.chains.map((c) => `:${c} - [0:0]`), ...(extra.before ?? []), ...t.rules, ...(extra.after ?? []), "COMMIT"].join("\n") + "\n";
}

/** Where our chains are entered from, in iptables-save's spelling (without "-A HOOK"). */
export const JUMPS: Record<"nat" | "filter", Array<{ hook: string; spec: string }>> = {
  nat: [
    { hook: "PREROUTING", spec: `-j ${SERVICES_CHAIN}` },
    { hook: "OUTPUT", spec: `-j ${SERVICES_CHAIN}` },
    { hook: "POSTROUTING", spec: `-j ${POSTROUTING_CHAIN}` },
  ],
  filter: [
    { hook: "INPUT", spec: `-m conntrack --ctstate NEW -j ${SERVICES_CHAIN}` },
    { hook: "FORWARD", spec: `-m conntrack --ctstate NEW -j ${SERVICES_CHAIN}` },
    { hook: "OUTPUT", spec: `-m conntrack --ctstate NEW -j ${SERVICES_CHAIN}` },
  ],
};

/** What the applier found in the kernel (from iptables-save), or remembers from its last sync. */
export interface KernelState {
  /** Our chains (MC-*) that exist now, per table. */
  chains: Record<"nat" | "filter", Set<string>>;
  /** Per table, the rule lines ("-A ...") of the built-in chains we hook; undefined: assume our jumps are in place. */
  hooks?: Record<"nat" | "filter", string[]>;
}

/**
 * The iptables-restore --noflush input that turns the kernel's state into the desired one in one
 * transaction: our chains are declared (which flushes them) and refilled, chains of ours no longer
 * wanted are flushed and deleted, and our jumps are made the first rule of each hook (inserted when
 * missing, moved when something was put ahead of them — the pod network's FORWARD accept must not
 * come before our REJECTs). Other rules of the built-in chains are left alone.
 */
export function restoreInput(desired: DesiredRules, state: KernelState): string {
  let out = "";
  for (const table of ["nat", "filter"] as const) {
    const t = desired[table];
    const want = new Set(t.chains);
    const stale = [...state.chains[table]].filter((c) => !want.has(c)).sort();
    const before: string[] = [];
    for (const { hook, spec } of JUMPS[table]) {
      const lines = state.hooks?.[table].filter((l) => l.startsWith(`-A ${hook} `));
      if (!lines) continue;
      const ours = `-A ${hook} ${spec}`;
      if (lines[0] === ours && lines.filter((l) => l === ours).length === 1) continue;
      for (const l of lines) if (l === ours) before.push(`-D ${hook} ${spec}`);
      before.push(`-I ${hook} 1 ${spec}`);
    }
    out += tableText(table, { chains: [...t.chains, ...stale], rules: t.rules }, { before, after: stale.map((c) => `-X ${c}`) });
  }
  return out;
}

/** Reads iptables-save output: our chains and the rules of the built-in chains, per table. */
export function parseKernelState(saved: string): Required<KernelState> {
  const state: Required<KernelState> = { chains: { nat: new Set(), filter: new Set() }, hooks: { nat: [], filter: [] } };
  const builtin = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);
  let table: "nat" | "filter" | undefined;
  for (const raw of saved.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) {
      const name = line.slice(1);
      table = name === "nat" || name === "filter" ? name : undefined;
    } else if (!table) continue;
    else if (line.startsWith(":MC-")) state.chains[table].add(line.slice(1).split(" ")[0]!);
    else if (line.startsWith("-A ") && builtin.has(line.split(" ")[1]!)) state.hooks[table].push(line);
  }
  return state;
}
