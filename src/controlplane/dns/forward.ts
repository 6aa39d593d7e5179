// Forwarding of names outside the cluster zone to upstream resolvers, with a small answer cache.
// Each upstream is tried in turn over UDP (a fresh socket, so a random source port, and a random
// id per query); a truncated answer is asked again over TCP. When every upstream fails or times
// out the caller answers SERVFAIL. Identical questions in flight share one upstream query.
// Without explicit upstreams the node's /etc/resolv.conf is followed: stat'ed at most once a
// second (on a query, no timer) and read again when its inode, size or mtime changed; the cache is
// dropped when the upstreams change.

import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import { randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardResult {
  rcode: number;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  /** Served from the cache (TTLs already reduced by the time spent there). */
  cached: boolean;
}

export interface ForwarderOptions {
  /** A fixed list, or a function asked on every query (a new array means new upstreams). */
  upstreams: Upstream[] | (() => Upstream[]);
  /** Per-upstream timeout (default 2000 ms). */
  timeoutMs?: number;
  /** Most entries kept (default 10,000); the oldest go first. */
  cacheSize?: number;
  /** Longest a positive answer is kept (default 30 s, like `cache 30`). */
  maxTtl?: number;
  /** Longest NXDOMAIN/NODATA is kept (default 5 s). */
  maxNegativeTtl?: number;
  now?: () => number;
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/** Parses "1.2.3.4", "1.2.3.4:5353", "[fd00::1]:53" or "fd00::1". */
export function parseUpstream(s: string): Upstream {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : 53 };
  if (net.isIP(s)) return { host: s, port: 53 };
  const m = /^([^:]+):(\d+)$/.exec(s);
  if (m && net.isIP(m[1]!)) return { host: m[1]!, port: Number(m[2]) };
  throw new Error(`bad upstream resolver address: ${s}`);
}

/** The nameservers of a resolv.conf text. */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1]!.replace(/%.*$/, ""); // drop an IPv6 zone
    if (net.isIP(host)) out.push({ host, port: 53 });
  }
  return out;
}

/** What tells that a file changed; undefined when it is missing. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface ResolvConfSource {
  stat: () => FileStamp | undefined;
  read: () => string;
  now?: () => number;
  /** Least time between two stats (default 1000 ms). */
  intervalMs?: number;
}

/**
 * The nameservers of a resolv.conf that may change: `get()` stats it at most once per interval and
 * reads it again only when the stamp changed. It returns the same array until then, so a caller
 * can tell a change by identity. A missing or unreadable file gives no upstreams.
 */
export class ResolvConfUpstreams {
  private current: Upstream[] = [];
  private stamp: FileStamp | undefined;
  private checkedAt = -Infinity;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly src: ResolvConfSource) {
    this.now = src.now ?? Date.now;
    this.intervalMs = src.intervalMs ?? 1000;
  }

  readonly get = (): Upstream[] => {
    const now = this.now();
    if (now - this.checkedAt < this.intervalMs) return this.current;
    this.checkedAt = now;
    const stamp = this.src.stat();
    const same = (a?: FileStamp, b?: FileStamp) => !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
    if (same(stamp, this.stamp)) return this.current;
    this.stamp = stamp;
    let next: Upstream[] = [];
    if (stamp) {
      try {
        next = parseResolvConf(this.src.read());
      } catch {
        this.stamp = undefined; // read it again at the next check
      }
    }
    if (!sameUpstreams(next, this.current)) this.current = next;
    return this.current;
  };
}

function sameUpstreams(a: Upstream[], b: Upstream[]): boolean {
  return a.length === b.length && a.every((u, i) => u.host === b[i]!.host && u.port === b[i]!.port);
}

/** The nameservers of the system's resolv.conf, followed as it changes. */
export function systemUpstreams(path = "/etc/resolv.conf"): ResolvConfUpstreams {
  return new ResolvConfUpstreams({
    stat: () => {
      try {
        const st = fs.statSync(path);
        return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        return undefined;
      }
    },
    read: () => fs.readFileSync(path, "utf8"),
  });
}

interface CacheEntry {
  rcode: number;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  stored: number;
  expires: number;
}

export class Forwarder {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<ForwardResult>>();
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly now: () => number;
  private readonly upstreams: () => Upstream[];
  private lastUpstreams: Upstream[] | undefined;

  constructor(opts: ForwarderOptions) {
    const ups = opts.upstreams;
    this.upstreams = typeof ups === "function" ? ups : () => ups;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.maxTtl = opts.maxTtl ?? 30;
    this.maxNegativeTtl = opts.maxNegativeTtl ?? 5;
    this.now = opts.now ?? Date.now;
  }

  get cacheEntries(): number {
    return this.cache.size;
  }

  /** Resolves a question upstream; rejects when no upstream answered. */
  resolve(name: string, type: string, cls = "IN"): Promise<ForwardResult> {
    const upstreams = this.upstreams();
    if (upstreams !== this.lastUpstreams) {
      // Answers from the old resolvers are not kept (one in flight may still land afterwards).
      if (this.lastUpstreams) this.cache.clear();
      this.lastUpstreams = upstreams;
    }
    const key = `${cls}|${type}|${name.toLowerCase().replace(/\.+$/, "")}`;
    const hit = this.fromCache(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.ask(upstreams, name, type, cls)
      .then((res) => {
        this.store(key, res);
        return res;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private fromCache(key: string): ForwardResult | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now >= e.expires) {
      this.cache.delete(key);
      return undefined;
    }
    const age = Math.floor((now - e.stored) / 1000);
    const age_ = (rrs: dnsPacket.Answer[]) => rrs.map((r) => ("ttl" in r && typeof r.ttl === "number" ? { ...r, ttl: Math.max(0, r.ttl - age) } : r));
    return { rcode: e.rcode, answers: age_(e.answers), authorities: age_(e.authorities), cached: true };
  }

  private store(key: string, res: ForwardResult): void {
    let ttl: number;
    if (res.rcode === 0 && res.answers.length > 0) {
      ttl = Math.min(this.maxTtl, ...res.answers.map((a) => ("ttl" in a && typeof a.ttl === "number" ? a.ttl : this.maxTtl)));
    } else if (res.rcode === 0 || res.rcode === 3) {
      const soa = res.authorities.find((a) => a.type === "SOA");
      const soaTtl = soa && soa.type === "SOA" ? Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) : this.maxNegativeTtl;
      ttl = Math.min(this.maxNegativeTtl, soaTtl);
    } else return; // SERVFAIL, REFUSED, ...: not kept
    if (ttl <= 0) return;
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    const now = this.now();
    this.cache.set(key, { rcode: res.rcode, answers: res.answers, authorities: res.authorities, stored: now, expires: now + ttl * 1000 });
  }

  private async ask(upstreams: Upstream[], name: string, type: string, cls: string): Promise<ForwardResult> {
    let lastErr: unknown = new Error("no upstream resolvers");
    for (const up of upstreams) {
      try {
        const query: dnsPacket.Packet = {
          type: "query",
          id: randomInt(0, 65536),
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name, type: type as dnsPacket.RecordType, class: cls as dnsPacket.RecordClass }],
          additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
        };
        let res = await udpExchange(up, query, this.timeoutMs);
        if (res.flag_tc) res = await tcpExchange(up, query, this.timeoutMs);
        const rcode = RCODES[(res as { rcode?: string }).rcode ?? "NOERROR"] ?? 2;
        if (rcode === 2 || rcode === 5) {
          lastErr = new Error(`upstream ${up.host}:${up.port} answered ${rcode === 2 ? "SERVFAIL" : "REFUSED"}`);
          continue;
        }
        return { rcode, answers: res.answers ?? [], authorities: (res.authorities ?? []).filter((a) => a.type !== "OPT"), cached: false };
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  }
}

function sameQuestion(q: dnsPacket.Packet, r: dnsPacket.DecodedPacket): boolean {
  const a = q.questions?.[0];
  const b = r.questions?.[0];
  return !!a && !!b && a.name.toLowerCase() === b.name.toLowerCase() && a.type === b.type;
}

export function udpExchange(up: Upstream, query: dnsPacket.Packet, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(up.host) ? "udp6" : "udp4");
    const done = (err: Error | undefined, res?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`upstream ${up.host}:${up.port} timed out`)), timeoutMs);
    sock.on("error", (err) => done(err));
    sock.on("message", (msg, rinfo) => {
      if (rinfo.port !== up.port) return;
      let res: dnsPacket.DecodedPacket;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (res.id !== query.id || res.type !== "response" || !sameQuestion(query, res)) return;
      done(undefined, res);
    });
    sock.send(dnsPacket.encode(query), up.port, up.host, (err) => {
      if (err) done(err);
    });
  });
}

export function tcpExchange(up: Upstream, query: dnsPacket.Packet, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, res?: dnsPacket.DecodedPacket) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`upstream ${up.host}:${up.port} (tcp) timed out`)), timeoutMs);
    sock.on("error", (err) => done(err));
    sock.on("connect", () => sock.write(dnsPacket.streamEncode(query)));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      try {
        const res = dnsPacket.decode(buf.subarray(2, 2 + len));
        if (res.id !== query.id) return done(new Error("mismatched id from upstream"));
        done(undefined, res);
      } catch (err) {
        done(err as Error);
      }
    });
    sock.on("end", () => done(new Error(`upstream ${up.host}:${up.port} closed the connection`)));
  });
}
