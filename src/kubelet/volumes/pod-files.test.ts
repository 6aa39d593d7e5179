import { describe, expect, it } from "vitest";
import type { Pod } from "kubernetes-types/core/v1.js";
import { formatResolvConf, hostsFile, parseResolvConf, podDnsConfig, podHostname } from "./pod-files.js";

const pod = (spec: Partial<NonNullable<Pod["spec"]>> = {}, name = "web-1"): Pod => ({ metadata: { name, namespace: "ns1", uid: "u" }, spec: { containers: [], ...spec } });

const HEADER = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
`;

describe("hosts file", () => {
  it("pod IP and name", () => {
    expect(hostsFile(pod(), ["10.244.1.5"])).toBe(HEADER + "10.244.1.5\tweb-1\n");
  });
  it("hostname, subdomain and host aliases", () => {
    const p = pod({ hostname: "h", subdomain: "sub", hostAliases: [{ ip: "1.2.3.4", hostnames: ["a", "b"] }] });
    expect(hostsFile(p, ["10.244.1.5"])).toBe(
      HEADER + "10.244.1.5\th.sub.ns1.svc.cluster.local\th\n\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n",
    );
  });
  it("host network: the node's file", () => {
    expect(hostsFile(pod({ hostNetwork: true }), ["172.18.0.2"], { nodeHosts: "127.0.0.1 localhost" })).toBe(
      "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n",
    );
  });
});

describe("hostname", () => {
  it.each<[Partial<NonNullable<Pod["spec"]>>, string, object]>([
    [{}, "web-1", { hostname: "web-1", uts: "web-1" }],
    [{ hostname: "h" }, "web-1", { hostname: "h", uts: "h" }],
    [{ hostname: "h", subdomain: "s", setHostnameAsFQDN: true }, "x", { hostname: "h", domain: "s.ns1.svc.cluster.local", uts: "h.s.ns1.svc.cluster.local" }],
    [{}, "a".repeat(62) + "-bcd", { hostname: "a".repeat(62) }],
  ])("%j %s", (spec, name, want) => {
    expect(podHostname(pod(spec, name))).toMatchObject(want);
  });
});

describe("resolv.conf", () => {
  const node = parseResolvConf("# docker\nnameserver 127.0.0.11\nsearch example.com corp\noptions edns0 trust-ad ndots:0\n");
  it("parses", () => {
    expect(node).toEqual({ nameservers: ["127.0.0.11"], searches: ["example.com", "corp"], options: ["edns0", "trust-ad", "ndots:0"] });
    expect(parseResolvConf("domain d.com\nnameserver 1.1.1.1 ; x\n")).toEqual({ nameservers: ["1.1.1.1"], searches: ["d.com"], options: [] });
  });
  it.each<[string, Partial<NonNullable<Pod["spec"]>>, string[] | undefined, string]>([
    ["ClusterFirst without cluster DNS falls back to the node's", {}, undefined, "search example.com corp\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n"],
    [
      "ClusterFirst with cluster DNS",
      {},
      ["10.96.0.10"],
      "search ns1.svc.cluster.local svc.cluster.local cluster.local example.com corp\nnameserver 10.96.0.10\noptions ndots:5\n",
    ],
    ["ClusterFirst on host network is Default", { hostNetwork: true }, ["10.96.0.10"], "search example.com corp\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n"],
    // The node's loopback resolver (Docker's 127.0.0.11) is unreachable from a pod's netns: the cluster DNS forwards for it.
    ["Default with a loopback node resolver", { dnsPolicy: "Default" }, ["10.96.0.10"], "search example.com corp\nnameserver 10.96.0.10\noptions edns0 trust-ad ndots:0\n"],
    ["Default without cluster DNS", { dnsPolicy: "Default" }, undefined, "search example.com corp\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n"],
    ["Default on host network keeps the loopback resolver", { dnsPolicy: "Default", hostNetwork: true }, ["10.96.0.10"], "search example.com corp\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n"],
    ["ClusterFirstWithHostNet", { dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true }, ["10.96.0.10"], "search ns1.svc.cluster.local svc.cluster.local cluster.local example.com corp\nnameserver 10.96.0.10\noptions ndots:5\n"],
    [
      "None with dnsConfig",
      { dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"], searches: ["a.b"], options: [{ name: "ndots", value: "2" }, { name: "rotate" }] } },
      undefined,
      "search a.b\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\noptions ndots:2 rotate\n",
    ],
    [
      "Default merged with dnsConfig",
      { dnsPolicy: "Default", dnsConfig: { nameservers: ["127.0.0.11", "1.1.1.1"], searches: ["corp", "z"], options: [{ name: "ndots", value: "3" }] } },
      undefined,
      "search example.com corp z\nnameserver 127.0.0.11\nnameserver 1.1.1.1\noptions edns0 trust-ad ndots:3\n",
    ],
  ])("%s", (_, spec, clusterDNS, want) => {
    expect(formatResolvConf(podDnsConfig(pod(spec), node, { clusterDNS }))).toBe(want);
  });
  it("Default keeps a node resolver pods can reach", () => {
    const routable = parseResolvConf("nameserver 192.168.1.1\nnameserver 127.0.0.53\n");
    expect(podDnsConfig(pod({ dnsPolicy: "Default" }), routable, { clusterDNS: ["10.96.0.10"] }).nameservers).toEqual(["192.168.1.1", "10.96.0.10"]);
    expect(podDnsConfig(pod({ dnsPolicy: "Default" }), parseResolvConf("nameserver 192.168.1.1\n"), { clusterDNS: ["10.96.0.10"] }).nameservers).toEqual(["192.168.1.1"]);
  });
});
