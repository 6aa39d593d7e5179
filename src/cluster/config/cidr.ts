// IPv4 CIDR arithmetic for the pod and service subnets (IPv6 clusters are not supported yet).

import { isIPv4, isIPv6 } from "../../api/validation/net.js";

export interface IPv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipv4ToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

const size = (prefix: number): number => 2 ** (32 - prefix);

/** Parses `a.b.c.d/n`; otherwise what is wrong with it, worded to follow the quoted text. */
export function parseIPv4Cidr(text: string): IPv4Cidr | string {
  const slash = text.indexOf("/");
  const ip = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? "" : text.slice(slash + 1);
  if (isIPv6(ip)) return "is IPv6; IPv6 subnets are not supported yet";
  if (!isIPv4(ip) || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return "is not an IPv4 CIDR such as 10.244.0.0/16";
  const prefix = Number(bits);
  const addr = ipv4ToNumber(ip);
  const base = addr - (addr % size(prefix));
  if (base !== addr) return `has host bits set; did you mean ${numberToIPv4(base)}/${prefix}?`;
  return { base, prefix };
}

export function cidrsOverlap(a: IPv4Cidr, b: IPv4Cidr): boolean {
  return a.base < b.base + size(b.prefix) && b.base < a.base + size(a.prefix);
}

/** How many /`perNode` blocks fit in the subnet (node pod ranges are /24 as kube-controller-manager's default). */
export function blocksIn(c: IPv4Cidr, perNode = 24): number {
  return c.prefix > perNode ? 0 : 2 ** (perNode - c.prefix);
}

/**
 * The `kubernetes` Service's cluster IP: the first address of the service subnet (10.96.0.1 for
 * the default), which the API server's certificate must name.
 */
export function firstServiceIP(serviceSubnet: string): string {
  const c = parseIPv4Cidr(serviceSubnet);
  if (typeof c === "string") throw new Error(`service subnet ${JSON.stringify(serviceSubnet)} ${c}`);
  return numberToIPv4(c.base + 1);
}
