// The pod's /etc/hosts, /etc/resolv.conf and /etc/hostname, as the kubelet (and containerd's
// sandbox) write them: Kubernetes' managed hosts file with the pod's IPs and hostAliases, DNS by
// dnsPolicy merged with dnsConfig, and the hostname from spec.hostname / the pod name.

import type { Pod } from "kubernetes-types/core/v1.js";

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** Pod hostname and domain (GeneratePodHostNameAndDomain); `fqdn` with a subdomain. */
export function podHostname(pod: Pod, clusterDomain = DEFAULT_CLUSTER_DOMAIN): { hostname: string; domain?: string; uts: string } {
  const hostname = pod.spec?.hostname || truncateHostname(pod.metadata?.name ?? "");
  const domain = pod.spec?.subdomain ? `${pod.spec.subdomain}.${pod.metadata?.namespace ?? "default"}.svc.${clusterDomain}` : undefined;
  let uts = hostname;
  if (pod.spec?.setHostnameAsFQDN && domain) uts = `${hostname}.${domain}`;
  return { hostname, ...(domain ? { domain } : {}), uts };
}

function truncateHostname(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 63).replace(/[-.]+$/, "");
}

/** Kubernetes' managed hosts file; host-network pods get the node's file under a header. */
export function hostsFile(pod: Pod, podIPs: readonly string[], opts: { clusterDomain?: string; nodeHosts?: string } = {}): string {
  const aliases = pod.spec?.hostAliases ?? [];
  let aliasText = "";
  if (aliases.length) {
    aliasText = "\n# Entries added by HostAliases.\n" + aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`).join("");
  }
  if (pod.spec?.hostNetwork) {
    const node = opts.nodeHosts ?? "";
    return "# Kubernetes-managed hosts file (host network).\n" + node + (node && !node.endsWith("\n") ? "\n" : "") + aliasText;
  }
  const { hostname, domain } = podHostname(pod, opts.clusterDomain);
  let s = "# Kubernetes-managed hosts file.\n";
  s += "127.0.0.1\tlocalhost\n";
  s += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  s += "fe00::0\tip6-localnet\n";
  s += "fe00::0\tip6-mcastprefix\n";
  s += "fe00::1\tip6-allnodes\n";
  s += "fe00::2\tip6-allrouters\n";
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + aliasText;
}

export interface DnsConfig {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** nameserver / search (or domain) / options of a resolv.conf; the last search and options lines win. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { nameservers: [], searches: [], options: [] };
  let domain: string[] | undefined;
  let search: string[] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === "nameserver" && rest[0]) out.nameservers.push(rest[0]);
    else if (key === "search") search = rest;
    else if (key === "domain" && rest[0]) domain = [rest[0]];
    else if (key === "options") out.options = rest;
  }
  out.searches = search ?? domain ?? [];
  return out;
}

const dedupe = (xs: readonly string[]): string[] => [...new Set(xs)];

function mergeOptions(base: readonly string[], extra: ReadonlyArray<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(":");
    byName.set(i === -1 ? o : o.slice(0, i), o);
  }
  for (const o of extra) {
    if (!o.name) continue;
    byName.set(o.name, o.value !== undefined && o.value !== "" ? `${o.name}:${o.value}` : o.name);
  }
  return [...byName.values()];
}

function trimSearches(searches: string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of searches) {
    if (out.length >= MAX_SEARCHES || chars + s.length + (out.length ? 1 : 0) > MAX_SEARCH_CHARS) break;
    chars += s.length + (out.length ? 1 : 0);
    out.push(s);
  }
  return out;
}

export interface DnsOptions {
  /** Cluster DNS service IPs (issue 5); without them ClusterFirst falls back to Default, as the kubelet does. */
  clusterDNS?: readonly string[];
  clusterDomain?: string;
}

/** The pod's DNS settings by dnsPolicy (pkg/kubelet/network/dns), with dnsConfig appended. */
export function podDnsConfig(pod: Pod, node: DnsConfig, opts: DnsOptions = {}): DnsConfig {
  const policy = pod.spec?.dnsPolicy ?? "ClusterFirst";
  const hostNetwork = !!pod.spec?.hostNetwork;
  const domain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  let cfg: DnsConfig;
  const clusterFirst = (policy === "ClusterFirst" && !hostNetwork) || policy === "ClusterFirstWithHostNet";
  if (policy === "None") {
    cfg = { nameservers: [], searches: [], options: [] };
  } else if (clusterFirst && opts.clusterDNS?.length) {
    const ns = pod.metadata?.namespace ?? "default";
    cfg = {
      nameservers: [...opts.clusterDNS],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...node.searches],
      options: ["ndots:5"],
    };
  } else {
    // Default (and ClusterFirst without cluster DNS): the node's resolver. A node container's
    // resolv.conf names Docker's embedded resolver, 127.0.0.11, which only answers inside the
    // node's own netns, not in a pod's. Loopback nameservers are therefore replaced by the cluster
    // DNS, which forwards every non-cluster name to the node's upstreams, so names resolve as they
    // do on the node.
    const loopback = (ip: string) => /^127\./.test(ip) || ip === "::1";
    const usable = node.nameservers.filter((n) => !loopback(n));
    const nameservers =
      !hostNetwork && usable.length < node.nameservers.length && opts.clusterDNS?.length ? dedupe([...usable, ...opts.clusterDNS]) : [...node.nameservers];
    cfg = { nameservers, searches: [...node.searches], options: [...node.options] };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg = {
      nameservers: dedupe([...cfg.nameservers, ...(extra.nameservers ?? [])]),
      searches: dedupe([...cfg.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(cfg.options, extra.options ?? []),
    };
  }
  return { nameservers: cfg.nameservers.slice(0, MAX_NAMESERVERS), searches: trimSearches(dedupe(cfg.searches)), options: cfg.options };
}

/** containerd's resolv.conf text: search, nameserver lines, options. */
export function formatResolvConf(cfg: DnsConfig): string {
  let s = "";
  if (cfg.searches.length) s += `search ${cfg.searches.join(" ")}\n`;
  for (const n of cfg.nameservers) s += `nameserver ${n}\n`;
  if (cfg.options.length) s += `options ${cfg.options.join(" ")}\n`;
  return s;
}
