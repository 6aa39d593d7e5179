import { describe, expect, it } from "vitest";
import { ConfigError, formatProblem } from "./errors.js";
import { defaultClusterConfig, parseClusterConfig } from "./parse.js";

const FILE = "cluster.yaml";
/** Lines 1-2 of every test file; the case's text starts on line 3. */
const HEAD = "kind: Cluster\napiVersion: minicluster.dev/v1alpha1\n";

function problems(text: string): string[] {
  try {
    parseClusterConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error("expected a ConfigError");
}

describe("parseClusterConfig: accepted files", () => {
  it("reads the documented example with its defaults filled in", () => {
    const text = `kind: Cluster
apiVersion: minicluster.dev/v1alpha1
name: dev
nodes:
  - role: control-plane
    labels: { tier: frontend }
    extraPortMappings:
      - containerPort: 30080
        hostPort: 8080
        listenAddress: 127.0.0.1
        protocol: TCP
      - containerPort: 30053
        protocol: UDP
  - role: worker
networking:
  apiServerPort: 6443
  apiServerAddress: 127.0.0.1
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/16
`;
    expect(parseClusterConfig(text, FILE)).toEqual({
      file: FILE,
      apiVersion: "minicluster.dev/v1alpha1",
      name: "dev",
      nodes: [
        {
          role: "control-plane",
          labels: { tier: "frontend" },
          extraPortMappings: [
            { containerPort: 30080, hostPort: 8080, listenAddress: "127.0.0.1", protocol: "TCP" },
            { containerPort: 30053, hostPort: 0, listenAddress: "127.0.0.1", protocol: "UDP" },
          ],
        },
        { role: "worker", labels: {}, extraPortMappings: [] },
      ],
      networking: { apiServerPort: 6443, apiServerAddress: "127.0.0.1", podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" },
    });
  });

  it.each([
    ["an empty file", ""],
    ["only comments", "# nothing here\n\n# really\n"],
    ["a lone document marker", "---\n"],
    ["an explicit null", "~\n"],
  ])("gives the defaults for %s", (_, text) => {
    expect(parseClusterConfig(text, FILE)).toEqual({ ...defaultClusterConfig(), file: FILE });
  });

  it("defaults to one control-plane node when nodes are absent or empty", () => {
    for (const nodes of ["", "nodes: []\n", "nodes:\n"]) {
      expect(parseClusterConfig(HEAD + nodes, FILE).nodes).toEqual([{ role: "control-plane", labels: {}, extraPortMappings: [] }]);
    }
  });

  it("accepts kind's apiVersion and keeps it", () => {
    const cfg = parseClusterConfig("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n", FILE);
    expect(cfg.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
    expect(cfg.nodes.map((n) => n.role)).toEqual(["control-plane", "worker"]);
  });

  it("accepts the flat apiServerPort, podSubnet and serviceSubnet as aliases of networking.*", () => {
    const cfg = parseClusterConfig(`${HEAD}apiServerPort: 7443\npodSubnet: 10.200.0.0/16\nserviceSubnet: 10.100.0.0/20\n`, FILE);
    expect(cfg.networking).toEqual({ apiServerPort: 7443, apiServerAddress: "127.0.0.1", podSubnet: "10.200.0.0/16", serviceSubnet: "10.100.0.0/20" });
  });

  it("accepts an alias given in both places with the same value", () => {
    const cfg = parseClusterConfig(`${HEAD}apiServerPort: 7443\npodSubnet: "10.200.0.0/16"\nnetworking:\n  apiServerPort: 7443\n  podSubnet: 10.200.0.0/16\n`, FILE);
    expect(cfg.networking.apiServerPort).toBe(7443);
    expect(cfg.networking.podSubnet).toBe("10.200.0.0/16");
  });

  it("accepts label edge cases: empty values, prefixed keys, unquoted numeric keys, YAML anchors", () => {
    const text = `${HEAD}nodes:
- role: control-plane
  labels: &common { example.com/team: a-b_c.d, empty: "", 2024: "yes" }
- role: worker
  labels: *common
`;
    const cfg = parseClusterConfig(text, FILE);
    const labels = { "example.com/team": "a-b_c.d", empty: "", "2024": "yes" };
    expect(cfg.nodes.map((n) => n.labels)).toEqual([labels, labels]);
  });

  it("allows the same host port on different protocols or addresses, and any number of hostPort 0", () => {
    const text = `${HEAD}nodes:
- role: control-plane
  extraPortMappings:
  - { containerPort: 80, hostPort: 8080 }
  - { containerPort: 80, hostPort: 8080, protocol: UDP }
  - { containerPort: 80, hostPort: 8080, listenAddress: 127.0.0.2 }
  - { containerPort: 81 }
  - { containerPort: 82, hostPort: 0 }
- role: worker
  extraPortMappings:
  - { containerPort: 80, hostPort: 8081, listenAddress: "::1" }
  - { containerPort: 81 }
`;
    const cfg = parseClusterConfig(text, FILE);
    expect(cfg.nodes[0].extraPortMappings.map((m) => m.hostPort)).toEqual([8080, 8080, 8080, 0, 0]);
    expect(cfg.nodes[1].extraPortMappings[0].listenAddress).toBe("::1");
  });

  it("accepts the subnet size limits (/24 pod subnet for one node, /12 and /28 service subnets)", () => {
    expect(parseClusterConfig(`${HEAD}podSubnet: 10.244.0.0/24\nserviceSubnet: 10.96.0.0/12\n`, FILE).networking.podSubnet).toBe("10.244.0.0/24");
    expect(parseClusterConfig(`${HEAD}podSubnet: 10.0.0.0/8\nserviceSubnet: 192.168.0.0/28\n`, FILE).networking.serviceSubnet).toBe("192.168.0.0/28");
  });
});

describe("parseClusterConfig: errors name the file, the line and the field path", () => {
  const N = `${HEAD}nodes:\n`; // node list starts on line 4
  it.each<[string, string, string]>([
    // kind, apiVersion and the top level
    ["a wrong kind", "kind: Config\napiVersion: v1\nclusters: []\n", 'cluster.yaml:1: kind: must be "Cluster", got "Config"'],
    ["a wrong apiVersion", "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n", 'cluster.yaml:2: apiVersion: must be "minicluster.dev/v1alpha1" (or kind\'s "kind.x-k8s.io/v1alpha4"), got "kind.x-k8s.io/v1alpha3"'],
    ["a missing kind", "apiVersion: minicluster.dev/v1alpha1\n", 'cluster.yaml:1: kind: missing; a cluster file starts with "kind: Cluster"'],
    ["a missing apiVersion", "kind: Cluster\n", 'cluster.yaml:1: apiVersion: missing; use "minicluster.dev/v1alpha1"'],
    ["a non-string kind", "kind: 3\napiVersion: minicluster.dev/v1alpha1\n", "cluster.yaml:1: kind: must be a string, got 3"],
    ["a top-level list", "- role: worker\n", 'cluster.yaml:1: a cluster file must be a YAML mapping (starting with "kind: Cluster"), got a list'],
    ["a top-level string", "hello\n", 'cluster.yaml:1: a cluster file must be a YAML mapping (starting with "kind: Cluster"), got "hello"'],
    ["malformed YAML", `${HEAD}nodes: [\n  - role: worker\n`, "cluster.yaml:4: "],
    ["a duplicate field", `${HEAD}name: a\nname: b\n`, 'cluster.yaml:4: field "name" appears twice in the same mapping'],
    ["two documents", `${HEAD}---\n${HEAD}`, "cluster.yaml:3: a cluster file holds one YAML document; found a second one"],
    // unknown fields, with hints
    ["a misspelt top-level field", `${HEAD}nmae: dev\n`, 'cluster.yaml:3: nmae: unknown field; did you mean "name"?'],
    ["a differently-cased field", `${HEAD}apiserverport: 1\n`, 'cluster.yaml:3: apiserverport: unknown field; did you mean "apiServerPort"?'],
    ["an unknown top-level field", `${HEAD}flavour: vanilla\n`, "cluster.yaml:3: flavour: unknown field; known fields: kind, apiVersion, name, nodes, networking, apiServerPort, podSubnet, serviceSubnet"],
    ["a kind-only top-level field", `${HEAD}featureGates: {}\n`, "cluster.yaml:3: featureGates: unknown field (a kind setting minicluster does not support)"],
    ["a networking field at the top level", `${HEAD}apiServerAddress: 127.0.0.1\n`, "cluster.yaml:3: apiServerAddress: unknown field; it belongs under networking.apiServerAddress"],
    ["a misspelt node field", `${N}- role: control-plane\n  lables: {}\n`, 'cluster.yaml:5: nodes[0].lables: unknown field; did you mean "labels"?'],
    ["a kind-only node field", `${N}- role: control-plane\n  extraMounts: []\n`, "cluster.yaml:5: nodes[0].extraMounts: unknown field (a kind setting minicluster does not support)"],
    ["a port field on the node", `${N}- role: control-plane\n  hostPort: 80\n`, "cluster.yaml:5: nodes[0].hostPort: unknown field; it belongs under extraPortMappings[].hostPort"],
    ["a misspelt port field", `${N}- role: control-plane\n  extraPortMappings:\n  - containerport: 80\n`, 'cluster.yaml:6: nodes[0].extraPortMappings[0].containerport: unknown field; did you mean "containerPort"?'],
    ["a misspelt networking field", `${HEAD}networking:\n  podSubnets: 10.0.0.0/16\n`, 'cluster.yaml:4: networking.podSubnets: unknown field; did you mean "podSubnet"?'],
    ["a kind-only networking field", `${HEAD}networking:\n  disableDefaultCNI: true\n`, "cluster.yaml:4: networking.disableDefaultCNI: unknown field (a kind setting minicluster does not support)"],
    ["a non-string field name", `${HEAD}[a]: 1\n`, "cluster.yaml:3: field names must be plain strings, got a list"],
    // name
    ["an invalid name", `${HEAD}name: Dev\n`, "cluster.yaml:3: name: must consist of lower-case letters"],
    ["a too long name", `${HEAD}name: ${"a".repeat(50)}\n`, "cluster.yaml:3: name: must be at most 49 characters (it has 50)"],
    ["a numeric name", `${HEAD}name: 42\n`, "cluster.yaml:3: name: must be a string, got 42"],
    // nodes and roles
    ["nodes not a list", `${HEAD}nodes: 3\n`, "cluster.yaml:3: nodes: must be a list, got 3"],
    ["a node that is not a mapping", `${N}- worker\n`, 'cluster.yaml:4: nodes[0]: must be a mapping, got "worker"'],
    ["an empty node entry", `${N}-\n- role: control-plane\n`, "cluster.yaml:4: nodes[0]: must be a mapping, got null"],
    ["a bad role", `${N}- role: control-plane\n- role: master\n`, 'cluster.yaml:5: nodes[1].role: must be "control-plane" or "worker", got "master"'],
    ["a missing role", `${N}- role: control-plane\n- labels: { a: b }\n`, 'cluster.yaml:5: nodes[1].role: missing; must be "control-plane" or "worker"'],
    ["two control-plane nodes", `${N}- role: control-plane\n- role: worker\n- role: control-plane\n`, "cluster.yaml:6: nodes[2].role: multiple control-plane nodes are not supported yet"],
    ["no control-plane node", `${N}- role: worker\n- role: worker\n`, 'cluster.yaml:4: nodes: no control-plane node; add one with "- role: control-plane"'],
    ["too many nodes", `${N}- role: control-plane\n${"- role: worker\n".repeat(20)}`, "cluster.yaml:4: nodes: at most 20 nodes are supported, the file lists 21"],
    // labels
    ["labels not a mapping", `${N}- role: control-plane\n  labels: [a]\n`, "cluster.yaml:5: nodes[0].labels: must be a mapping of label keys to values, got a list"],
    ["an invalid label key", `${N}- role: control-plane\n  labels:\n    "bad key": x\n`, 'cluster.yaml:6: nodes[0].labels[bad key]: invalid label key "bad key": name part must consist of alphanumeric characters'],
    ["a label key with a bad prefix", `${N}- role: control-plane\n  labels:\n    Example.COM/x: y\n`, 'cluster.yaml:6: nodes[0].labels[Example.COM/x]: invalid label key "Example.COM/x": prefix part a lowercase RFC 1123 subdomain'],
    ["an invalid label value", `${N}- role: control-plane\n  labels:\n    tier: "front end"\n`, 'cluster.yaml:6: nodes[0].labels[tier]: invalid label value "front end": a valid label must be an empty string or consist of alphanumeric characters'],
    ["a too long label value", `${N}- role: control-plane\n  labels:\n    tier: ${"x".repeat(64)}\n`, "must be no more than 63 characters"],
    ["a boolean label value", `${N}- role: control-plane\n  labels:\n    ingress-ready: true\n`, 'cluster.yaml:6: nodes[0].labels[ingress-ready]: must be a string, got true (quote it: "true")'],
    ["a number label value", `${N}- role: control-plane\n  labels:\n    version: 1.20\n`, 'cluster.yaml:6: nodes[0].labels[version]: must be a string, got 1.20 (quote it: "1.20")'],
    ["a null label value", `${N}- role: control-plane\n  labels:\n    tier:\n`, 'cluster.yaml:6: nodes[0].labels[tier]: must be a string, got null (use "" for an empty value)'],
    // port mappings
    ["extraPortMappings not a list", `${N}- role: control-plane\n  extraPortMappings: { containerPort: 80 }\n`, "cluster.yaml:5: nodes[0].extraPortMappings: must be a list, got a mapping"],
    ["a missing containerPort", `${N}- role: control-plane\n  extraPortMappings:\n  - hostPort: 80\n`, "cluster.yaml:6: nodes[0].extraPortMappings[0].containerPort: missing; the port inside the node container to publish"],
    ["containerPort 0", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 0\n`, "cluster.yaml:6: nodes[0].extraPortMappings[0].containerPort: must be an integer from 1 to 65535, got 0"],
    ["containerPort too big", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 65536\n`, "containerPort: must be an integer from 1 to 65535, got 65536"],
    ["containerPort as a string", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: "80"\n`, 'containerPort: must be an integer from 1 to 65535, got "80"'],
    ["containerPort fractional", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80.5\n`, "containerPort: must be an integer from 1 to 65535, got 80.5"],
    ["a negative hostPort", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    hostPort: -1\n`, "cluster.yaml:7: nodes[0].extraPortMappings[0].hostPort: must be an integer from 0 to 65535 (0 = any free port), got -1"],
    ["hostPort too big", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    hostPort: 70000\n`, "hostPort: must be an integer from 0 to 65535 (0 = any free port), got 70000"],
    ["a host name as listenAddress", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    listenAddress: localhost\n`, 'cluster.yaml:7: nodes[0].extraPortMappings[0].listenAddress: must be an IP address such as 127.0.0.1 or 0.0.0.0, got "localhost"'],
    ["a lower-case protocol", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    protocol: tcp\n`, 'cluster.yaml:7: nodes[0].extraPortMappings[0].protocol: must be "TCP", "UDP" or "SCTP", got "tcp"'],
    ["an unknown protocol", `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    protocol: HTTP\n`, 'protocol: must be "TCP", "UDP" or "SCTP", got "HTTP"'],
    [
      "the same host port twice",
      `${N}- role: control-plane\n  extraPortMappings:\n  - containerPort: 80\n    hostPort: 8080\n- role: worker\n  extraPortMappings:\n  - containerPort: 81\n    hostPort: 8080\n`,
      "cluster.yaml:11: nodes[1].extraPortMappings[0].hostPort: 8080/TCP on 127.0.0.1 is already published by nodes[0].extraPortMappings[0].hostPort (line 7)",
    ],
    [
      "a host port on 0.0.0.0 and on 127.0.0.1",
      `${N}- role: control-plane\n  extraPortMappings:\n  - { containerPort: 80, hostPort: 8080, listenAddress: 0.0.0.0, protocol: UDP }\n  - { containerPort: 81, hostPort: 8080, protocol: UDP }\n`,
      "cluster.yaml:7: nodes[0].extraPortMappings[1].hostPort: 8080/UDP on 127.0.0.1 is already published by nodes[0].extraPortMappings[0].hostPort (line 6)",
    ],
    [
      "a host port on :: and on 127.0.0.1",
      `${N}- role: control-plane\n  extraPortMappings:\n  - { containerPort: 80, hostPort: 8080, listenAddress: "::" }\n  - { containerPort: 81, hostPort: 8080 }\n`,
      "cluster.yaml:7: nodes[0].extraPortMappings[1].hostPort: 8080/TCP on 127.0.0.1 is already published by nodes[0].extraPortMappings[0].hostPort (line 6)",
    ],
    [
      "a host port that is the API server's",
      `${HEAD}networking:\n  apiServerPort: 8080\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - { containerPort: 80, hostPort: 8080 }\n`,
      "cluster.yaml:8: nodes[0].extraPortMappings[0].hostPort: 8080/TCP on 127.0.0.1 is already published by networking.apiServerPort (line 4)",
    ],
    // networking
    ["networking not a mapping", `${HEAD}networking: [1]\n`, "cluster.yaml:3: networking: must be a mapping, got a list"],
    ["a string apiServerPort", `${HEAD}networking:\n  apiServerPort: http\n`, 'cluster.yaml:4: networking.apiServerPort: must be an integer from 0 to 65535 (0 = any free port), got "http"'],
    ["apiServerPort too big", `${HEAD}apiServerPort: 99999\n`, "cluster.yaml:3: apiServerPort: must be an integer from 0 to 65535 (0 = any free port), got 99999"],
    ["a bad apiServerAddress", `${HEAD}networking:\n  apiServerAddress: 127.0.0.256\n`, 'cluster.yaml:4: networking.apiServerAddress: must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "127.0.0.256"'],
    ["an IPv6 apiServerAddress", `${HEAD}networking:\n  apiServerAddress: "::1"\n`, 'cluster.yaml:4: networking.apiServerAddress: must be an IPv4 address such as 127.0.0.1 or 0.0.0.0 (IPv6 is not supported yet), got "::1"'],
    ["conflicting apiServerPort aliases", `${HEAD}apiServerPort: 6443\nnetworking:\n  apiServerPort: 7443\n`, "cluster.yaml:3: apiServerPort: 6443 conflicts with networking.apiServerPort: 7443 (line 5); give it in one place"],
    ["conflicting podSubnet aliases", `${HEAD}networking:\n  podSubnet: 10.244.0.0/16\npodSubnet: 10.245.0.0/16\n`, 'cluster.yaml:5: podSubnet: "10.245.0.0/16" conflicts with networking.podSubnet: "10.244.0.0/16" (line 4); give it in one place'],
    ["conflicting serviceSubnet aliases", `${HEAD}serviceSubnet: 10.96.0.0/16\nnetworking:\n  serviceSubnet: 10.97.0.0/16\n`, "cluster.yaml:3: serviceSubnet: "],
    ["a pod subnet without a prefix", `${HEAD}podSubnet: 10.244.0.0\n`, 'cluster.yaml:3: podSubnet: "10.244.0.0" is not an IPv4 CIDR such as 10.244.0.0/16'],
    ["a pod subnet that is not an address", `${HEAD}networking:\n  podSubnet: pods/16\n`, 'cluster.yaml:4: networking.podSubnet: "pods/16" is not an IPv4 CIDR such as 10.244.0.0/16'],
    ["an IPv6 pod subnet", `${HEAD}podSubnet: fd00:10:244::/56\n`, 'cluster.yaml:3: podSubnet: "fd00:10:244::/56" is IPv6; IPv6 subnets are not supported yet'],
    ["a pod subnet with host bits", `${HEAD}podSubnet: 10.244.1.0/16\n`, 'cluster.yaml:3: podSubnet: "10.244.1.0/16" has host bits set; did you mean 10.244.0.0/16?'],
    ["a pod subnet smaller than /24", `${HEAD}podSubnet: 10.244.0.0/25\n`, "cluster.yaml:3: podSubnet: 10.244.0.0/25: the prefix must be between /8 and /24 (each node takes a /24 of it), got /25"],
    ["a pod subnet larger than /8", `${HEAD}podSubnet: 10.0.0.0/7\n`, "podSubnet: 10.0.0.0/7: the prefix must be between /8 and /24"],
    ["a pod subnet too small for the nodes", `${HEAD}podSubnet: 10.244.0.0/23\nnodes:\n- role: control-plane\n- role: worker\n- role: worker\n`, "cluster.yaml:3: podSubnet: 10.244.0.0/23 has room for 2 nodes (a /24 each), the file lists 3"],
    ["a service subnet larger than /12", `${HEAD}serviceSubnet: 10.0.0.0/8\n`, "cluster.yaml:3: serviceSubnet: 10.0.0.0/8: the prefix must be between /12 and /28 (the API server allows at most /12; /28 still holds the cluster DNS address), got /8"],
    ["a service subnet smaller than /28", `${HEAD}serviceSubnet: 10.96.0.0/29\n`, "serviceSubnet: 10.96.0.0/29: the prefix must be between /12 and /28"],
    ["overlapping subnets", `${HEAD}networking:\n  podSubnet: 10.96.0.0/12\n`, "cluster.yaml:4: networking.podSubnet: 10.96.0.0/12 overlaps serviceSubnet 10.96.0.0/16; they must be disjoint"],
    ["a service subnet overlapping the default pod subnet", `${HEAD}serviceSubnet: 10.244.128.0/20\n`, "cluster.yaml:3: serviceSubnet: 10.244.128.0/20 overlaps podSubnet 10.244.0.0/16; they must be disjoint"],
  ])("%s", (_, text, expected) => {
    const got = problems(text);
    expect(got[0]).toContain(expected);
    expect(got.every((p) => p.startsWith(`${FILE}:`))).toBe(true);
  });

  it("reports every problem, in line order, in one one-line message", () => {
    const text = `${HEAD}nodes:
- role: master
- rol: worker
- role: control-plane
  labels: { ok: true }
name: Bad
`;
    let err: unknown;
    try {
      parseClusterConfig(text, FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const { problems: list, message } = err as ConfigError;
    expect(list.map((p) => [p.line, p.path])).toEqual([
      [4, "nodes[0].role"],
      [5, "nodes[1].rol"],
      [5, "nodes[1].role"],
      [7, "nodes[2].labels[ok]"],
      [8, "name"],
    ]);
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^cluster\.yaml:4: nodes\[0\]\.role: must be .*; cluster\.yaml:5: nodes\[1\]\.rol: .*; cluster\.yaml:5: nodes\[1\]\.role: .*; and 2 more$/);
  });

  it("reports only kind and apiVersion when the file is some other kind of YAML", () => {
    const kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: x\n";
    expect(problems(kubeconfig)).toEqual(['cluster.yaml:1: apiVersion: must be "minicluster.dev/v1alpha1" (or kind\'s "kind.x-k8s.io/v1alpha4"), got "v1"', 'cluster.yaml:2: kind: must be "Cluster", got "Config"']);
  });
});
