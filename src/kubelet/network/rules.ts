// The pod network's host configuration as text, so that what is applied can be tested without a
// kernel: names derived from a pod's uid, the `ip -batch` lines of a pod's setup, the route
// changes towards other nodes, and the iptables-restore input of the node's rules.

import { createHash } from "node:crypto";
import { ipv4ToNumber, numberToIPv4, parseIPv4Cidr, type IPv4Cidr } from "../../cluster/config/cidr.js";
import { SERVICES_CHAIN } from "../../proxy/rules.js";

export const BRIDGE = "mc0";
/** Routes to other nodes' pods carry this protocol number, so we find (and remove) exactly ours. */
export const ROUTE_PROTO = 147;
export const NAT_CHAIN = "MINICLUSTER-POSTROUTING";
export const FORWARD_CHAIN = "MINICLUSTER-FORWARD";

/** The node image's iptables is the nf_tables variant, and Docker's own rules in a node (its DNS) are there too. */
export const IPTABLES_SAVE = "iptables-nft-save";
export const IPTABLES_RESTORE = "iptables-nft-restore";

export function parseCidr(text: string): IPv4Cidr {
  const c = parseIPv4Cidr(text);
  if (typeof c === "string") throw new Error(`${JSON.stringify(text)} ${c}`);
  return c;
}

/** A node's pod range: the bridge (gateway) takes the first address, pods the rest but the broadcast. */
export interface PodRange {
  cidr: string;
  prefixLength: number;
  gateway: string;
  /** First and last address pods may get, as numbers. */
  first: number;
  last: number;
}

export function podRange(cidr: string): PodRange {
  const c = parseCidr(cidr);
  if (c.prefix > 30) throw new Error(`pod CIDR ${cidr} is too small: a /30 or larger is needed`);
  const size = 2 ** (32 - c.prefix);
  return { cidr, prefixLength: c.prefix, gateway: numberToIPv4(c.base + 1), first: c.base + 2, last: c.base + size - 2 };
}

export function inRange(range: PodRange, ip: string): boolean {
  const n = ipv4ToNumber(ip);
  return n >= range.first && n <= range.last;
}

/**
 * A stable, locally administered MAC made from an IPv4 address (0a:58 + its IP, as OVN does). The
 * bridge gets its gateway's: it must not take its ports' lowest MAC, which changes as pods come and
 * go. A pod's eth0 gets its own IP's: an address used again by a new pod keeps its MAC, so the
 * ARP entries the node and other pods still hold for it stay right.
 */
export function macForIP(ip: string): string {
  return ["0a", "58", ...ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");
}

/**
 * Short names of a pod's network objects. Interface names have 15 characters at most, so both use
 * 12 characters of the uid (a UUID's first 12 hex digits), or of its SHA-256 when the uid is not
 * UUID-like (tests).
 */
export function podNames(uid: string): { key: string; netns: string; hostVeth: string } {
  const hex = uid.toLowerCase().replace(/-/g, "");
  const key = /^[0-9a-f]{12,}$/.test(hex) ? hex.slice(0, 12) : createHash("sha256").update(uid).digest("hex").slice(0, 12);
  return { key, netns: `mc-${key}`, hostVeth: `vmc${key}` };
}

/**
 * Lines for `ip -batch -` in the node's namespace: the netns and a veth whose pod end is eth0 inside
 * it. Hairpin mode on the bridge port lets a pod reach itself through a service (the proxy DNATs
 * the packet back to the port it came in on, which a bridge otherwise never sends to).
 */
export function podHostBatch(names: { netns: string; hostVeth: string }): string {
  return [
    `netns add ${names.netns}`,
    `link add ${names.hostVeth} type veth peer name eth0 netns ${names.netns}`,
    `link set ${names.hostVeth} master ${BRIDGE} up`,
    `link set ${names.hostVeth} type bridge_slave hairpin on`,
  ].join("\n") + "\n";
}

/** Lines for `ip -n NETNS -batch -`: loopback, the pod's MAC and address, and its default route. */
export function podNetnsBatch(ip: string, range: PodRange): string {
  return [
    `link set lo up`,
    `link set eth0 address ${macForIP(ip)}`,
    `addr add ${ip}/${range.prefixLength} dev eth0`,
    `link set eth0 up`,
    `route add default via ${range.gateway} dev eth0`,
  ].join("\n") + "\n";
}

/** Lines for `ip -batch -` that set up (or correct) the bridge; `current` = its IPv4 CIDRs now, undefined when absent. */
export function bridgeBatch(range: PodRange, current: string[] | undefined): string {
  const lines: string[] = [];
  const want = `${range.gateway}/${range.prefixLength}`;
  if (current === undefined) lines.push(`link add ${BRIDGE} type bridge`, `link set ${BRIDGE} address ${macForIP(range.gateway)}`);
  for (const c of current ?? []) if (c !== want) lines.push(`addr del ${c} dev ${BRIDGE}`);
  if (!current?.includes(want)) lines.push(`addr add ${want} dev ${BRIDGE}`);
  lines.push(`link set ${BRIDGE} up`);
  return lines.join("\n") + "\n";
}

export interface NodeRoute {
  /** The other node's pod CIDR. */
  dst: string;
  /** Its InternalIP. */
  via: string;
}

/**
 * `ip -batch` lines that turn the routes we have (`current`, from `ip -j route show proto N`) into
 * the wanted ones; "" when nothing changes. A dst wanted twice keeps the first.
 */
export function routeBatch(current: NodeRoute[], wanted: NodeRoute[]): string {
  const want = new Map<string, string>();
  for (const r of wanted) if (!want.has(r.dst)) want.set(r.dst, r.via);
  const have = new Map(current.map((r) => [r.dst, r.via]));
  const lines: string[] = [];
  for (const [dst, via] of want) if (have.get(dst) !== via) lines.push(`route replace ${dst} via ${via} proto ${ROUTE_PROTO}`);
  for (const dst of have.keys()) if (!want.has(dst)) lines.push(`route del ${dst} proto ${ROUTE_PROTO}`);
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** The rules of our chains, in iptables-save's own spelling (so a saved table compares equal). */
export function chainRules(podCIDR: string, podSubnet: string): { nat: string[]; filter: string[] } {
  return {
    nat: [
      // Pod to pod (any node) keeps its source address; everything else leaves as the node.
      `-A ${NAT_CHAIN} -s ${podCIDR} -d ${podSubnet} -j RETURN`,
      `-A ${NAT_CHAIN} -s ${podCIDR} -j MASQUERADE`,
    ],
    filter: [`-A ${FORWARD_CHAIN} -s ${podSubnet} -j ACCEPT`, `-A ${FORWARD_CHAIN} -d ${podSubnet} -j ACCEPT`],
  };
}

/**
 * Input for `iptables-restore --noflush` that makes the node's rules what they should be, given
 * the output of iptables-save; undefined when they already are. Declaring our chains flushes
 * them, so their rules are rewritten whole; the jumps from the built-in chains are added only
 * when missing (other rules there, Docker's, are left alone).
 */
export function iptablesRestoreInput(saved: string, podCIDR: string, podSubnet: string): string | undefined {
  const tables = parseSave(saved);
  const want = chainRules(podCIDR, podSubnet);
  const natJump = `-A POSTROUTING -j ${NAT_CHAIN}`;
  const fwdJump = `-A FORWARD -j ${FORWARD_CHAIN}`;
  const nat = tables.get("nat") ?? [];
  const filter = tables.get("filter") ?? [];
  const chainOf = (rules: string[], chain: string) => rules.filter((r) => r.startsWith(`-A ${chain} `));
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const natOk = nat.includes(natJump) && same(chainOf(nat, NAT_CHAIN), want.nat);
  const filterOk = filter.includes(fwdJump) && same(chainOf(filter, FORWARD_CHAIN), want.filter);
  if (natOk && filterOk) return undefined;
  const out: string[] = [];
  if (!natOk) {
    out.push("*nat", `:${NAT_CHAIN} - [0:0]`);
    if (!nat.includes(natJump)) out.push(natJump);
    out.push(...want.nat, "COMMIT");
  }
  if (!filterOk) {
    out.push("*filter", `:${FORWARD_CHAIN} - [0:0]`);
    // Early in FORWARD, ahead of any DROP rules someone else put there — but after the service
    // proxy's jump, whose REJECTs of service ports without endpoints must see new connections
    // before our ACCEPT of everything from pods does.
    if (!filter.includes(fwdJump)) {
      const forward = filter.filter((r) => r.startsWith("-A FORWARD "));
      let pos = 0;
      while (pos < forward.length && forward[pos]!.endsWith(`-j ${SERVICES_CHAIN}`)) pos++;
      out.push(pos === 0 ? `-I FORWARD -j ${FORWARD_CHAIN}` : `-I FORWARD ${pos + 1} -j ${FORWARD_CHAIN}`);
    }
    out.push(...want.filter, "COMMIT");
  }
  return out.join("\n") + "\n";
}

/** iptables-save output -> table name -> its rule lines ("-A ..."). */
export function parseSave(saved: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const raw of saved.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) {
      cur = [];
      tables.set(line.slice(1), cur);
    } else if (line.startsWith("-A ") && cur) cur.push(line);
    else if (line === "COMMIT") cur = undefined;
  }
  return tables;
}
