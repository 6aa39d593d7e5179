// Cluster DNS as a component: the record feed watches an in-process control plane, the server
// answers on a random localhost port over UDP and TCP, and names outside the cluster go to a
// tiny upstream DNS server that this test runs itself.

import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dnsPacket from "dns-packet";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { KubeObject } from "../../src/api/registry/types.js";
import type { Caller } from "../../src/controlplane/apiserver/rest.js";
import { ClusterDnsFeed } from "../../src/controlplane/dns/feed.js";
import { tcpExchange, udpExchange, type Upstream } from "../../src/controlplane/dns/forward.js";
import { startDnsServer, type DnsServer } from "../../src/controlplane/dns/server.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { dnsLoad } from "../test-utils/dns-load.js";
import { waitFor } from "../test-utils/wait.js";

const CALLER: Caller = { user: "dns-test", groups: ["system:masters"], userAgent: "dns-test" };
const POD = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;
const SLICE = RESOURCES.find((r) => r.kind === "EndpointSlice" && r.group === "discovery.k8s.io")!;

let c: TestCluster;
let dns: DnsServer;
let upstream: FakeUpstream;
const feed = new ClusterDnsFeed();
const stopFeed = new AbortController();

// ---- a tiny upstream resolver ----

interface FakeUpstream extends Upstream {
  queries: string[];
  close(): Promise<void>;
}

function upstreamAnswer(q: dnsPacket.DecodedPacket): dnsPacket.Packet | undefined {
  const question = q.questions![0]!;
  const name = question.name.toLowerCase();
  const base = { type: "response" as const, id: q.id, questions: q.questions, flags: dnsPacket.RECURSION_AVAILABLE };
  if (name === "slow.test") return undefined; // never answers
  if (name === "broken.test") return { ...base, flags: base.flags | 2 }; // SERVFAIL
  if (name === "www.example.test" && question.type === "A") return { ...base, answers: [{ name, type: "A", ttl: 60, data: "192.0.2.10" }] };
  if (name === "big.test" && question.type === "A") {
    return { ...base, answers: Array.from({ length: 60 }, (_, i) => ({ name, type: "A" as const, ttl: 60, data: `192.0.2.${i + 1}` })) };
  }
  const soa: dnsPacket.Answer = { name: "test", type: "SOA", ttl: 60, data: { mname: "ns.test", rname: "h.test", minimum: 60 } };
  return { ...base, flags: base.flags | 3, authorities: [soa] }; // NXDOMAIN
}

async function startUpstream(): Promise<FakeUpstream> {
  const queries: string[] = [];
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    queries.push(`udp ${q.questions![0]!.name}`);
    const res = upstreamAnswer(q);
    if (!res) return;
    let out = dnsPacket.encode(res);
    if (out.length > 512) out = dnsPacket.encode({ ...res, flags: (res.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
    udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const port = udp.address().port;
  const tcp = net.createServer((sock) => {
    sock.on("data", (d: Buffer) => {
      const q = dnsPacket.decode(d.subarray(2));
      queries.push(`tcp ${q.questions![0]!.name}`);
      const res = upstreamAnswer(q);
      if (res) sock.write(dnsPacket.streamEncode(res));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, "127.0.0.1", () => r()));
  return {
    host: "127.0.0.1",
    port,
    queries,
    close: () => Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]).then(() => {}),
  };
}

// ---- helpers ----

let nextId = 1;
function query(name: string, type: dnsPacket.RecordType, edns = false): dnsPacket.Packet {
  return {
    type: "query",
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: "IN" }],
    additionals: edns ? [{ type: "OPT", name: ".", udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  };
}
const server = (): Upstream => ({ host: "127.0.0.1", port: dns.port });
const udpAsk = (name: string, type: dnsPacket.RecordType, edns = false) => udpExchange(server(), query(name, type, edns), 3000);
const tcpAsk = (name: string, type: dnsPacket.RecordType) => tcpExchange(server(), query(name, type), 3000);
const datas = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).map((a) => (a.type === "SRV" ? `${a.data.port} ${a.data.target}` : String((a as { data: unknown }).data)));
const rcode = (p: dnsPacket.DecodedPacket) => (p as { rcode?: string }).rcode;

async function resolvesTo(name: string, type: dnsPacket.RecordType, expected: string[]): Promise<void> {
  await waitFor(`${name} ${type} = ${expected.join(",")}`, async () => {
    const r = await udpAsk(name, type);
    return JSON.stringify(datas(r).sort()) === JSON.stringify([...expected].sort()) ? true : undefined;
  });
}

function endpointSlice(ns: string, service: string, ips: { ip: string; hostname?: string; ready?: boolean }[]): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${service}-manual`, namespace: ns, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: ips.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: e.ready ?? true } })),
    ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
  } as KubeObject;
}

beforeAll(async () => {
  c = await startTestCluster();
  upstream = await startUpstream();
  await feed.start(c.cp.backend, stopFeed.signal);
  dns = await startDnsServer({ lookup: feed.lookup, port: 0, upstreams: [upstream], forwardTimeoutMs: 300 });
  const r = await c.kubectl(["apply", "-f", "-"], { input: SERVICES });
  if (r.code !== 0) throw new Error(r.stderr);
}, 60_000);

const SERVICES = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.5.5
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: many, namespace: default}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  type: ExternalName
  externalName: www.example.test
`;

afterAll(async () => {
  stopFeed.abort();
  await dns?.close();
  await upstream?.close();
  await c?.stop();
});

describe("cluster names", () => {
  it("answers a Service's A record over UDP and TCP, with the cluster IP the API holds", async () => {
    const ip = (JSON.parse(await c.k("get", "svc", "web", "-o", "json")) as { spec: { clusterIP: string } }).spec.clusterIP;
    expect(ip).toBe("10.96.5.5");
    await resolvesTo("web.default.svc.cluster.local", "A", [ip]);
    const t = await tcpAsk("web.default.svc.cluster.local", "A");
    expect([rcode(t), t.flag_aa, datas(t), (t.answers![0] as { ttl?: number }).ttl]).toEqual(["NOERROR", true, [ip], 30]);
    const srv = await udpAsk("_http._tcp.web.default.svc.cluster.local", "SRV");
    expect(datas(srv)).toEqual(["80 web.default.svc.cluster.local"]);
    expect((srv.additionals ?? []).filter((a) => a.type === "A").map((a) => (a as { data: string }).data)).toEqual([ip]);
    const ptr = await udpAsk("5.5.96.10.in-addr.arpa", "PTR");
    expect(datas(ptr)).toEqual(["web.default.svc.cluster.local"]);
  });

  it("tells NXDOMAIN from NODATA, with the SOA", async () => {
    const nx = await udpAsk("nothere.default.svc.cluster.local", "A");
    expect(rcode(nx)).toBe("NXDOMAIN");
    expect(nx.authorities!.map((a) => [a.type, (a as { ttl?: number }).ttl])).toEqual([["SOA", 5]]);
    const nodata = await udpAsk("web.default.svc.cluster.local", "AAAA");
    expect([rcode(nodata), nodata.answers!.length, nodata.authorities![0]!.type]).toEqual(["NOERROR", 0, "SOA"]);
  });

  it("follows EndpointSlices of a headless service, with hostnames, and drops not-ready endpoints", async () => {
    await c.cp.registry.create(SLICE, "default", endpointSlice("default", "db", [{ ip: "10.244.1.10", hostname: "db-0" }, { ip: "10.244.2.11" }, { ip: "10.244.2.12", ready: false }]), CALLER);
    await resolvesTo("db.default.svc.cluster.local", "A", ["10.244.1.10", "10.244.2.11"]);
    expect(datas(await tcpAsk("db-0.db.default.svc.cluster.local", "A"))).toEqual(["10.244.1.10"]);
    expect(datas(await udpAsk("_pg._tcp.db.default.svc.cluster.local", "SRV")).sort()).toEqual(["5432 10-244-2-11.db.default.svc.cluster.local", "5432 db-0.db.default.svc.cluster.local"]);
    expect(datas(await udpAsk("10.1.244.10.in-addr.arpa", "PTR"))).toEqual(["db-0.db.default.svc.cluster.local"]);
    // The endpoint becomes ready: it appears.
    await c.cp.registry.update(
      SLICE,
      "default",
      "db-manual",
      (cur) => {
        const eps = (cur as { endpoints: { conditions: { ready: boolean } }[] }).endpoints;
        eps[2]!.conditions.ready = true;
        return cur;
      },
      CALLER,
    );
    await resolvesTo("db.default.svc.cluster.local", "A", ["10.244.1.10", "10.244.2.11", "10.244.2.12"]);
    // The service goes: so do its names.
    await c.k("delete", "svc", "db");
    await waitFor("db NXDOMAIN", async () => (rcode(await udpAsk("db.default.svc.cluster.local", "A")) === "NXDOMAIN" ? true : undefined));
  });

  it("answers pod records for pods with that IP in that namespace", async () => {
    await c.cp.registry.create(POD, "default", { apiVersion: "v1", kind: "Pod", metadata: { name: "p1", namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox" }] } }, CALLER);
    await c.cp.registry.update(POD, "default", "p1", (cur) => ({ ...cur, status: { phase: "Running", podIP: "10.244.3.7", podIPs: [{ ip: "10.244.3.7" }] } }), CALLER, { subresource: "status" });
    await resolvesTo("10-244-3-7.default.pod.cluster.local", "A", ["10.244.3.7"]);
    expect(rcode(await udpAsk("10-244-3-7.kube-system.pod.cluster.local", "A"))).toBe("NXDOMAIN");
  });

  it("truncates a large answer over UDP (TC bit) and gives all of it over TCP", async () => {
    const ips = Array.from({ length: 40 }, (_, i) => ({ ip: `10.244.4.${i + 1}` }));
    await c.cp.registry.create(SLICE, "default", endpointSlice("default", "many", ips), CALLER);
    await waitFor("many over TCP", async () => ((await tcpAsk("many.default.svc.cluster.local", "A")).answers!.length === 40 ? true : undefined));
    const udp = await udpAsk("many.default.svc.cluster.local", "A");
    expect([udp.flag_tc, udp.answers!.length]).toEqual([true, 0]);
    // With EDNS0 (4096 bytes) it fits in one datagram.
    const edns = await udpAsk("many.default.svc.cluster.local", "A", true);
    expect([edns.flag_tc, edns.answers!.length]).toEqual([false, 40]);
  });
});

describe("forwarding", () => {
  it("forwards outside names to the upstream and caches the answer", async () => {
    const before = upstream.queries.filter((q) => q.endsWith("www.example.test")).length;
    const r1 = await udpAsk("www.example.test", "A");
    const r2 = await tcpAsk("www.example.test", "A");
    expect([rcode(r1), datas(r1), datas(r2)]).toEqual(["NOERROR", ["192.0.2.10"], ["192.0.2.10"]]);
    expect(r1.flag_aa).toBe(false);
    expect(upstream.queries.filter((q) => q.endsWith("www.example.test")).length - before).toBe(1);
  });

  it("passes on NXDOMAIN and the upstream's SOA", async () => {
    const r = await udpAsk("missing.test", "A");
    expect([rcode(r), r.authorities!.map((a) => a.type)]).toEqual(["NXDOMAIN", ["SOA"]]);
  });

  it("asks again over TCP when the upstream truncates", async () => {
    const r = await tcpAsk("big.test", "A");
    expect(r.answers!.length).toBe(60);
    expect(upstream.queries).toContain("tcp big.test");
  });

  it("answers SERVFAIL when the upstream times out or fails", async () => {
    expect(rcode(await udpAsk("slow.test", "A"))).toBe("SERVFAIL");
    expect(rcode(await tcpAsk("broken.test", "A"))).toBe("SERVFAIL");
  });

  it("resolves an ExternalName's target upstream", async () => {
    const r = await udpAsk("ext.default.svc.cluster.local", "A");
    expect(datas(r)).toEqual(["www.example.test", "192.0.2.10"]);
    expect(r.answers!.map((a) => a.type)).toEqual(["CNAME", "A"]);
  });

  it("forwards reverse names it does not know", async () => {
    const r = await udpAsk("1.2.0.192.in-addr.arpa", "PTR");
    expect(rcode(r)).toBe("NXDOMAIN");
    expect(upstream.queries).toContain("udp 1.2.0.192.in-addr.arpa");
  });
});

describe("load", () => {
  it("answers every query of a 2,000 q/s loop for cluster names correctly (prints q/s and p99)", async () => {
    await resolvesTo("web.default.svc.cluster.local", "A", ["10.96.5.5"]);
    const rate = Number(process.env.DNS_LOAD_QPS ?? 2000);
    const seconds = Number(process.env.DNS_LOAD_SECONDS ?? 3);
    const ok = (msg: Buffer) => datas(dnsPacket.decode(msg))[0] === "10.96.5.5";
    const r = await dnsLoad({ port: dns.port, rate, seconds, names: ["web.default.svc.cluster.local"], ok, drainMs: 3000 });
    const ms = (v: number) => v.toFixed(3);
    console.log(`dns load: ${r.sent} queries at ${r.qps.toFixed(0)} q/s; ${r.sent - r.answered} unanswered; p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms`);
    expect([r.answered, r.bad]).toEqual([rate * seconds, 0]);
  });
});
