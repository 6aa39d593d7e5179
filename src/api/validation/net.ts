// IP address and CIDR syntax, as Go's net.ParseIP / net.ParseCIDR accept them (used by Service,
// Endpoints, EndpointSlice and Node validation).

import { isIP } from "node:net";

export const isIPv4 = (s: string): boolean => isIP(s) === 4 && !/(^|\.)0\d/.test(s);
export const isIPv6 = (s: string): boolean => isIP(s) === 6 && !s.includes("%");
export const isIPAddress = (s: string): boolean => isIPv4(s) || isIPv6(s);

export function isCIDR(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip)) return n <= 128;
  return false;
}

export const ipFamilyOf = (s: string): "IPv4" | "IPv6" | undefined => (isIPv4(s) ? "IPv4" : isIPv6(s) ? "IPv6" : undefined);
