// The pod network of one node, kind's "kindnet" in miniature: a bridge mc0 holding the first
// address of the node's pod CIDR, one network namespace and veth pair per pod (eth0 inside, the
// host end on the bridge), routes to every other node's pod CIDR via that node's InternalIP (the
// nodes share one Docker network, so they are L2 neighbours), and NAT for traffic that leaves
// the cluster's pod subnet. Commands are batched (`ip -batch`, `iptables-restore`) so that a pod's
// setup costs two short `ip` processes.

import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { IpAllocator } from "./ip-allocator.js";
import {
  BRIDGE,
  IPTABLES_RESTORE,
  IPTABLES_SAVE,
  ROUTE_PROTO,
  bridgeBatch,
  iptablesRestoreInput,
  podHostBatch,
  podNames,
  podNetnsBatch,
  podRange,
  routeBatch,
  type NodeRoute,
} from "./rules.js";

export interface PodNetworkResult {
  netnsPath: string;
  ip: string;
  prefixLength: number;
  gateway: string;
}

/** Runs a command with optional stdin; resolves to its stdout, rejects with its stderr. */
export type Exec = (file: string, args: string[], input?: string) => Promise<string>;

export interface PodNetworkOptions {
  nodeName: string;
  /** Default /var/lib/minicluster/network. */
  stateDir?: string;
  log?: (m: string) => void;
  /** The cluster's pod subnet; traffic to it is not masqueraded (default 10.244.0.0/16). */
  podSubnet?: string;
  /** How long setup waits for ensureNode (the node's pod CIDR) before failing (default 30 s). */
  nodeReadyTimeoutMs?: number;
  /** Where named network namespaces live (default /run/netns, as `ip netns`). */
  netnsDir?: string;
  exec?: Exec;
}

interface PodState extends PodNetworkResult {
  uid: string;
  namespace: string;
  name: string;
  cidr: string;
  hostVeth: string;
}

const defaultExec: Exec = async (file, args, input) => {
  try {
    const r = await execa(file, args, { input: input ?? "", stripFinalNewline: false });
    return r.stdout;
  } catch (err) {
    const e = err as { stderr?: string; shortMessage?: string };
    throw new Error(`${file} ${args.join(" ")}: ${(e.stderr || e.shortMessage || String(err)).trim()}`, { cause: err });
  }
};

export class PodNetwork {
  readonly nodeName: string;
  readonly stateDir: string;
  private readonly log: (m: string) => void;
  private readonly podSubnet: string;
  private readonly netnsDir: string;
  private readonly exec: Exec;
  private readonly nodeReadyTimeoutMs: number;
  /** Node-level changes (bridge, rules, routes) one at a time. */
  private nodeLock: Promise<unknown> = Promise.resolve();
  /** Per pod uid: its setup/teardown one at a time. */
  private readonly podLocks = new Map<string, Promise<unknown>>();
  private podCIDR: string | undefined;
  private allocator: IpAllocator | undefined;
  private nodeReadyWaiters: Array<() => void> = [];

  constructor(opts: PodNetworkOptions) {
    this.nodeName = opts.nodeName;
    this.stateDir = opts.stateDir ?? "/var/lib/minicluster/network";
    this.log = opts.log ?? (() => {});
    this.podSubnet = opts.podSubnet ?? "10.244.0.0/16";
    this.netnsDir = opts.netnsDir ?? "/run/netns";
    this.exec = opts.exec ?? defaultExec;
    this.nodeReadyTimeoutMs = opts.nodeReadyTimeoutMs ?? 30_000;
  }

  /** The pod CIDR ensureNode last set up, if any. */
  get nodePodCIDR(): string | undefined {
    return this.podCIDR;
  }

  /** Bridge, forwarding and NAT rules for this node's pod CIDR. Idempotent; cheap when nothing changed. */
  ensureNode(podCIDR: string): Promise<void> {
    return this.withNodeLock(async () => {
      const range = podRange(podCIDR);
      const present = existsSync(`/sys/class/net/${BRIDGE}`) ? await this.bridgeCidrs() : undefined;
      await this.exec("ip", ["-batch", "-"], bridgeBatch(range, present));
      await this.enableForwarding();
      const restore = iptablesRestoreInput(await this.exec(IPTABLES_SAVE, []), podCIDR, this.podSubnet);
      if (restore) await this.exec(IPTABLES_RESTORE, ["--noflush"], restore);
      if (this.podCIDR !== podCIDR) this.log(`pod network: bridge ${BRIDGE} ${range.gateway}/${range.prefixLength}, pod CIDR ${podCIDR}`);
      this.podCIDR = podCIDR;
      this.allocator = new IpAllocator(path.join(this.stateDir, "ipam", podCIDR.replace("/", "-")), podCIDR);
      for (const w of this.nodeReadyWaiters.splice(0)) w();
    });
  }

  /** The pod's network namespace with eth0 and an address. Idempotent: a pod set up before gets the same. */
  setup(pod: { uid: string; namespace: string; name: string }): Promise<PodNetworkResult> {
    return this.withPodLock(pod.uid, async () => {
      await this.waitNodeReady();
      const allocator = this.allocator!;
      const names = podNames(pod.uid);
      const netnsPath = path.join(this.netnsDir, names.netns);
      const prev = await this.readState(pod.uid);
      if (prev && prev.cidr === allocator.range.cidr && existsSync(netnsPath) && existsSync(`/sys/class/net/${names.hostVeth}`)) {
        return resultOf(prev);
      }
      // Leftovers of an interrupted setup, or of a container restart (/run is a tmpfs): start clean.
      await this.removeLinks(names);
      const ip = await allocator.allocate(pod.uid);
      try {
        await this.exec("ip", ["-batch", "-"], podHostBatch(names));
        await this.exec("ip", ["-n", names.netns, "-batch", "-"], podNetnsBatch(ip, allocator.range));
      } catch (err) {
        await this.removeLinks(names).catch(() => {});
        await allocator.release(pod.uid).catch(() => {});
        throw new Error(`setting up the network of pod ${pod.namespace}/${pod.name}`, { cause: err });
      }
      const state: PodState = {
        uid: pod.uid,
        namespace: pod.namespace,
        name: pod.name,
        cidr: allocator.range.cidr,
        hostVeth: names.hostVeth,
        netnsPath,
        ip,
        prefixLength: allocator.range.prefixLength,
        gateway: allocator.range.gateway,
      };
      await this.writeState(state);
      return resultOf(state);
    });
  }

  /** Removes the pod's namespace and veth and frees its address. Idempotent. */
  teardown(podUid: string): Promise<void> {
    return this.withPodLock(podUid, async () => {
      const state = await this.readState(podUid);
      await this.removeLinks(podNames(podUid));
      // Its address may come from an earlier range of this node: free it there.
      const cidrs = new Set([state?.cidr, this.allocator?.range.cidr].filter((c): c is string => !!c));
      for (const c of cidrs) await new IpAllocator(path.join(this.stateDir, "ipam", c.replace("/", "-")), c).release(podUid);
      await fs.rm(this.statePath(podUid), { force: true });
    });
  }

  /** Routes to the other nodes' pod CIDRs via their InternalIPs; removes those of nodes gone. */
  syncRoutes(nodes: Array<{ name: string; podCIDR: string; internalIP: string }>): Promise<void> {
    return this.withNodeLock(async () => {
      const wanted: NodeRoute[] = nodes
        .filter((n) => n.name !== this.nodeName && n.podCIDR && n.internalIP && n.podCIDR !== this.podCIDR)
        .map((n) => ({ dst: n.podCIDR, via: n.internalIP }));
      const shown = JSON.parse((await this.exec("ip", ["-j", "route", "show", "proto", String(ROUTE_PROTO)])) || "[]") as Array<{
        dst: string;
        gateway?: string;
      }>;
      const current = shown.map((r) => ({ dst: r.dst.includes("/") ? r.dst : `${r.dst}/32`, via: r.gateway ?? "" }));
      const batch = routeBatch(current, wanted);
      if (!batch) return;
      await this.exec("ip", ["-batch", "-"], batch);
      this.log(`pod network: routes ${wanted.map((r) => `${r.dst} via ${r.via}`).join(", ") || "none"}`);
    });
  }

  /**
   * Tears down every pod this node set up that is not in `keep` (the kubelet's pods after a
   * restart) and frees addresses held by uids not in it (a setup interrupted by a crash).
   */
  async cleanupExcept(keep: Iterable<string>): Promise<string[]> {
    const keepSet = new Set(keep);
    const gone = new Set<string>();
    for (const f of await readdirOrEmpty(path.join(this.stateDir, "pods"))) {
      if (f.endsWith(".json") && !keepSet.has(f.slice(0, -5))) gone.add(f.slice(0, -5));
    }
    if (this.allocator) for (const owner of (await this.allocator.list()).values()) if (!keepSet.has(owner)) gone.add(owner);
    for (const uid of gone) await this.teardown(uid);
    return [...gone];
  }

  // ---- helpers

  private async bridgeCidrs(): Promise<string[]> {
    const out = JSON.parse((await this.exec("ip", ["-j", "-4", "addr", "show", "dev", BRIDGE])) || "[]") as Array<{
      addr_info?: Array<{ local: string; prefixlen: number }>;
    }>;
    return (out[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  private async enableForwarding(): Promise<void> {
    const file = "/proc/sys/net/ipv4/ip_forward";
    if ((await fs.readFile(file, "utf8")).trim() !== "1") await this.exec("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
    // Bridged pod-to-pod traffic must pass iptables too, or a service's DNAT to a pod on the same
    // bridge is never undone on the reply. The sysctl exists only with br_netfilter loaded (the
    // node cannot load it): without it, go on.
    const bridgeNf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    const now = await fs.readFile(bridgeNf, "utf8").catch(() => undefined);
    if (now !== undefined && now.trim() !== "1") await this.exec("sysctl", ["-q", "-w", "net.bridge.bridge-nf-call-iptables=1"]);
  }

  /** Deleting the host end of the veth deletes the pair at once; the namespace goes after it. */
  private async removeLinks(names: { netns: string; hostVeth: string }): Promise<void> {
    const lines: string[] = [];
    if (existsSync(`/sys/class/net/${names.hostVeth}`)) lines.push(`link del ${names.hostVeth}`);
    if (existsSync(path.join(this.netnsDir, names.netns))) lines.push(`netns del ${names.netns}`);
    if (lines.length) await this.exec("ip", ["-batch", "-"], lines.join("\n") + "\n");
  }

  private waitNodeReady(): Promise<void> {
    if (this.allocator) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.nodeReadyWaiters = this.nodeReadyWaiters.filter((w) => w !== done);
        reject(new Error(`the pod network of node ${this.nodeName} is not ready: it has no pod CIDR yet`));
      }, this.nodeReadyTimeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.nodeReadyWaiters.push(done);
    });
  }

  private statePath(uid: string): string {
    return path.join(this.stateDir, "pods", `${uid}.json`);
  }

  private async readState(uid: string): Promise<PodState | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.statePath(uid), "utf8")) as PodState;
    } catch {
      return undefined;
    }
  }

  private async writeState(state: PodState): Promise<void> {
    const file = this.statePath(state.uid);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(`${file}.tmp`, JSON.stringify(state));
    await fs.rename(`${file}.tmp`, file);
  }

  private withNodeLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.nodeLock.then(fn, fn);
    this.nodeLock = run.catch(() => {});
    return run;
  }

  private withPodLock<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.podLocks.get(uid) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.podLocks.set(uid, tail);
    void tail.then(() => {
      if (this.podLocks.get(uid) === tail) this.podLocks.delete(uid);
    });
    return run;
  }
}

function resultOf(s: PodNetworkResult): PodNetworkResult {
  return { netnsPath: s.netnsPath, ip: s.ip, prefixLength: s.prefixLength, gateway: s.gateway };
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}
