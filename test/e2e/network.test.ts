// The pod network for real: a 2-node cluster from dist/minicluster, Node IPAM giving each node a
// pod CIDR, and PodNetwork driven from a helper container beside each node (sharing the node's
// network namespace and its /var volume, with this repo and the host's node binary mounted) —
// netns "pods" without containers: TCP between pods on different nodes keeps the pod IPs, and
// traffic to outside the pod subnet leaves masqueraded as the node.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO, docker, dockerExec, e2eEnv, eventually } from "../test-utils/e2e.js";
import { macForIP } from "../../src/kubelet/network/rules.js";

const env = e2eEnv("network");
const NAME = "e2e-net";
const NODES = [`${NAME}-control-plane`, `${NAME}-worker`];
const helper = (node: string) => `mctest-net-${node}`;

interface NodeObj {
  metadata: { name: string };
  spec: { podCIDR?: string; podCIDRs?: string[] };
  status: { addresses: Array<{ type: string; address: string }> };
}

const cidrOf: Record<string, string> = {};

/** Runs the fixture script in a node's helper container; fails on a non-zero exit. */
function fixture(node: string, ...args: string[]): Promise<string> {
  const vars = { NODE_NAME: node, POD_CIDR: cidrOf[node] ?? "" };
  return dockerExec(helper(node), ["node", "--import", "tsx", "test/e2e/fixtures/pod-network.ts", ...args], { workdir: REPO, env: vars });
}

/** Runs a shell line in a node's helper container; fails on a non-zero exit. */
const sh = (node: string, script: string): Promise<string> => dockerExec(helper(node), script);

async function nodes(): Promise<NodeObj[]> {
  const r = await env.kubectl(NAME, ["get", "nodes", "-o", "json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { items: NodeObj[] }).items;
}

async function removeHelpers(): Promise<void> {
  for (const n of NODES) await docker.getContainer(helper(n)).remove({ force: true }).catch(() => {});
}

beforeAll(async () => {
  await removeHelpers();
  await env.mc(["delete", "--name", NAME]);
  const r = await env.mc(["create", "--name", NAME, "--nodes", "2"]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
});

afterAll(async () => {
  await removeHelpers();
  await env.mc(["delete", "--name", NAME]);
});

describe("pod network", () => {
  test("every node gets its own /24 of the pod subnet", async () => {
    expect(await eventually(async () => (await nodes()).every((n) => n.spec.podCIDR), 20_000)).toBe(true);
    const ns = await nodes();
    const cidrs = ns.map((n) => n.spec.podCIDR!).sort();
    expect(cidrs).toEqual(["10.244.0.0/24", "10.244.1.0/24"]);
    for (const n of ns) {
      expect(n.spec.podCIDRs).toEqual([n.spec.podCIDR]);
      cidrOf[n.metadata.name] = n.spec.podCIDR!;
    }
  });

  test("pods on different nodes reach each other by IP, and the outside through NAT", async () => {
    // Helpers: the node's image and security settings, its network namespace and volume.
    const kubeconfig = await env.mc(["get", "kubeconfig", "--name", NAME, "--internal"]);
    expect(kubeconfig.code).toBe(0);
    for (const n of NODES) {
      const info = await docker.getContainer(n).inspect();
      const c = await docker.createContainer({
        name: helper(n),
        Image: info.Config.Image,
        Entrypoint: ["sleep", "infinity"],
        Labels: { "io.minicluster.test": "network" },
        HostConfig: {
          NetworkMode: `container:${n}`,
          VolumesFrom: [n],
          Privileged: info.HostConfig.Privileged,
          CapAdd: info.HostConfig.CapAdd ?? undefined,
          CapDrop: info.HostConfig.CapDrop ?? undefined,
          SecurityOpt: info.HostConfig.SecurityOpt ?? undefined,
          Tmpfs: { "/run": "rw,exec", "/tmp": "rw,exec" },
          Binds: [`${REPO}:${REPO}:ro`, `${process.execPath}:/usr/local/bin/node:ro`],
        },
      });
      await c.start();
      await dockerExec(helper(n), "cat > /tmp/kubeconfig", { input: kubeconfig.stdout });
    }

    // The kubelet's watcher: bridge for the node's own CIDR, routes to the other node's.
    for (const n of NODES) expect(JSON.parse(await fixture(n, "watch", "/tmp/kubeconfig", n))).toEqual({ podCIDR: cidrOf[n] });
    const ns = await nodes();
    const ipOf = (name: string) => ns.find((x) => x.metadata.name === name)!.status.addresses.find((a) => a.type === "InternalIP")!.address;
    const [cp, worker] = NODES as [string, string];
    expect(await sh(cp, "ip route show proto 147")).toContain(`${cidrOf[worker]} via ${ipOf(worker)}`);
    expect(await sh(worker, "ip route show proto 147")).toContain(`${cidrOf[cp]} via ${ipOf(cp)}`);
    expect(await sh(cp, "ip -4 addr show mc0")).toContain(`${cidrOf[cp]!.replace(/0\/24$/, "1")}/24`);

    const a = JSON.parse(await fixture(cp, "setup", "pod-a-uid", "pod-a")) as { result: { ip: string; gateway: string; netnsPath: string }; ms: number };
    const b = JSON.parse(await fixture(worker, "setup", "pod-b-uid", "pod-b")) as typeof a;
    console.log(`pod network setup (fresh process): ${a.ms.toFixed(1)} ms, ${b.ms.toFixed(1)} ms`);
    // Which node gets which /24 depends on the order they register in.
    const prefix = (node: string) => cidrOf[node]!.replace(/0\/24$/, "");
    expect(a.result.ip.startsWith(prefix(cp))).toBe(true);
    expect(a.result.gateway).toBe(`${prefix(cp)}1`);
    expect(b.result.ip.startsWith(prefix(worker))).toBe(true);
    expect(await sh(cp, `ip netns exec ${a.result.netnsPath.split("/").pop()} ip -4 -o addr show eth0`)).toContain(`${a.result.ip}/24`);
    // The MAC follows the address, so one used again by a new pod does not meet stale ARP entries.
    expect(await sh(cp, `ip netns exec ${a.result.netnsPath.split("/").pop()} ip -o link show eth0`)).toContain(`link/ether ${macForIP(a.result.ip)} `);

    // Setup is idempotent: the same pod keeps its address.
    expect((JSON.parse(await fixture(cp, "setup", "pod-a-uid", "pod-a")) as typeof a).result.ip).toBe(a.result.ip);

    // Pod to pod across nodes, both ways: the server sees the client pod's own address.
    await fixture(cp, "serve", "pod-a-uid", "8080");
    await fixture(worker, "serve", "pod-b-uid", "8080");
    const peer = (answer: string) => answer.trim().replace(/^::ffff:/, "");
    expect(peer(await fixture(cp, "connect", "pod-a-uid", b.result.ip, "8080"))).toBe(a.result.ip);
    expect(peer(await fixture(worker, "connect", "pod-b-uid", a.result.ip, "8080"))).toBe(b.result.ip);

    // Out of the cluster (the Docker network's gateway, i.e. this host): masqueraded as the node.
    const server = net.createServer((s) => s.end(`${s.remoteAddress}\n`));
    await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const netInfo = await docker.getNetwork(`minicluster-${NAME}`).inspect();
      const gateway = (netInfo as { IPAM: { Config: Array<{ Gateway?: string }> } }).IPAM.Config.find((c) => c.Gateway?.includes("."))!.Gateway!;
      expect(peer(await fixture(worker, "connect", "pod-b-uid", gateway, String(port)))).toBe(ipOf(worker));
    } finally {
      server.close();
    }

    // Node setup again changes nothing: one jump into each of our chains.
    await fixture(cp, "ensure", cidrOf[cp]!);
    const saved = await sh(cp, "iptables-nft-save");
    expect(saved.split("\n").filter((l) => l === "-A POSTROUTING -j MINICLUSTER-POSTROUTING")).toHaveLength(1);
    expect(saved.split("\n").filter((l) => l === "-A FORWARD -j MINICLUSTER-FORWARD")).toHaveLength(1);

    // Teardown removes the namespace and the veth and frees the address; twice is fine.
    await fixture(cp, "teardown", "pod-a-uid");
    await fixture(cp, "teardown", "pod-a-uid");
    expect(await sh(cp, "ls /run/netns")).not.toContain(a.result.netnsPath.split("/").pop());
    expect(await sh(cp, `ls /var/lib/minicluster/network/ipam/${cidrOf[cp]!.replace("/", "-")}`)).not.toContain(a.result.ip);

    // Timings of many setups in one process (as in the kubelet).
    const bench = JSON.parse(await fixture(worker, "bench", "20")) as { setup: number[]; teardown: number[] };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    console.log(`pod network, 20 pods: setup median ${median(bench.setup).toFixed(1)} ms (max ${Math.max(...bench.setup).toFixed(1)}), teardown median ${median(bench.teardown).toFixed(1)} ms`);
    // Only pod-b is left on the worker; a restarted kubelet removes pods it no longer has.
    expect((await sh(worker, "ls /run/netns")).trim().split("\n")).toHaveLength(1);
    await fixture(worker, "setup", "orphan-uid", "orphan");
    expect(JSON.parse(await fixture(worker, "cleanup", "pod-b-uid"))).toEqual(["orphan-uid"]);
    expect((await sh(worker, "ls /run/netns")).trim().split("\n")).toHaveLength(1);
    const c = JSON.parse(await fixture(cp, "setup", "pod-c-uid", "pod-c")) as typeof a;
    expect(peer(await fixture(cp, "connect", "pod-c-uid", b.result.ip, "8080"))).toBe(c.result.ip);
  });
});
