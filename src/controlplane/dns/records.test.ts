import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../api/registry/types.js";
import { DnsZone, RCODE_NOERROR, RCODE_NXDOMAIN, dashedIp, reverseName, type Lookup } from "./records.js";

function svc(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec };
}
function slice(ns: string, service: string, endpoints: unknown[], ports: unknown[] = []): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name: `${service}-abc`, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints,
    ports,
  } as KubeObject;
}
function pod(ns: string, name: string, ip: string, phase = "Running"): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { namespace: ns, name }, status: { phase, podIP: ip, podIPs: [{ ip }] } };
}

const zone = new DnsZone({
  services: [
    svc("default", "web", { type: "ClusterIP", clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"], ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 9000 }] }),
    svc("default", "dual", { clusterIP: "10.96.0.21", clusterIPs: ["10.96.0.21", "fd00::21"] }),
    svc("default", "db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
    svc("default", "empty", { clusterIP: "None" }),
    svc("default", "eager", { clusterIP: "None", publishNotReadyAddresses: true }),
    svc("default", "ext", { type: "ExternalName", externalName: "example.org." }),
    svc("default", "alias", { type: "ExternalName", externalName: "web.default.svc.cluster.local" }),
    svc("other", "web", { clusterIP: "10.96.0.30", ports: [{ name: "dns", port: 53, protocol: "UDP" }] }),
  ],
  endpointSlices: [
    slice(
      "default",
      "db",
      [
        { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
        { addresses: ["10.244.2.6"], conditions: {} },
        { addresses: ["10.244.2.7"], hostname: "db-2", conditions: { ready: false } },
      ],
      [{ name: "pg", port: 5432, protocol: "TCP" }],
    ),
    slice("default", "eager", [{ addresses: ["10.244.3.8"], conditions: { ready: false } }]),
    slice("default", "web", [{ addresses: ["10.244.1.9"], conditions: { ready: true } }]),
  ],
  pods: [pod("default", "p1", "10.244.1.5"), pod("default", "gone", "10.244.9.9", "Succeeded")],
  namespaces: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "quiet" } }],
});

function data(l: Lookup): unknown[] {
  if (l.kind !== "answer") throw new Error("forwarded");
  return l.answers.map((a) => (a.type === "SRV" ? `${a.data.port} ${a.data.target} w${a.data.weight}` : a.type === "TXT" ? a.data.join(",") : a.type === "SOA" ? `SOA ${a.data.mname} min ${a.data.minimum}` : `${a.type} ${a.data as string}`));
}

describe("DnsZone lookups", () => {
  const cases: { name: string; q: [string, string]; rcode: number; answers: string[] }[] = [
    { name: "service A", q: ["web.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.96.0.20"] },
    { name: "case-insensitive with trailing dot", q: ["WEB.Default.svc.cluster.local.", "A"], rcode: RCODE_NOERROR, answers: ["A 10.96.0.20"] },
    { name: "service AAAA on an IPv4-only service is NODATA", q: ["web.default.svc.cluster.local", "AAAA"], rcode: RCODE_NOERROR, answers: [] },
    { name: "dual-stack AAAA", q: ["dual.default.svc.cluster.local", "AAAA"], rcode: RCODE_NOERROR, answers: ["AAAA fd00::21"] },
    { name: "TXT on a service is NODATA", q: ["web.default.svc.cluster.local", "TXT"], rcode: RCODE_NOERROR, answers: [] },
    { name: "same name in another namespace", q: ["web.other.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.96.0.30"] },
    { name: "unknown service", q: ["nope.default.svc.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "unknown namespace", q: ["web.nope.svc.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "namespace name exists (NODATA)", q: ["default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: [] },
    { name: "namespace without services, from the Namespace list", q: ["quiet.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: [] },
    { name: "svc.zone exists", q: ["svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: [] },
    { name: "headless: ready endpoints only", q: ["db.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.244.1.5", "A 10.244.2.6"] },
    { name: "headless without endpoints is NODATA", q: ["empty.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: [] },
    { name: "publishNotReadyAddresses", q: ["eager.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.244.3.8"] },
    { name: "endpoint hostname", q: ["db-0.db.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.244.1.5"] },
    { name: "endpoint without hostname by dashed IP", q: ["10-244-2-6.db.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.244.2.6"] },
    { name: "not-ready endpoint hostname", q: ["db-2.db.default.svc.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "endpoints of a ClusterIP service get no names", q: ["10-244-1-9.web.default.svc.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "SRV for a named port", q: ["_http._tcp.web.default.svc.cluster.local", "SRV"], rcode: RCODE_NOERROR, answers: ["80 web.default.svc.cluster.local w100"] },
    { name: "SRV udp port", q: ["_dns._udp.web.other.svc.cluster.local", "SRV"], rcode: RCODE_NOERROR, answers: ["53 web.other.svc.cluster.local w100"] },
    { name: "SRV wrong protocol", q: ["_http._udp.web.default.svc.cluster.local", "SRV"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "_tcp.svc exists (NODATA)", q: ["_tcp.web.default.svc.cluster.local", "SRV"], rcode: RCODE_NOERROR, answers: [] },
    { name: "SRV on the service lists every port", q: ["web.default.svc.cluster.local", "SRV"], rcode: RCODE_NOERROR, answers: ["80 web.default.svc.cluster.local w50", "9000 web.default.svc.cluster.local w50"] },
    { name: "headless SRV targets endpoints", q: ["_pg._tcp.db.default.svc.cluster.local", "SRV"], rcode: RCODE_NOERROR, answers: ["5432 db-0.db.default.svc.cluster.local w50", "5432 10-244-2-6.db.default.svc.cluster.local w50"] },
    { name: "PTR of a cluster IP", q: [reverseName("10.96.0.20"), "PTR"], rcode: RCODE_NOERROR, answers: ["PTR web.default.svc.cluster.local"] },
    { name: "PTR of an IPv6 cluster IP", q: [reverseName("fd00::21"), "PTR"], rcode: RCODE_NOERROR, answers: ["PTR dual.default.svc.cluster.local"] },
    { name: "PTR of a headless endpoint", q: ["5.1.244.10.in-addr.arpa", "PTR"], rcode: RCODE_NOERROR, answers: ["PTR db-0.db.default.svc.cluster.local"] },
    { name: "pod record (verified)", q: ["10-244-1-5.default.pod.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["A 10.244.1.5"] },
    { name: "pod IP in another namespace", q: ["10-244-1-5.other.pod.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "finished pod", q: ["10-244-9-9.default.pod.cluster.local", "A"], rcode: RCODE_NXDOMAIN, answers: [] },
    { name: "ExternalName CNAME", q: ["ext.default.svc.cluster.local", "CNAME"], rcode: RCODE_NOERROR, answers: ["CNAME example.org"] },
    { name: "ExternalName A gives the CNAME", q: ["ext.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["CNAME example.org"] },
    { name: "ExternalName into the zone is followed", q: ["alias.default.svc.cluster.local", "A"], rcode: RCODE_NOERROR, answers: ["CNAME web.default.svc.cluster.local", "A 10.96.0.20"] },
    { name: "dns-version", q: ["dns-version.cluster.local", "TXT"], rcode: RCODE_NOERROR, answers: ["1.1.0"] },
    { name: "zone apex SOA", q: ["cluster.local", "SOA"], rcode: RCODE_NOERROR, answers: ["SOA ns.dns.cluster.local min 5"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = zone.lookup(c.q[0], c.q[1]);
      expect(l.kind).toBe("answer");
      if (l.kind !== "answer") return;
      expect(l.rcode).toBe(c.rcode);
      expect(data(l)).toEqual(c.answers);
      // Negative answers (NXDOMAIN and NODATA) carry the SOA, with the negative TTL.
      if (c.answers.length === 0) {
        expect(l.authorities.map((a) => a.type)).toEqual(["SOA"]);
        expect(l.authorities[0]!.ttl).toBe(5);
      } else {
        for (const a of l.answers) expect(a.ttl).toBe(a.type === "SOA" ? 5 : 30);
      }
    });
  }

  it("answers with the name as asked", () => {
    const l = zone.lookup("WEB.default.svc.cluster.local.", "A");
    expect(l.kind === "answer" && l.answers[0]!.name).toBe("WEB.default.svc.cluster.local");
  });

  it("adds the SRV targets' addresses as additionals", () => {
    const l = zone.lookup("_pg._tcp.db.default.svc.cluster.local", "SRV");
    expect(l.kind === "answer" && l.additionals.map((a) => `${a.name} ${a.data as string}`)).toEqual([
      "db-0.db.default.svc.cluster.local 10.244.1.5",
      "10-244-2-6.db.default.svc.cluster.local 10.244.2.6",
    ]);
  });

  it("marks an ExternalName outside the zone for chasing", () => {
    const l = zone.lookup("ext.default.svc.cluster.local", "A");
    expect(l.kind === "answer" && l.chase).toBe("example.org");
  });

  it("forwards names outside the zone and unknown reverse names", () => {
    expect(zone.lookup("example.org", "A").kind).toBe("forward");
    expect(zone.lookup("cluster.local.example.org", "A").kind).toBe("forward");
    expect(zone.lookup(reverseName("8.8.8.8"), "PTR").kind).toBe("forward");
  });

  it("honours another domain and TTLs", () => {
    const z = new DnsZone({ services: [svc("a", "b", { clusterIP: "10.0.0.1" })], endpointSlices: [], pods: [] }, { domain: "corp.internal", ttl: 7, negativeTtl: 2 });
    const ok = z.lookup("b.a.svc.corp.internal", "A");
    expect(ok.kind === "answer" && ok.answers.map((a) => [a.data, a.ttl])).toEqual([["10.0.0.1", 7]]);
    const no = z.lookup("c.a.svc.corp.internal", "A");
    expect(no.kind === "answer" && [no.rcode, no.authorities[0]!.ttl]).toEqual([RCODE_NXDOMAIN, 2]);
    expect(z.lookup("b.a.svc.cluster.local", "A").kind).toBe("forward");
  });

  it("pods insecure answers any well-formed pod name", () => {
    const z = new DnsZone({ services: [], endpointSlices: [], pods: [] }, { pods: "insecure" });
    expect(data(z.lookup("1-2-3-4.any.pod.cluster.local", "A"))).toEqual(["A 1.2.3.4"]);
    expect(z.lookup("1-2-3.any.pod.cluster.local", "A")).toMatchObject({ rcode: RCODE_NXDOMAIN });
  });
});

describe("name helpers", () => {
  it("reverse names", () => {
    expect(reverseName("10.96.0.1")).toBe("1.0.96.10.in-addr.arpa");
    expect(reverseName("fd00::1")).toBe("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa");
    expect(reverseName("2001:db8::ffff:1.2.3.4")).toBe(reverseName("2001:db8::ffff:102:304"));
  });
  it("dashed IPs", () => {
    expect(dashedIp("10.244.1.5")).toBe("10-244-1-5");
    expect(dashedIp("fd00::5")).toBe("fd00--5");
  });
});
