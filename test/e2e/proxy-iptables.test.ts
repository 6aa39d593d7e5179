// The service proxy's applier against a real kernel, in network namespaces made for the test (no
// cluster): a "node" namespace with a bridge, two "pod" namespaces on it running TCP listeners that
// answer with their name. Rules for a fake service are applied with iptables-nft-restore inside the
// node namespace, then connections to the cluster IP are made from the node and from a pod.
// Needs root (ip netns); skipped otherwise.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IptablesApplier } from "../../src/proxy/applier.js";
import { ConntrackCleaner, staleUdpFlows } from "../../src/proxy/conntrack.js";
import { desiredRules } from "../../src/proxy/rules.js";

const root = process.getuid?.() === 0;
const tag = `mctest-proxy-${process.pid}`;
const NODE = `${tag}-n`;
/** A host outside the cluster, one hop from the node (192.168.78.2 → the node's 192.168.78.1). */
const OUTSIDE = `${tag}-x`;
const PODS = [
  { ns: `${tag}-a`, ip: "10.244.0.2", name: "ep-a" },
  { ns: `${tag}-b`, ip: "10.244.0.3", name: "ep-b" },
];
const cfg = { podSubnet: "10.244.0.0/16" };
const listeners: ChildProcess[] = [];

function sh(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: "utf8" });
}

const LISTENER = `
const net = require("node:net");
net.createServer((s) => { s.end(process.argv[1] + " " + s.remoteAddress + "\\n"); s.on("error", () => {}); })
  .listen(8080, "0.0.0.0", () => {
    const u = require("node:dgram").createSocket("udp4");
    u.on("message", (m, r) => u.send(process.argv[1], r.port, r.address));
    u.bind(5353, "0.0.0.0", () => console.log("listening"));
  });
`;

// Sends \`n\` datagrams to ip:port from one fixed source port (so every run is the same UDP flow
// to conntrack); prints the answers ("timeout" where none came within 300 ms).
const UDP_CLIENT = `
const dgram = require("node:dgram");
const [ip, port, n] = process.argv.slice(1);
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
s.bind(41000, async () => {
  const out = [];
  for (let i = 0; i < Number(n); i++) {
    out.push(await new Promise((resolve) => {
      const t = setTimeout(() => { s.removeAllListeners("message"); resolve("timeout"); }, 300);
      s.once("message", (m) => { clearTimeout(t); resolve(m.toString()); });
      s.send("ping", Number(port), ip);
    }));
  }
  console.log(JSON.stringify(out));
  s.close();
});
`;

// Connects `n` times to ip:port; prints one JSON line per attempt: {ok, text|code, ms}.
const CLIENT = `
const net = require("node:net");
const [ip, port, n] = process.argv.slice(1);
(async () => {
  for (let i = 0; i < Number(n); i++) {
    const t0 = Date.now();
    const r = await new Promise((resolve) => {
      const s = net.connect({ host: ip, port: Number(port), timeout: 3000 });
      let text = "";
      s.on("data", (d) => (text += d));
      s.on("end", () => resolve({ ok: true, text: text.trim() }));
      s.on("timeout", () => { s.destroy(); resolve({ ok: false, code: "TIMEOUT" }); });
      s.on("error", (e) => resolve({ ok: false, code: e.code }));
    });
    console.log(JSON.stringify({ ...r, ms: Date.now() - t0 }));
  }
})();
`;

function askUdp(ns: string, ip: string, port: number, n: number): string[] {
  return JSON.parse(sh(["ip", "netns", "exec", ns, process.execPath, "-e", UDP_CLIENT, ip, String(port), String(n)])) as string[];
}

interface Attempt {
  ok: boolean;
  text?: string;
  code?: string;
  ms: number;
}

function connect(ns: string, ip: string, port: number, n: number): Promise<Attempt[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", CLIENT, ip, String(port), String(n)]);
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", () => resolve(out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Attempt)));
  });
}

function service(name: string, clusterIP: string, extra: Partial<NonNullable<Service["spec"]>> = {}): Service {
  return { metadata: { name, namespace: "default" }, spec: { clusterIP, ports: [{ port: 80, protocol: "TCP", targetPort: "http" }], ...extra } };
}

function slice(svc: string, ips: string[]): EndpointSlice {
  return {
    addressType: "IPv4",
    metadata: { name: `${svc}-x`, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
    ports: [{ port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

describe.skipIf(!root)("service proxy rules in a network namespace", () => {
  const applier = new IptablesApplier({ netns: NODE });
  const cleaner = new ConntrackCleaner({ netns: NODE });

  beforeAll(async () => {
    sh(["ip", "netns", "add", NODE]);
    const inNode = (...a: string[]) => sh(["ip", "-n", NODE, ...a]);
    inNode("link", "set", "lo", "up");
    inNode("link", "add", "br0", "type", "bridge");
    inNode("addr", "add", "10.244.0.1/24", "dev", "br0");
    inNode("link", "set", "br0", "up");
    // Something for cluster IPs to be routed to (in a node: its default route).
    inNode("link", "add", "d0", "type", "veth", "peer", "name", "d1");
    inNode("addr", "add", "192.168.77.1/24", "dev", "d0");
    inNode("link", "set", "d0", "up");
    inNode("link", "set", "d1", "up");
    inNode("route", "add", "default", "via", "192.168.77.254");
    sh(["ip", "netns", "exec", NODE, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    sh(["ip", "netns", "add", OUTSIDE]);
    inNode("link", "add", "x0", "type", "veth", "peer", "name", "eth0", "netns", OUTSIDE);
    inNode("addr", "add", "192.168.78.1/24", "dev", "x0");
    inNode("link", "set", "x0", "up");
    sh(["ip", "-n", OUTSIDE, "addr", "add", "192.168.78.2/24", "dev", "eth0"]);
    sh(["ip", "-n", OUTSIDE, "link", "set", "eth0", "up"]);
    sh(["ip", "-n", OUTSIDE, "route", "add", "default", "via", "192.168.78.1"]);
    for (const [i, p] of PODS.entries()) {
      sh(["ip", "netns", "add", p.ns]);
      sh(["ip", "-n", NODE, "link", "add", `veth${i}`, "type", "veth", "peer", "name", "eth0", "netns", p.ns]);
      sh(["ip", "-n", NODE, "link", "set", `veth${i}`, "master", "br0", "up"]);
      // Hairpin: br_netfilter bridges a DNATed frame straight back to the same port, which needs this.
      sh(["ip", "-n", NODE, "link", "set", `veth${i}`, "type", "bridge_slave", "hairpin", "on"]);
      sh(["ip", "-n", p.ns, "link", "set", "lo", "up"]);
      sh(["ip", "-n", p.ns, "addr", "add", `${p.ip}/24`, "dev", "eth0"]);
      sh(["ip", "-n", p.ns, "link", "set", "eth0", "up"]);
      sh(["ip", "-n", p.ns, "route", "add", "default", "via", "10.244.0.1"]);
      const l = spawn("ip", ["netns", "exec", p.ns, process.execPath, "-e", LISTENER, p.name], { stdio: ["ignore", "pipe", "inherit"] });
      listeners.push(l);
      await new Promise<void>((resolve) => l.stdout!.once("data", () => resolve()));
    }
  });

  afterAll(() => {
    for (const l of listeners) l.kill();
    for (const ns of [NODE, OUTSIDE, ...PODS.map((p) => p.ns)]) {
      try {
        sh(["ip", "netns", "del", ns]);
      } catch {
        // not made
      }
    }
  });

  it("balances a cluster IP over both endpoints, from the node and from a pod (hairpin included)", async () => {
    const rules = desiredRules([service("web", "10.96.0.50")], [slice("web", PODS.map((p) => p.ip))], cfg);
    expect(await applier.apply(rules)).toBe("applied");
    expect(await applier.apply(rules)).toBe("unchanged");

    const fromNode = await connect(NODE, "10.96.0.50", 80, 40);
    expect(fromNode.every((a) => a.ok)).toBe(true);
    expect(new Set(fromNode.map((a) => a.text!.split(" ")[0]))).toEqual(new Set(["ep-a", "ep-b"]));

    // From pod a, itself an endpoint: masqueraded (hairpin: reaching itself needs the node as source).
    const fromPod = await connect(PODS[0]!.ns, "10.96.0.50", 80, 40);
    expect(fromPod.every((a) => a.ok)).toBe(true);
    expect(new Set(fromPod.map((a) => a.text))).toEqual(new Set(["ep-a 10.244.0.1", "ep-b 10.244.0.1"]));

    // A pod that is no endpoint of the service keeps its own address.
    await applier.apply(desiredRules([service("solo", "10.96.0.70")], [slice("solo", [PODS[0]!.ip])], cfg));
    expect((await connect(PODS[1]!.ns, "10.96.0.70", 80, 3)).map((a) => a.text)).toEqual(Array(3).fill("ep-a 10.244.0.3"));
  });

  it("NodePorts answer on the node's addresses; ClientIP affinity keeps a client on one endpoint", async () => {
    const both = PODS.map((p) => p.ip);
    const rules = desiredRules(
      [
        service("np", "10.96.0.80", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }),
        service("sticky", "10.96.0.90", { sessionAffinity: "ClientIP" }),
      ],
      [slice("np", both), slice("sticky", both)],
      cfg,
    );
    await applier.apply(rules);
    // From a pod to the node's other address: DNATed and masqueraded (the reply must come back through the node).
    const np = await connect(PODS[1]!.ns, "192.168.77.1", 30080, 20);
    expect(np.every((a) => a.ok)).toBe(true);
    expect(new Set(np.map((a) => a.text))).toEqual(new Set(["ep-a 10.244.0.1", "ep-b 10.244.0.1"]));
    const sticky = await connect(NODE, "10.96.0.90", 80, 20);
    expect(sticky.every((a) => a.ok)).toBe(true);
    expect(new Set(sticky.map((a) => a.text)).size).toBe(1);
  });

  it("externalTrafficPolicy Local: an outside caller keeps its address and reaches only the node's own endpoints", async () => {
    const svcLocal = service("loc", "10.96.0.91", { type: "NodePort", externalTrafficPolicy: "Local", ports: [{ port: 80, protocol: "TCP", nodePort: 30091 }] });
    const sl = slice("loc", []);
    sl.endpoints = PODS.map((p, i) => ({ addresses: [p.ip], conditions: { ready: true }, nodeName: i === 0 ? "here" : "there" }));
    await applier.apply(desiredRules([svcLocal], [sl], { ...cfg, nodeName: "here" }));
    const outside = await connect(OUTSIDE, "192.168.78.1", 30091, 10);
    expect(outside.map((a) => a.text)).toEqual(Array(10).fill("ep-a 192.168.78.2"));
    // The node itself takes the cluster-wide path (masqueraded, every endpoint).
    const fromNode = await connect(NODE, "192.168.78.1", 30091, 30);
    expect(new Set(fromNode.map((a) => a.text?.split(" ")[0]))).toEqual(new Set(["ep-a", "ep-b"]));
    // On a node without an endpoint of its own, outside callers are dropped.
    await applier.apply(desiredRules([svcLocal], [sl], { ...cfg, nodeName: "elsewhere" }));
    expect(await connect(OUTSIDE, "192.168.78.1", 30091, 1)).toMatchObject([{ ok: false, code: "TIMEOUT" }]);
  });

  it("internalTrafficPolicy Local: the cluster IP reaches only the node's own endpoints", async () => {
    const sl = slice("itp", []);
    sl.endpoints = PODS.map((p, i) => ({ addresses: [p.ip], conditions: { ready: true }, nodeName: i === 0 ? "here" : "there" }));
    await applier.apply(desiredRules([service("itp", "10.96.0.92", { internalTrafficPolicy: "Local" })], [sl], { ...cfg, nodeName: "there" }));
    expect(new Set((await connect(PODS[0]!.ns, "10.96.0.92", 80, 20)).map((a) => a.text))).toEqual(new Set(["ep-b 10.244.0.2"]));
  });

  it("refuses at once a service without endpoints, and the jumps stay single and first", async () => {
    const rules = desiredRules([service("web", "10.96.0.50"), service("empty", "10.96.0.60")], [slice("web", [PODS[0]!.ip])], cfg);
    expect(await applier.apply(rules)).toBe("applied");
    const node = await connect(NODE, "10.96.0.60", 80, 3);
    const pod = await connect(PODS[1]!.ns, "10.96.0.60", 80, 3);
    for (const a of [...node, ...pod]) {
      expect(a).toMatchObject({ ok: false, code: "ECONNREFUSED" });
      expect(a.ms).toBeLessThan(1000);
    }
    await applier.apply(rules, { force: true });
    const saved = sh(["ip", "netns", "exec", NODE, "iptables-nft-save", "-t", "nat"]) + sh(["ip", "netns", "exec", NODE, "iptables-nft-save", "-t", "filter"]);
    for (const hook of ["PREROUTING", "OUTPUT"]) expect(saved.match(new RegExp(`^-A ${hook} -j MC-SERVICES$`, "gm"))).toHaveLength(1);
    expect(saved.match(/^-A FORWARD .*$/m)?.[0]).toBe("-A FORWARD -m conntrack --ctstate NEW -j MC-SERVICES");
  });

  it("replaces the rules atomically: connections never fail while endpoints change, stale chains go", async () => {
    const a = desiredRules([service("web", "10.96.0.50")], [slice("web", [PODS[0]!.ip])], cfg);
    const b = desiredRules([service("web", "10.96.0.50")], [slice("web", [PODS[1]!.ip])], cfg);
    await applier.apply(desiredRules([service("web", "10.96.0.50"), service("web2", "10.96.0.51", { sessionAffinity: "ClientIP" })], [slice("web", [PODS[0]!.ip]), slice("web2", [PODS[0]!.ip])], cfg));
    await applier.apply(a);
    const load = connect(NODE, "10.96.0.50", 80, 300);
    for (let i = 0; i < 20; i++) await applier.apply(i % 2 ? a : b);
    const attempts = await load;
    expect(attempts.filter((x) => !x.ok)).toEqual([]);
    await applier.apply(b);
    expect((await connect(NODE, "10.96.0.50", 80, 5)).map((x) => x.text?.split(" ")[0])).toEqual(Array(5).fill("ep-b"));
    const chains = sh(["ip", "netns", "exec", NODE, "iptables-nft-save", "-t", "nat"]).match(/^:MC-S(VC|EP)-\S+/gm);
    expect(chains).toHaveLength(1);
  });

  it("after a UDP endpoint goes, its conntrack entries are deleted and the flow moves to the one left", async () => {
    const udp = (ips: string[]) =>
      desiredRules(
        [service("dns", "10.96.0.53", { ports: [{ port: 53, protocol: "UDP" }] })],
        [{ ...slice("dns", ips), ports: [{ port: 5353, protocol: "UDP" }] }],
        cfg,
      );
    const first = udp([PODS[0]!.ip]);
    await applier.apply(first);
    await cleaner.delete(staleUdpFlows(undefined, first.udp));
    expect(askUdp(NODE, "10.96.0.53", 53, 3)).toEqual(["ep-a", "ep-a", "ep-a"]);
    // The rules alone do not move a flow the kernel already NATed: it stays on ep-a.
    const second = udp([PODS[1]!.ip]);
    await applier.apply(second);
    expect(askUdp(NODE, "10.96.0.53", 53, 2)).toEqual(["ep-a", "ep-a"]);
    const stale = staleUdpFlows(first.udp, second.udp);
    expect(stale).toEqual([{ origDst: "10.96.0.53", dport: 53, dstNat: PODS[0]!.ip }]);
    await cleaner.delete(stale);
    expect(askUdp(NODE, "10.96.0.53", 53, 3)).toEqual(["ep-b", "ep-b", "ep-b"]);
    expect(sh(["ip", "netns", "exec", NODE, "conntrack", "-L", "-p", "udp", "--orig-dst", "10.96.0.53"])).not.toContain(`src=${PODS[0]!.ip}`);
  });

  it("cleanup removes every chain and jump of ours", async () => {
    await applier.cleanup();
    expect(sh(["ip", "netns", "exec", NODE, "iptables-nft-save"])).not.toContain("MC-");
  });
});
