// The subject alternative names of the API server's serving certificate. Clients verify the server
// only against SANs (Go ignores the CN), so every name a client may dial must be here: loopback for
// the host, the in-cluster service names and ClusterIP, and whatever the user adds with --tls-san.
import { isIP } from "node:net";

export interface SanSet {
  dns: string[];
  ips: string[];
}

/** The in-cluster names of the `kubernetes` Service in the default namespace (cluster domain cluster.local). */
export const SERVICE_DNS_NAMES = [
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];

/** 127.0.0.1 for port-forwarded access from the host; 10.96.0.1 is the first IP of the default service CIDR 10.96.0.0/12. */
export const DEFAULT_IPS = ["127.0.0.1", "10.96.0.1"];

/**
 * The full SAN set: localhost, the host name, the service names, the default IPs and every extra
 * name, each classified as IP or DNS. Sorted and de-duplicated so two runs with the same inputs
 * produce equal sets regardless of flag order.
 */
export function servingSans(extra: readonly string[], hostname: string | undefined): SanSet {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (raw: string): void => {
    const name = raw.trim();
    if (name === "") return;
    const ip = normalizeIp(name);
    if (ip !== undefined) ips.add(ip);
    else dns.add(name.toLowerCase());
  };
  ["localhost", ...(hostname ? [hostname] : []), ...SERVICE_DNS_NAMES, ...DEFAULT_IPS, ...extra].forEach(add);
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/**
 * The canonical text form of an IP address, or undefined if `value` is not one. IPv6 addresses have
 * many spellings (::1, 0:0:0:0:0:0:0:1), and certificate parsers print the expanded one, so compare
 * through the WHATWG URL parser, which yields the RFC 5952 compressed form. Brackets are accepted
 * because users often copy "[::1]" from URLs.
 */
export function normalizeIp(value: string): string | undefined {
  const bare = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return undefined;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare.toLowerCase(); // zone-scoped addresses (fe80::1%eth0) are valid for isIP but not in URLs
  }
}

export function sameSans(a: SanSet, b: SanSet): boolean {
  const key = (s: SanSet): string => JSON.stringify([[...s.dns].sort(), [...s.ips].sort()]);
  return key(a) === key(b);
}
