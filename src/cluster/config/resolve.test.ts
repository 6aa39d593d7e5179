import { describe, expect, it } from "vitest";
import { exitCodeOf, UsageError } from "../../cli/errors.js";
import { ConfigError } from "./errors.js";
import { parseClusterConfig } from "./parse.js";
import { resolveClusterSpec } from "./resolve.js";
import { DEFAULT_WAIT_MS, type ClusterFlags, type NodeSpec } from "./types.js";

const HEAD = "kind: Cluster\napiVersion: minicluster.dev/v1alpha1\n";
const file = (body: string) => parseClusterConfig(HEAD + body, "cluster.yaml");
const TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };
const brief = (nodes: NodeSpec[]) => nodes.map((n) => [n.name, n.role, n.taints.length > 0 ? "tainted" : "-", JSON.stringify(n.labels)]);

/** A file whose nodes are told apart by labels: workers w1..w3 (one with a port), control plane listed second. */
const LABELLED = file(`name: dev
nodes:
- role: worker
  labels: { n: w1 }
- role: control-plane
  labels: { n: cp }
- role: worker
  labels: { n: w2 }
  extraPortMappings:
  - { containerPort: 80, hostPort: 8080 }
- role: worker
  labels: { n: w3 }
`);

describe("resolveClusterSpec", () => {
  it("gives one untainted control-plane node named after the default cluster when nothing is set", () => {
    expect(resolveClusterSpec({})).toEqual({
      name: "minicluster",
      image: undefined,
      waitMs: DEFAULT_WAIT_MS,
      apiServer: { address: "127.0.0.1", port: 0 },
      podSubnet: "10.244.0.0/16",
      serviceSubnet: "10.96.0.0/16",
      nodes: [{ name: "minicluster-control-plane", role: "control-plane", labels: {}, taints: [], extraPortMappings: [] }],
    });
  });

  it("--nodes 3: one control plane (tainted) and two workers, named kind's way", () => {
    const spec = resolveClusterSpec({ name: "dev", nodes: 3 });
    expect(brief(spec.nodes)).toEqual([
      ["dev-control-plane", "control-plane", "tainted", "{}"],
      ["dev-worker", "worker", "-", "{}"],
      ["dev-worker2", "worker", "-", "{}"],
    ]);
    expect(spec.nodes[0].taints).toEqual([TAINT]);
  });

  it("takes the name from the flag, then the file, then the default", () => {
    expect(resolveClusterSpec({ name: "flag" }, file("name: file\n")).name).toBe("flag");
    expect(resolveClusterSpec({}, file("name: file\n")).name).toBe("file");
    expect(resolveClusterSpec({}, file("")).name).toBe("minicluster");
    expect(resolveClusterSpec({ name: "flag" }, file("name: file\n")).nodes[0].name).toBe("flag-control-plane");
  });

  it("uses the file's nodes as listed, control plane first, without --nodes", () => {
    expect(brief(resolveClusterSpec({}, LABELLED).nodes)).toEqual([
      ["dev-control-plane", "control-plane", "tainted", '{"n":"cp"}'],
      ["dev-worker", "worker", "-", '{"n":"w1"}'],
      ["dev-worker2", "worker", "-", '{"n":"w2"}'],
      ["dev-worker3", "worker", "-", '{"n":"w3"}'],
    ]);
    expect(resolveClusterSpec({}, LABELLED).nodes[2].extraPortMappings).toEqual([{ containerPort: 80, hostPort: 8080, listenAddress: "127.0.0.1", protocol: "TCP" }]);
  });

  it.each<[number | string, string[]]>([
    [1, ["cp"]],
    [2, ["cp", "w1"]],
    ["3", ["cp", "w1", "w2"]],
    [4, ["cp", "w1", "w2", "w3"]],
    [6, ["cp", "w1", "w2", "w3", "", ""]],
  ])("--nodes %s keeps the file's control plane and first workers, adding plain ones", (n, labels) => {
    const spec = resolveClusterSpec({ nodes: n }, LABELLED);
    expect(spec.nodes.map((x) => x.labels.n ?? "")).toEqual(labels);
    expect(spec.nodes.map((x) => x.name)).toEqual(["dev-control-plane", ...labels.slice(1).map((_, i) => (i === 0 ? "dev-worker" : `dev-worker${i + 1}`))]);
    expect(spec.nodes[0].taints).toEqual(labels.length > 1 ? [TAINT] : []);
  });

  it("takes networking from the file and --api-server-port over it", () => {
    const cfg = file("podSubnet: 10.200.0.0/16\nserviceSubnet: 10.100.0.0/16\nnetworking:\n  apiServerPort: 6443\n  apiServerAddress: 0.0.0.0\n");
    const spec = resolveClusterSpec({}, cfg);
    expect([spec.apiServer, spec.podSubnet, spec.serviceSubnet]).toEqual([{ address: "0.0.0.0", port: 6443 }, "10.200.0.0/16", "10.100.0.0/16"]);
    expect(resolveClusterSpec({ apiServerPort: 7000 }, cfg).apiServer).toEqual({ address: "0.0.0.0", port: 7000 });
    expect(resolveClusterSpec({ apiServerPort: "0" }, cfg).apiServer.port).toBe(0);
  });

  it.each<[ClusterFlags, number | undefined, string | undefined]>([
    [{ wait: "0" }, 0, undefined],
    [{ wait: "1m30s" }, 90_000, undefined],
    [{ wait: "45" }, 45_000, undefined],
    [{ wait: 10 }, 10_000, undefined],
    [{ image: "minicluster/node:abc" }, DEFAULT_WAIT_MS, "minicluster/node:abc"],
  ])("passes %j through", (flags, waitMs, image) => {
    const spec = resolveClusterSpec(flags);
    expect(spec.waitMs).toBe(waitMs);
    expect(spec.image).toBe(image);
  });

  it("returns copies: changing the spec leaves the parsed file alone", () => {
    const spec = resolveClusterSpec({}, LABELLED);
    spec.nodes[0].labels.n = "changed";
    spec.nodes[2].extraPortMappings[0].hostPort = 1;
    spec.nodes[0].taints[0].key = "x";
    expect(resolveClusterSpec({}, LABELLED).nodes[0]).toMatchObject({ labels: { n: "cp" }, taints: [TAINT] });
    expect(resolveClusterSpec({}, LABELLED).nodes[2].extraPortMappings[0].hostPort).toBe(8080);
  });

  it.each<[string, ClusterFlags, string]>([
    ["--nodes 0", { nodes: 0 }, "--nodes must be an integer from 1 to 20 (one control plane plus N-1 workers), got 0"],
    ["--nodes 21", { nodes: 21 }, "--nodes must be an integer from 1 to 20 (one control plane plus N-1 workers), got 21"],
    ["--nodes -1", { nodes: -1 }, "got -1"],
    ["--nodes 2.5", { nodes: 2.5 }, "got 2.5"],
    ["--nodes abc (yargs: NaN)", { nodes: NaN }, "got NaN"],
    ["--nodes abc (string)", { nodes: "abc" }, 'got "abc"'],
    ["--nodes 3x", { nodes: "3x" }, 'got "3x"'],
    ["an invalid --name", { name: "My_Cluster" }, '--name: must consist of lower-case letters, digits and \'-\', start with a letter and end with a letter or digit (e.g. "dev", "ci-2"), got "My_Cluster"'],
    ["an empty --name", { name: "" }, "--name: must not be empty"],
    ["a too long --name", { name: "x".repeat(50) }, "--name: must be at most 49 characters"],
    ["a junk --wait", { wait: "soon" }, '--wait: invalid duration "soon": use a number with a unit, e.g. 30s, 1m30s, 500ms, 2m or 1h (a bare number means seconds)'],
    ["a negative --wait", { wait: "-1m" }, '--wait: invalid duration "-1m": must not be negative'],
    ["an empty --image", { image: "" }, '--image must be an image reference such as minicluster/node:abc123, got ""'],
    ["an --image with spaces", { image: "a b" }, 'got "a b"'],
    ["--api-server-port 70000", { apiServerPort: 70000 }, "--api-server-port must be an integer from 0 to 65535 (0 = any free port), got 70000"],
    ["--api-server-port x", { apiServerPort: "x" }, 'got "x"'],
  ])("rejects %s as a usage error", (_, flags, message) => {
    let err: unknown;
    try {
      resolveClusterSpec(flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect(exitCodeOf(err)).toBe(2);
  });

  it("rejects --nodes beyond the file's pod subnet", () => {
    const cfg = file("podSubnet: 10.244.0.0/23\n");
    expect(resolveClusterSpec({ nodes: 2 }, cfg).nodes).toHaveLength(2);
    expect(() => resolveClusterSpec({ nodes: 3 }, cfg)).toThrow(new UsageError("--nodes 3: podSubnet 10.244.0.0/23 (from cluster.yaml) has room for 2 nodes (a /24 each)"));
  });

  it("rejects an --api-server-port a port mapping of the file already publishes", () => {
    const cfg = file("nodes:\n- role: control-plane\n- role: worker\n  extraPortMappings:\n  - { containerPort: 80, hostPort: 8080, listenAddress: 0.0.0.0 }\n");
    expect(() => resolveClusterSpec({ apiServerPort: 8080 }, cfg)).toThrow(
      new UsageError("--api-server-port 8080: minicluster-worker already publishes 8080/TCP on 0.0.0.0 (from cluster.yaml)"),
    );
    // ... unless --nodes drops that worker
    expect(resolveClusterSpec({ apiServerPort: 8080, nodes: 1 }, cfg).apiServer.port).toBe(8080);
  });

  it("a bad file is a ConfigError (exit code 1), not a usage error", () => {
    let err: unknown;
    try {
      file("nodes:\n- role: master\n");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(exitCodeOf(err)).toBe(1);
  });
});
