// The cluster DNS record model: a pure function of Services, EndpointSlices, Pods (and, when
// known, Namespaces) that answers one question (name, type) for the cluster domain and the
// reverse zones, the way CoreDNS's kubernetes plugin does:
//
//   SVC.NS.svc.ZONE                A/AAAA   cluster IPs; for a headless service every ready endpoint
//   HOST.SVC.NS.svc.ZONE           A/AAAA   an endpoint of a headless service (HOST = endpoint
//                                           hostname, or its IP with dashes)
//   _PORT._PROTO.SVC.NS.svc.ZONE   SRV      named ports (SVC.NS.svc.ZONE SRV lists every port)
//   SVC.NS.svc.ZONE                CNAME    ExternalName services
//   A-B-C-D.NS.pod.ZONE            A        pods ("pods verified": a pod in NS has that IP)
//   reverse names                  PTR      cluster IPs and endpoint IPs
//   dns-version.ZONE               TXT      "1.1.0" (the Kubernetes DNS specification version)
//
// A name that exists (including the names between the zone and a record, like NS.svc.ZONE)
// but has no record of the asked type gets NODATA; any other name in the zone NXDOMAIN; both
// carry the zone's SOA. Names outside the zone, and reverse names this model does not know
// ("fallthrough in-addr.arpa ip6.arpa"), are left to the forwarder.

import net from "node:net";
import type { KubeObject } from "../../api/registry/types.js";

export type RRType = "A" | "AAAA" | "CNAME" | "SRV" | "PTR" | "TXT" | "SOA" | "NS";

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type ResourceRecord =
  | { name: string; type: "A" | "AAAA" | "CNAME" | "PTR" | "NS"; ttl: number; class: "IN"; data: string }
  | { name: string; type: "SRV"; ttl: number; class: "IN"; data: SrvData }
  | { name: string; type: "TXT"; ttl: number; class: "IN"; data: string[] }
  | { name: string; type: "SOA"; ttl: number; class: "IN"; data: SoaData };

export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export type Lookup =
  | {
      kind: "answer";
      rcode: typeof RCODE_NOERROR | typeof RCODE_NXDOMAIN;
      answers: ResourceRecord[];
      authorities: ResourceRecord[];
      additionals: ResourceRecord[];
      /** The answer ends in a CNAME to a name outside the zone: the server may resolve it upstream. */
      chase?: string;
    }
  | { kind: "forward" };

export interface DnsModelOptions {
  /** The cluster domain (default cluster.local). */
  domain?: string;
  /** TTL of positive answers (default 30, as kubeadm's Corefile sets `ttl 30`). */
  ttl?: number;
  /** TTL and minimum of the SOA sent with NXDOMAIN/NODATA, i.e. the negative-caching time (default 5). */
  negativeTtl?: number;
  /** "verified" (default): a pod name answers only if a pod in that namespace has the IP; "insecure": any. */
  pods?: "verified" | "insecure";
  /** The DNS service address, for the zone's NS record (optional). */
  dnsServiceIp?: string;
}

export interface DnsObjects {
  services: readonly KubeObject[];
  endpointSlices: readonly KubeObject[];
  pods: readonly KubeObject[];
  namespaces?: readonly KubeObject[];
}

export const DNS_SCHEMA_VERSION = "1.1.0";
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  publishNotReadyAddresses?: boolean;
  ports?: { name?: string; port?: number; protocol?: string }[];
}

interface SliceEndpoint {
  addresses?: string[];
  hostname?: string;
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
}

interface Slice {
  addressType?: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: { name?: string; port?: number; protocol?: string }[] | null;
}

/** A-B-C-D for 1.2.3.4; for IPv6 the colons become dashes (CoreDNS's form). */
export function dashedIp(ip: string): string {
  return ip.replace(/[.:]/g, "-");
}

/** The reverse (PTR) name of an IP address, without the trailing dot. */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return ip.split(".").reverse().join(".") + ".in-addr.arpa";
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  return expandIpv6(ip).replace(/:/g, "").split("").reverse().join(".") + ".ip6.arpa";
}

function expandIpv6(ip: string): string {
  const parts = ip.includes("::") ? ip.split("::") : [ip, undefined];
  let head = parts[0];
  const tail = parts[1];
  const h = head ? head.split(":") : [];
  let t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const last = (t.length ? t : h).at(-1);
  if (last && last.includes(".")) {
    const o = last.split(".").map(Number);
    const groups = [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)];
    if (t.length) t = [...t.slice(0, -1), ...groups];
    else head = [...h.slice(0, -1), ...groups].join(":");
  }
  const hh = head ? head.split(":") : [];
  const fill = tail !== undefined ? 8 - hh.length - t.length : 0;
  return [...hh, ...Array(fill).fill("0"), ...t].map((g) => g.padStart(4, "0")).join(":");
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.+$/, "");
}

function ipType(ip: string): "A" | "AAAA" | undefined {
  return net.isIPv4(ip) ? "A" : net.isIPv6(ip) ? "AAAA" : undefined;
}

/** An immutable index of every record the cluster has; build it again when the objects change. */
export class DnsZone {
  readonly domain: string;
  readonly ttl: number;
  readonly negativeTtl: number;
  private readonly records = new Map<string, ResourceRecord[]>();
  /** Every name that exists: owners of records and the names between them and the zone. */
  private readonly names = new Set<string>();
  private readonly soa: ResourceRecord;
  private readonly podsMode: "verified" | "insecure";

  constructor(objects: DnsObjects, opts: DnsModelOptions = {}) {
    this.domain = normalize(opts.domain ?? "cluster.local");
    this.ttl = opts.ttl ?? 30;
    this.negativeTtl = opts.negativeTtl ?? 5;
    this.podsMode = opts.pods ?? "verified";
    const d = this.domain;
    this.soa = {
      name: d,
      type: "SOA",
      ttl: this.negativeTtl,
      class: "IN",
      data: { mname: `ns.dns.${d}`, rname: `hostmaster.${d}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: this.negativeTtl },
    };
    this.add(this.soa);
    this.add({ name: d, type: "NS", ttl: this.ttl, class: "IN", data: `ns.dns.${d}` });
    if (opts.dnsServiceIp && ipType(opts.dnsServiceIp)) {
      this.add({ name: `ns.dns.${d}`, type: ipType(opts.dnsServiceIp)!, ttl: this.ttl, class: "IN", data: opts.dnsServiceIp });
    }
    this.add({ name: `dns-version.${d}`, type: "TXT", ttl: this.ttl, class: "IN", data: [DNS_SCHEMA_VERSION] });
    this.names.add(`svc.${d}`);
    this.names.add(`pod.${d}`);
    for (const ns of objects.namespaces ?? []) {
      const n = ns.metadata?.name;
      if (!n) continue;
      this.names.add(`${n}.svc.${d}`);
      this.names.add(`${n}.pod.${d}`);
    }
    this.indexServices(objects);
    this.indexPods(objects.pods);
  }

  private add(rr: ResourceRecord): void {
    const name = normalize(rr.name);
    const list = this.records.get(name);
    const data = rr.data && typeof rr.data === "object" && !Array.isArray(rr.data) ? { ...rr.data } : rr.data;
    const stored = { ...rr, name, data } as ResourceRecord;
    if (list) {
      if (!list.some((x) => x.type === stored.type && JSON.stringify(x.data) === JSON.stringify(stored.data))) list.push(stored);
    } else this.records.set(name, [stored]);
    this.addName(name);
  }

  private addName(name: string): void {
    // The name and each ancestor up to the zone (or up to in-addr.arpa / ip6.arpa) exist.
    let n = name;
    for (;;) {
      if (this.names.has(n)) return;
      this.names.add(n);
      const dot = n.indexOf(".");
      if (dot < 0) return;
      n = n.slice(dot + 1);
      if (n === this.domain || n === "in-addr.arpa" || n === "ip6.arpa") return;
    }
  }

  private indexServices(objects: DnsObjects): void {
    const d = this.domain;
    const slicesByService = new Map<string, Slice[]>();
    for (const s of objects.endpointSlices) {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc || s.metadata?.deletionTimestamp) continue;
      const key = `${s.metadata?.namespace ?? ""}/${svc}`;
      const list = slicesByService.get(key) ?? [];
      list.push(s as Slice);
      slicesByService.set(key, list);
    }
    for (const svc of objects.services) {
      const name = svc.metadata?.name;
      const ns = svc.metadata?.namespace;
      if (!name || !ns) continue;
      const spec = (svc.spec ?? {}) as ServiceSpec;
      const fqdn = `${name}.${ns}.svc.${d}`;
      this.addName(fqdn);
      if (spec.type === "ExternalName") {
        if (spec.externalName) this.add({ name: fqdn, type: "CNAME", ttl: this.ttl, class: "IN", data: normalize(spec.externalName) });
        continue;
      }
      const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ipType(ip));
      const headless = spec.clusterIP === "None";
      if (!headless) {
        for (const ip of ips) {
          this.add({ name: fqdn, type: ipType(ip)!, ttl: this.ttl, class: "IN", data: ip });
          this.add({ name: reverseName(ip), type: "PTR", ttl: this.ttl, class: "IN", data: fqdn });
        }
        if (ips.length === 0) continue;
        const ports = spec.ports ?? [];
        for (const p of ports) {
          if (!p.port) continue;
          const srv: SrvData = { priority: 0, weight: 100, port: p.port, target: fqdn };
          this.add({ name: fqdn, type: "SRV", ttl: this.ttl, class: "IN", data: srv });
          if (p.name) this.add({ name: `_${p.name}._${(p.protocol ?? "TCP").toLowerCase()}.${fqdn}`, type: "SRV", ttl: this.ttl, class: "IN", data: srv });
        }
        continue;
      }
      for (const slice of slicesByService.get(`${ns}/${name}`) ?? []) {
        if (slice.addressType === "FQDN") continue;
        for (const ep of slice.endpoints ?? []) {
          // A nil ready condition means ready; publishNotReadyAddresses publishes every endpoint.
          const ready = ep.conditions?.ready !== false || spec.publishNotReadyAddresses === true;
          if (!ready) continue;
          for (const ip of ep.addresses ?? []) {
            const t = ipType(ip);
            if (!t) continue;
            const host = `${ep.hostname ? ep.hostname.toLowerCase() : dashedIp(ip)}.${fqdn}`;
            this.add({ name: fqdn, type: t, ttl: this.ttl, class: "IN", data: ip });
            this.add({ name: host, type: t, ttl: this.ttl, class: "IN", data: ip });
            this.add({ name: reverseName(ip), type: "PTR", ttl: this.ttl, class: "IN", data: host });
            for (const p of slice.ports ?? []) {
              if (!p.port) continue;
              const srv: SrvData = { priority: 0, weight: 100, port: p.port, target: host };
              this.add({ name: fqdn, type: "SRV", ttl: this.ttl, class: "IN", data: srv });
              if (p.name) this.add({ name: `_${p.name}._${(p.protocol ?? "TCP").toLowerCase()}.${fqdn}`, type: "SRV", ttl: this.ttl, class: "IN", data: srv });
            }
          }
        }
      }
    }
    // Share the SRV weight among the targets of one name, as CoreDNS does (100 / count).
    for (const list of this.records.values()) {
      const srvs = list.filter((r) => r.type === "SRV");
      if (srvs.length > 1) for (const r of srvs) (r.data as SrvData).weight = Math.floor(100 / srvs.length);
    }
  }

  private indexPods(pods: readonly KubeObject[]): void {
    if (this.podsMode !== "verified") return;
    for (const pod of pods) {
      const ns = pod.metadata?.namespace;
      if (!ns || pod.metadata?.deletionTimestamp) continue;
      const status = (pod.status ?? {}) as { podIP?: string; podIPs?: { ip?: string }[]; phase?: string };
      if (status.phase === "Succeeded" || status.phase === "Failed") continue;
      const ips = status.podIPs?.length ? status.podIPs.map((p) => p.ip ?? "") : status.podIP ? [status.podIP] : [];
      for (const ip of ips) {
        const t = ipType(ip);
        if (t) this.add({ name: `${dashedIp(ip)}.${ns}.pod.${this.domain}`, type: t, ttl: this.ttl, class: "IN", data: ip });
      }
    }
  }

  /** Whether a name (absolute or not, any case) is in the cluster zone. */
  inZone(name: string): boolean {
    const n = normalize(name);
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  lookup(qname: string, qtype: string): Lookup {
    const name = normalize(qname);
    const isReverse = name.endsWith(".in-addr.arpa") || name.endsWith(".ip6.arpa");
    if (!this.inZone(name) && !isReverse) return { kind: "forward" };
    const answers: ResourceRecord[] = [];
    const additionals: ResourceRecord[] = [];
    let owner = name;
    let shown = qname.replace(/\.+$/, "");
    for (let hops = 0; hops < 8; hops++) {
      const found = this.find(owner);
      if (!found) {
        if (isReverse && answers.length === 0) return { kind: "forward" };
        if (answers.length > 0) return { kind: "answer", rcode: RCODE_NOERROR, answers, authorities: [this.soa], additionals };
        return { kind: "answer", rcode: RCODE_NXDOMAIN, answers, authorities: [this.soa], additionals };
      }
      const cname = found.find((r) => r.type === "CNAME");
      if (cname && qtype !== "CNAME") {
        answers.push({ ...cname, name: shown });
        const target = cname.data as string;
        if (!this.inZone(target)) return { kind: "answer", rcode: RCODE_NOERROR, answers, authorities: [], additionals, chase: target };
        owner = target;
        shown = target;
        continue;
      }
      const matching = qtype === "ANY" ? found : found.filter((r) => r.type === qtype);
      for (const r of matching) answers.push({ ...r, name: shown } as ResourceRecord);
      if (qtype === "SRV") {
        for (const r of matching) {
          const target = (r.data as SrvData).target;
          for (const a of this.find(target) ?? []) if (a.type === "A" || a.type === "AAAA") additionals.push(a);
        }
      }
      if (answers.length === 0) return { kind: "answer", rcode: RCODE_NOERROR, answers, authorities: [this.soa], additionals };
      return { kind: "answer", rcode: RCODE_NOERROR, answers, authorities: [], additionals };
    }
    return { kind: "answer", rcode: RCODE_NOERROR, answers, authorities: [this.soa], additionals };
  }

  /** The records of a name: undefined if the name does not exist, [] if it exists without records. */
  private find(name: string): ResourceRecord[] | undefined {
    const n = normalize(name);
    const rrs = this.records.get(n);
    if (rrs) return rrs;
    if (this.names.has(n)) return [];
    if (this.podsMode === "insecure") {
      const m = /^([0-9a-f-]+)\.([a-z0-9-]+)\.pod\./.exec(n);
      if (m && n === `${m[1]}.${m[2]}.pod.${this.domain}`) {
        const v4 = m[1]!.replace(/-/g, ".");
        if (net.isIPv4(v4)) return [{ name: n, type: "A", ttl: this.ttl, class: "IN", data: v4 }];
        const v6 = m[1]!.replace(/-/g, ":");
        if (net.isIPv6(v6)) return [{ name: n, type: "AAAA", ttl: this.ttl, class: "IN", data: v6 }];
      }
    }
    return undefined;
  }
}
