import type { Service } from "kubernetes-types/core/v1.js";
import type { Endpoint, EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { describe, expect, it } from "vitest";
import { desiredRules, endpointChain, externalChain, localChain, parseKernelState, portEndpoints, restoreInput, serviceChain } from "./rules.js";

const cfg = { podSubnet: "10.244.0.0/16" };

function svc(name: string, spec: Service["spec"], ns = "default"): Service {
  return { metadata: { name, namespace: ns }, spec: { clusterIP: "10.96.0.50", ports: [{ port: 80, protocol: "TCP" }], ...spec } };
}

function slice(service: string, ports: EndpointSlice["ports"], endpoints: Endpoint[], name = `${service}-abc`, ns = "default"): EndpointSlice {
  return { addressType: "IPv4", metadata: { name, namespace: ns, labels: { "kubernetes.io/service-name": service } }, ports, endpoints };
}

const ep = (ip: string, conditions: Endpoint["conditions"] = { ready: true }): Endpoint => ({ addresses: [ip], conditions });

/** The rules of one chain, with chain names replaced by readable ones. */
function chainOf(rules: string[], chain: string, names: Record<string, string> = {}): string[] {
  return rules
    .filter((r) => r.startsWith(`-A ${chain} `))
    .map((r) => Object.entries(names).reduce((s, [k, v]) => s.split(k).join(v), r.slice(`-A ${chain} `.length)));
}

describe("desiredRules", () => {
  it("balances a cluster IP over ready endpoints with probabilities 1/n, 1/(n-1), ...", () => {
    const s = svc("web", {});
    const sl = slice("web", [{ port: 8080, protocol: "TCP" }], [ep("10.244.1.3"), ep("10.244.1.2"), ep("10.244.2.2")]);
    const r = desiredRules([s], [sl], cfg);
    const svcChain = serviceChain("default/web", "tcp");
    const names = { [svcChain]: "SVC" };
    expect(chainOf(r.nat.rules, "MC-SERVICES", names)).toEqual([
      `-d 10.96.0.50/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j SVC`,
      "! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j MC-NODEPORTS",
    ]);
    expect(chainOf(r.nat.rules, svcChain, names)).toEqual([
      "! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j MC-MARK-MASQ",
      "-s 10.244.1.2/32 -j MC-MARK-MASQ",
      "-s 10.244.1.3/32 -j MC-MARK-MASQ",
      "-s 10.244.2.2/32 -j MC-MARK-MASQ",
      "-p tcp -m statistic --mode random --probability 0.3333333333 -m tcp -j DNAT --to-destination 10.244.1.2:8080",
      "-p tcp -m statistic --mode random --probability 0.5000000000 -m tcp -j DNAT --to-destination 10.244.1.3:8080",
      "-p tcp -m tcp -j DNAT --to-destination 10.244.2.2:8080",
    ]);
    expect(r.nat.chains).toEqual(["MC-SERVICES", "MC-NODEPORTS", "MC-POSTROUTING", "MC-MARK-MASQ", svcChain]);
    expect(r.filter.rules).toEqual([]);
    expect(chainOf(r.nat.rules, "MC-POSTROUTING")).toEqual(["-m mark ! --mark 0x4000/0x4000 -j RETURN", "-j MARK --xor-mark 0x4000", "-j MASQUERADE"]);
    expect(r.counts).toEqual({ servicePorts: 1, rejected: 0, endpoints: 3 });
    expect(r.text.startsWith("*nat\n:MC-SERVICES - [0:0]\n")).toBe(true);
    expect(r.text.endsWith("*filter\n:MC-SERVICES - [0:0]\nCOMMIT\n")).toBe(true);
    for (const c of r.nat.chains) expect(c.length).toBeLessThanOrEqual(28);
  });

  it("hairpin marks only this node's endpoints when the node is known", () => {
    const sl = slice("web", [{ port: 8080 }], [
      { ...ep("10.244.1.2"), nodeName: "n1" },
      { ...ep("10.244.2.2"), nodeName: "n2" },
    ]);
    const r = desiredRules([svc("web", {})], [sl], { ...cfg, nodeName: "n1" });
    expect(r.nat.rules.filter((l) => / -s 10\.244\.\S+ -j MC-MARK-MASQ$/.test(l))).toEqual([`-A ${serviceChain("default/web", "tcp")} -s 10.244.1.2/32 -j MC-MARK-MASQ`]);
  });

  it("rejects a service port without endpoints at once: tcp-reset for TCP, port-unreachable for UDP and SCTP", () => {
    const s = svc("empty", {
      type: "NodePort",
      ports: [
        { name: "a", port: 80, protocol: "TCP", nodePort: 30080 },
        { name: "b", port: 53, protocol: "UDP" },
        { name: "c", port: 9, protocol: "SCTP" },
      ],
    });
    const r = desiredRules([s], [slice("empty", [{ name: "a", port: 80 }], [ep("10.244.1.2", { ready: false })])], cfg);
    expect(r.filter.rules).toEqual([
      `-A MC-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/empty:a has no endpoints" -m tcp --dport 80 -j REJECT --reject-with tcp-reset`,
      `-A MC-SERVICES -m addrtype --dst-type LOCAL -p tcp -m comment --comment "default/empty:a has no endpoints" -m tcp --dport 30080 -j REJECT --reject-with tcp-reset`,
      `-A MC-SERVICES -d 10.96.0.50/32 -p udp -m comment --comment "default/empty:b has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`,
      `-A MC-SERVICES -d 10.96.0.50/32 -p sctp -m comment --comment "default/empty:c has no endpoints" -m sctp --dport 9 -j REJECT --reject-with icmp-port-unreachable`,
    ]);
    expect(r.nat.chains).toEqual(["MC-SERVICES", "MC-NODEPORTS", "MC-POSTROUTING", "MC-MARK-MASQ"]);
    expect(r.counts.rejected).toBe(3);
  });

  it("resolves named target ports per slice, multi-port and per protocol", () => {
    const s = svc("dns", {
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: "dns-tcp" },
      ],
    });
    const slices = [
      slice("dns", [{ name: "dns", port: 5353, protocol: "UDP" }, { name: "dns-tcp", port: 5353, protocol: "TCP" }], [ep("10.244.1.2")], "s1"),
      slice("dns", [{ name: "dns", port: 1053, protocol: "UDP" }, { name: "dns-tcp", port: 1054, protocol: "TCP" }], [ep("10.244.2.2")], "s2"),
    ];
    const dnat = desiredRules([s], slices, cfg).nat.rules.filter((l) => l.includes("DNAT")).map((l) => l.replace(/^-A \S+ /, ""));
    expect(dnat.sort()).toEqual([
      "-p tcp -m statistic --mode random --probability 0.5000000000 -m tcp -j DNAT --to-destination 10.244.1.2:5353",
      "-p tcp -m tcp -j DNAT --to-destination 10.244.2.2:1054",
      "-p udp -m statistic --mode random --probability 0.5000000000 -m udp -j DNAT --to-destination 10.244.1.2:5353",
      "-p udp -m udp -j DNAT --to-destination 10.244.2.2:1053",
    ]);
  });

  it("NodePorts: marked for masquerade, on every local address but localhost, or on the given addresses", () => {
    const s = svc("np", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] });
    const sl = slice("np", [{ port: 8080 }], [ep("10.244.1.2")]);
    const svcChain = serviceChain("default/np", "tcp");
    const r = desiredRules([s], [sl], cfg);
    expect(chainOf(r.nat.rules, "MC-NODEPORTS", { [svcChain]: "SVC" })).toEqual([
      `-p tcp -m comment --comment "default/np" -m tcp --dport 30080 -j MC-MARK-MASQ`,
      `-p tcp -m comment --comment "default/np" -m tcp --dport 30080 -j SVC`,
    ]);
    const r2 = desiredRules([s], [sl], { ...cfg, nodePortAddresses: ["172.18.0.2", "172.19.0.2"] });
    expect(chainOf(r2.nat.rules, "MC-SERVICES").slice(1)).toEqual(["-d 172.18.0.2/32 -j MC-NODEPORTS", "-d 172.19.0.2/32 -j MC-NODEPORTS"]);
    // A ClusterIP service's nodePort field (left from a type change) opens nothing.
    const r3 = desiredRules([svc("np", { ports: [{ port: 80, nodePort: 30080 }] })], [sl], cfg);
    expect(chainOf(r3.nat.rules, "MC-NODEPORTS")).toEqual([]);
  });

  it("sessionAffinity ClientIP: one chain per endpoint; recent checks first, then the random choice; each endpoint records the client", () => {
    const s = svc("sticky", { sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
    const sl = slice("sticky", [{ port: 80 }], [ep("10.244.1.2"), ep("10.244.1.3")]);
    const r = desiredRules([s], [sl], cfg);
    const svcChain = serviceChain("default/sticky", "tcp");
    const [a, b] = ["10.244.1.2", "10.244.1.3"].map((ip) => endpointChain("default/sticky", "tcp", { ip, port: 80 }));
    const names = { [svcChain]: "SVC", [a!]: "SEP1", [b!]: "SEP2" };
    expect(chainOf(r.nat.rules, svcChain, names)).toEqual([
      "! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j MC-MARK-MASQ",
      "-m recent --rcheck --seconds 600 --reap --name SEP1 --mask 255.255.255.255 --rsource -j SEP1",
      "-m recent --rcheck --seconds 600 --reap --name SEP2 --mask 255.255.255.255 --rsource -j SEP2",
      "-m statistic --mode random --probability 0.5000000000 -j SEP1",
      "-j SEP2",
    ]);
    expect(r.nat.chains.slice(4)).toEqual([svcChain, a, b]);
    expect(chainOf(r.nat.rules, a!, names)[0]).toBe("-s 10.244.1.2/32 -j MC-MARK-MASQ");
    expect(chainOf(r.nat.rules, a!, names)[1]).toBe("-p tcp -m recent --set --name SEP1 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.2:80");
  });

  it("externalTrafficPolicy Local: outside callers keep their address and reach only this node's endpoints; none here means drop", () => {
    const s = svc("web", { type: "NodePort", externalTrafficPolicy: "Local", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] });
    const eps = [
      { ...ep("10.244.1.2"), nodeName: "n1" },
      { ...ep("10.244.1.3"), nodeName: "n1" },
      { ...ep("10.244.2.2"), nodeName: "n2" },
    ];
    const sl = slice("web", [{ port: 8080, protocol: "TCP" }], eps);
    const svcChain = serviceChain("default/web", "tcp");
    const ext = externalChain("default/web", "tcp");
    const names = { [svcChain]: "SVC", [ext]: "EXT" };
    const r = desiredRules([s], [sl], { ...cfg, nodeName: "n1" });
    expect(chainOf(r.nat.rules, "MC-NODEPORTS", names)).toEqual([`-p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j EXT`]);
    expect(chainOf(r.nat.rules, ext, names)).toEqual([
      `-s 10.244.0.0/16 -m comment --comment "pod traffic for default/web takes the cluster-wide path" -j SVC`,
      "-m addrtype --src-type LOCAL -j MC-MARK-MASQ",
      "-m addrtype --src-type LOCAL -j SVC",
      "-p tcp -m statistic --mode random --probability 0.5000000000 -m tcp -j DNAT --to-destination 10.244.1.2:8080",
      "-p tcp -m tcp -j DNAT --to-destination 10.244.1.3:8080",
    ]);
    expect(r.nat.chains).toContain(ext);
    // The cluster IP still reaches every endpoint.
    expect(chainOf(r.nat.rules, svcChain).filter((l) => l.includes("DNAT"))).toHaveLength(3);
    expect(r.filter.rules).toEqual([]);

    const elsewhere = desiredRules([s], [sl], { ...cfg, nodeName: "n3" });
    expect(chainOf(elsewhere.nat.rules, ext, names).filter((l) => l.includes("DNAT"))).toEqual([]);
    expect(chainOf(elsewhere.filter.rules, "MC-SERVICES")).toEqual([
      `! -s 10.244.0.0/16 -m addrtype --dst-type LOCAL -m addrtype ! --src-type LOCAL -p tcp -m comment --comment "default/web has no local endpoints" -m tcp --dport 30080 -j DROP`,
    ]);

    const sticky = desiredRules([{ ...s, spec: { ...s.spec, sessionAffinity: "ClientIP" } }], [sl], { ...cfg, nodeName: "n2" });
    const sep = endpointChain("default/web", "tcp", { ip: "10.244.2.2", port: 8080 });
    expect(chainOf(sticky.nat.rules, ext, { ...names, [sep]: "SEP" }).slice(3)).toEqual([
      "-m recent --rcheck --seconds 10800 --reap --name SEP --mask 255.255.255.255 --rsource -j SEP",
      "-j SEP",
    ]);
  });

  it("internalTrafficPolicy Local: the cluster IP reaches only this node's endpoints (drop when none); NodePorts still reach all", () => {
    const s = svc("web", { type: "NodePort", internalTrafficPolicy: "Local", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] });
    const sl = slice("web", [{ port: 8080, protocol: "TCP" }], [
      { ...ep("10.244.1.2"), nodeName: "n1" },
      { ...ep("10.244.2.2"), nodeName: "n2" },
    ]);
    const svcChain = serviceChain("default/web", "tcp");
    const svl = localChain("default/web", "tcp");
    const names = { [svcChain]: "SVC", [svl]: "SVL" };
    const r = desiredRules([s], [sl], { ...cfg, nodeName: "n1" });
    expect(chainOf(r.nat.rules, "MC-SERVICES", names)[0]).toBe(`-d 10.96.0.50/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j SVL`);
    expect(chainOf(r.nat.rules, svl, names)).toEqual([
      "! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j MC-MARK-MASQ",
      "-s 10.244.1.2/32 -j MC-MARK-MASQ",
      "-p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080",
    ]);
    expect(chainOf(r.nat.rules, "MC-NODEPORTS", names)).toContain(`-p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j SVC`);
    expect(chainOf(r.nat.rules, svcChain).filter((l) => l.includes("DNAT"))).toHaveLength(2);

    const none = desiredRules([s], [sl], { ...cfg, nodeName: "n3" });
    expect(none.nat.chains).not.toContain(svl);
    expect(chainOf(none.nat.rules, "MC-SERVICES").some((l) => l.includes("cluster IP"))).toBe(false);
    expect(chainOf(none.filter.rules, "MC-SERVICES")).toEqual([`-d 10.96.0.50/32 -p tcp -m comment --comment "default/web has no local endpoints" -m tcp --dport 80 -j DROP`]);
  });

  it("skips headless, ExternalName and IPv6-only services, and slices of other services or namespaces", () => {
    const sl = slice("x", [{ port: 80 }], [ep("10.244.1.2")]);
    const r = desiredRules(
      [svc("x", { clusterIP: "None" }), svc("x", { type: "ExternalName", clusterIP: undefined, externalName: "a.b" }, "other"), svc("y", { clusterIP: "fd00::1" }, "v6")],
      [sl],
      cfg,
    );
    expect(r.counts).toEqual({ servicePorts: 0, rejected: 0, endpoints: 0 });
    const r2 = desiredRules([svc("x", {}, "other")], [sl], cfg);
    expect(r2.counts).toEqual({ servicePorts: 0, rejected: 1, endpoints: 0 });
  });

  it("is deterministic whatever the input order", () => {
    const a = svc("a", { clusterIP: "10.96.0.1" });
    const b = svc("b", { clusterIP: "10.96.0.2" });
    const sa = slice("a", [{ port: 80 }], [ep("10.244.1.9"), ep("10.244.1.10")]);
    const sb = slice("b", [{ port: 80 }], [ep("10.244.1.2")]);
    expect(desiredRules([b, a], [sb, sa], cfg).text).toBe(desiredRules([a, b], [sa, sb], cfg).text);
  });
});

describe("portEndpoints", () => {
  const s = svc("web", {});
  const port = { port: 80, protocol: "TCP" };
  const eps = (list: Endpoint[], sv = s) => portEndpoints(sv, port, [slice("web", [{ port: 8080 }], list)]).map((e) => e.ip);
  it.each([
    ["ready ones only", [ep("10.0.0.1"), ep("10.0.0.2", { ready: false }), ep("10.0.0.3", { ready: false, serving: true, terminating: true })], ["10.0.0.1"]],
    ["nil ready counts as ready", [ep("10.0.0.1", {})], ["10.0.0.1"]],
    [
      "serving terminating ones when none is ready",
      [ep("10.0.0.1", { ready: false, serving: true, terminating: true }), ep("10.0.0.2", { ready: false, serving: false, terminating: true }), ep("10.0.0.3", { ready: false })],
      ["10.0.0.1"],
    ],
    ["none when nothing serves", [ep("10.0.0.1", { ready: false }), ep("10.0.0.2", { ready: false, serving: false, terminating: true })], []],
    ["addresses that are not IPv4 are skipped", [ep("fd00::1"), ep("10.0.0.1")], ["10.0.0.1"]],
  ])("%s", (_n, list, want) => expect(eps(list)).toEqual(want));

  it("publishNotReadyAddresses uses not-ready endpoints too", () => {
    expect(eps([ep("10.0.0.1", { ready: false }), ep("10.0.0.2")], svc("web", { publishNotReadyAddresses: true }))).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("the same address in two slices counts once, at its best condition", () => {
    const slices = [slice("web", [{ port: 8080 }], [ep("10.0.0.1", { ready: false })], "s1"), slice("web", [{ port: 8080 }], [ep("10.0.0.1"), ep("10.0.0.2", { ready: false })], "s2")];
    expect(portEndpoints(s, port, slices)).toEqual([{ ip: "10.0.0.1", port: 8080 }]);
  });
});

describe("restoreInput", () => {
  const desired = desiredRules([svc("web", {})], [slice("web", [{ port: 8080 }], [ep("10.244.1.2")])], cfg);
  const saved = [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":MC-SERVICES - [0:0]",
    ":MC-SVC-OLD - [0:0]",
    "-A PREROUTING -j DOCKER",
    "-A PREROUTING -j MC-SERVICES",
    "-A OUTPUT -j MC-SERVICES",
    "-A OUTPUT -j MC-SERVICES",
    "-A POSTROUTING -j MC-POSTROUTING",
    "-A POSTROUTING -j MINICLUSTER-POSTROUTING",
    "COMMIT",
    "*filter",
    ":FORWARD ACCEPT [0:0]",
    "-A FORWARD -j MINICLUSTER-FORWARD",
    "COMMIT",
  ].join("\n");

  it("declares our chains, deletes stale ones, and puts each jump first exactly once", () => {
    const text = restoreInput(desired, parseKernelState(saved));
    const nat = text.slice(0, text.indexOf("*filter"));
    const filter = text.slice(text.indexOf("*filter"));
    const declared = new Set(desired.nat.chains.map((c) => `:${c} - [0:0]`));
    expect(nat.split("\n").filter((l) => !l.startsWith("-A ") && !declared.has(l))).toEqual([
      "*nat",
      ":MC-SVC-OLD - [0:0]",
      "-D PREROUTING -j MC-SERVICES",
      "-I PREROUTING 1 -j MC-SERVICES",
      "-D OUTPUT -j MC-SERVICES",
      "-D OUTPUT -j MC-SERVICES",
      "-I OUTPUT 1 -j MC-SERVICES",
      "-X MC-SVC-OLD",
      "COMMIT",
      "",
    ]);
    expect(filter.split("\n").filter((l) => l.startsWith("-I"))).toEqual([
      "-I INPUT 1 -m conntrack --ctstate NEW -j MC-SERVICES",
      "-I FORWARD 1 -m conntrack --ctstate NEW -j MC-SERVICES",
      "-I OUTPUT 1 -m conntrack --ctstate NEW -j MC-SERVICES",
    ]);
  });

  it("without kernel hooks (a remembered state) touches no built-in chain", () => {
    const text = restoreInput(desired, { chains: { nat: new Set(["MC-SVC-OLD"]), filter: new Set() } });
    expect(text.split("\n").filter((l) => /^-[DIX] /.test(l))).toEqual(["-X MC-SVC-OLD"]);
    expect(text).toContain(desired.nat.rules.join("\n"));
  });
});
