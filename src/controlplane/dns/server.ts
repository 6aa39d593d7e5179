// The cluster DNS server: UDP and TCP on one address and port. Names in the cluster zone (and
// reverse names it knows) are answered from a record model; everything else goes to the
// upstream resolvers through a Forwarder (SERVFAIL when they fail). UDP answers larger than the
// client's limit (512 bytes, or its EDNS0 payload size up to 4096) are sent truncated with the
// TC bit, and the client asks again over TCP.

import dgram from "node:dgram";
import net from "node:net";
import * as dnsPacket from "dns-packet";
import { Forwarder, systemUpstreams, type Upstream } from "./forward.js";
import { RCODE_NOERROR, RCODE_SERVFAIL, type Lookup, type ResourceRecord } from "./records.js";

export interface DnsServerOptions {
  /** Answers a question from the cluster's records ({kind: "forward"} for anything else). */
  lookup: (name: string, type: string) => Lookup;
  /** Listen address (default 127.0.0.1) and port (default 53; 0 picks a free port for both). */
  host?: string;
  port?: number;
  /** Upstream resolvers (default: the nameservers of /etc/resolv.conf, followed as it changes). */
  upstreams?: Upstream[];
  /** Per-upstream timeout (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** Entries in the forwarded-answer cache (default 10,000). */
  cacheSize?: number;
  /** Idle TCP connections are closed after this long (default 10 s). */
  tcpIdleMs?: number;
  log?: (msg: string) => void;
}

export interface DnsServer {
  host: string;
  port: number;
  forwarder: Forwarder;
  close(): Promise<void>;
}

const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;
const UDP_MIN = 512;
const UDP_MAX = 4096;
const OUR_EDNS_SIZE = 1232;

type Opt = Extract<dnsPacket.Answer, { type: "OPT" }>;

function toWire(rr: ResourceRecord): dnsPacket.Answer {
  return rr as unknown as dnsPacket.Answer;
}

function optOf(p: dnsPacket.Packet): Opt | undefined {
  return p.additionals?.find((a): a is Opt => a.type === "OPT");
}

/** Builds the answer to one query (already decoded); `udpLimit` is undefined over TCP. */
export async function answerQuery(
  query: dnsPacket.DecodedPacket,
  lookup: DnsServerOptions["lookup"],
  forwarder: Forwarder,
): Promise<dnsPacket.Packet> {
  const q = query.questions?.[0];
  const reqOpt = optOf(query);
  const base: dnsPacket.Packet = {
    type: "response",
    id: query.id,
    questions: query.questions ?? [],
    answers: [],
    authorities: [],
    additionals: reqOpt ? [{ type: "OPT", name: ".", udpPayloadSize: OUR_EDNS_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  };
  const flags = (rcode: number, aa = false) =>
    (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | rcode;
  const opcode = (query as { opcode?: string }).opcode ?? "QUERY";
  if (opcode !== "QUERY") return { ...base, flags: flags(RCODE_NOTIMP) };
  if (!q || (query.questions?.length ?? 0) !== 1) return { ...base, flags: flags(RCODE_FORMERR) };
  const cls = q.class ?? "IN";
  if (q.type === ("AXFR" as string) || q.type === ("IXFR" as string)) return { ...base, flags: flags(RCODE_REFUSED) };

  const local = cls === "IN" ? lookup(q.name, q.type) : ({ kind: "forward" } as const);
  if (local.kind === "answer") {
    const answers = local.answers.map(toWire);
    let rcode: number = local.rcode;
    let authorities = local.authorities.map(toWire);
    if (local.chase && (q.type === "A" || q.type === "AAAA")) {
      // An ExternalName: resolve its target upstream, as CoreDNS does with its upstream option.
      try {
        const up = await forwarder.resolve(local.chase, q.type);
        answers.push(...up.answers);
        if (up.answers.length === 0) authorities = up.authorities;
        rcode = up.rcode;
      } catch {
        // Keep the CNAME alone; the client may resolve the target itself.
      }
    }
    return { ...base, flags: flags(rcode, rcode === RCODE_NOERROR || !local.chase), answers, authorities, additionals: [...local.additionals.map(toWire), ...(base.additionals ?? [])] };
  }
  try {
    const up = await forwarder.resolve(q.name, q.type, cls);
    return { ...base, flags: flags(up.rcode), answers: up.answers, authorities: up.authorities };
  } catch {
    return { ...base, flags: flags(RCODE_SERVFAIL) };
  }
}

// dns-packet does not compress names. Records owned by the question's name (nearly all of an
// answer) get their owner written as a pointer to the question (offset 12), which keeps, say,
// 20 A records of a headless service in one 512-byte datagram as with other servers.
const wire = dnsPacket as unknown as {
  answer: { encode(a: dnsPacket.Answer): Buffer };
  name: { encode(n: string): Buffer };
};
const QNAME_POINTER = Buffer.from([0xc0, 0x0c]);

/** Encodes a response with owner-name compression against the first question. */
export function encodeResponse(res: dnsPacket.Packet): Buffer {
  const answers = res.answers ?? [];
  const authorities = res.authorities ?? [];
  const additionals = res.additionals ?? [];
  const head = dnsPacket.encode({ ...res, answers: [], authorities: [], additionals: [] });
  const q = res.questions?.[0];
  const qname = q ? wire.name.encode(q.name) : undefined;
  const parts: Buffer[] = [head];
  for (const rr of [...answers, ...authorities, ...additionals]) {
    const b = wire.answer.encode(rr);
    if (qname && rr.type !== "OPT" && b.length > qname.length && b.subarray(0, qname.length).equals(qname)) {
      parts.push(QNAME_POINTER, b.subarray(qname.length));
    } else parts.push(b);
  }
  const out = Buffer.concat(parts);
  out.writeUInt16BE(answers.length, 6);
  out.writeUInt16BE(authorities.length, 8);
  out.writeUInt16BE(additionals.length, 10);
  return out;
}

/** Encodes a response for TCP (two-byte length first). */
export function encodeForTcp(res: dnsPacket.Packet): Buffer {
  const b = encodeResponse(res);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** Encodes a response for UDP: when it is larger than the client takes, the TC bit and no records. */
export function encodeForUdp(res: dnsPacket.Packet, query: dnsPacket.Packet): Buffer {
  const opt = optOf(query);
  const limit = opt ? Math.max(UDP_MIN, Math.min(UDP_MAX, opt.udpPayloadSize || UDP_MIN)) : UDP_MIN;
  const buf = encodeResponse(res);
  if (buf.length <= limit) return buf;
  const opts = (res.additionals ?? []).filter((a) => a.type === "OPT");
  return encodeResponse({ ...res, flags: (res.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: opts });
}

/** A reply for a packet that does not decode: FORMERR with its id, if it has a header at all. */
function formErr(msg: Buffer): Buffer | undefined {
  if (msg.length < 12 || msg[2]! & 0x80) return undefined;
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7900) | RCODE_FORMERR, 2);
  return out;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? (() => {});
  const forwarder = new Forwarder({ upstreams: opts.upstreams ?? systemUpstreams().get, timeoutMs: opts.forwardTimeoutMs, cacheSize: opts.cacheSize });
  const tcpIdleMs = opts.tcpIdleMs ?? 10_000;

  const makeUdp = () => {
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4" });
    udp.on("message", (msg, rinfo) => {
      let query: dnsPacket.DecodedPacket;
      try {
        query = dnsPacket.decode(msg);
      } catch {
        const fe = formErr(msg);
        if (fe) udp.send(fe, rinfo.port, rinfo.address);
        return;
      }
      if (query.type !== "query") return;
      answerQuery(query, opts.lookup, forwarder).then(
        (res) => udp.send(encodeForUdp(res, query), rinfo.port, rinfo.address),
        (err: unknown) => log(`dns: ${String(err)}`),
      );
    });
    return udp;
  };

  const conns = new Set<net.Socket>();
  const makeTcp = () => {
    const tcp = net.createServer((sock) => {
      conns.add(sock);
      sock.setNoDelay(true);
      sock.setTimeout(tcpIdleMs, () => sock.destroy());
      sock.on("close", () => conns.delete(sock));
      sock.on("error", () => sock.destroy());
      let buf: Buffer = Buffer.alloc(0);
      sock.on("data", (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          let query: dnsPacket.DecodedPacket;
          try {
            query = dnsPacket.decode(msg);
          } catch {
            const fe = formErr(msg);
            if (fe) sock.write(Buffer.concat([Buffer.from([fe.length >> 8, fe.length & 0xff]), fe]));
            continue;
          }
          if (query.type !== "query") continue;
          answerQuery(query, opts.lookup, forwarder).then(
            (res) => {
              if (!sock.destroyed) sock.write(encodeForTcp(res));
            },
            (err: unknown) => log(`dns: ${String(err)}`),
          );
        }
      });
    });
    return tcp;
  };

  const { udp, tcp, port } = await bindBoth(makeUdp, makeTcp, host, opts.port ?? 53);
  udp.on("error", (err) => log(`dns udp: ${String(err)}`));
  tcp.on("error", (err) => log(`dns tcp: ${String(err)}`));
  return {
    host,
    port,
    forwarder,
    async close() {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** Binds UDP and TCP to the same port; with port 0, retries until one free port serves both. */
async function bindBoth(
  makeUdp: () => dgram.Socket,
  makeTcp: () => net.Server,
  host: string,
  port: number,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = makeUdp();
    const udpPort = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(port, host, () => {
        udp.off("error", reject);
        resolve(udp.address().port);
      });
    });
    const tcp = makeTcp();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(udpPort, host, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
      return { udp, tcp, port: udpPort };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
}
