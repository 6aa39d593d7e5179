// Node IPAM: gives every Node a spec.podCIDR (and podCIDRs) from the cluster's pod subnet, one
// node range each, lowest free first, so nodes get 10.244.0.0/24, 10.244.1.0/24, ... in the order
// they register. The assignment lives in the Node itself, so a restarted control plane learns
// what is held from its first store listing (which the store watch delivers before anything is
// reconciled) and never hands a held range out again; a deleted node's range becomes free.

import type { Node } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";
import { DEFAULT_NODE_MASK_SIZE, DEFAULT_POD_SUBNET, nextFreeCidr, podCidrPlan, type PodCidrPlan } from "./allocate.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:node-controller", groups: ["system:masters"], userAgent: "node-ipam-controller" };

export interface NodeIpamOptions {
  /** The cluster's pod subnet (default 10.244.0.0/16). */
  podSubnet?: string;
  /** Size of each node's range (default /24). */
  nodeMaskSize?: number;
}

export class NodeIpamController {
  readonly queue: WorkQueue;
  /** Undefined when the pod subnet is unusable (logged once; the CLI checks it before this runs). */
  private readonly plan: PodCidrPlan | undefined;
  private readonly nodeDef = RESOURCES.find((r) => r.kind === "Node" && r.group === "")!;
  /** Node name -> the CIDRs its stored object holds. */
  private readonly held = new Map<string, string[]>();
  /** Node name -> the CIDR being written to it right now. */
  private readonly reserved = new Map<string, string>();
  /** Nodes without a range: retried when a deleted node frees one. */
  private readonly unassigned = new Set<string>();
  private exhaustedLogged = false;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: NodeIpamOptions = {},
  ) {
    try {
      this.plan = podCidrPlan(opts.podSubnet ?? DEFAULT_POD_SUBNET, opts.nodeMaskSize ?? DEFAULT_NODE_MASK_SIZE);
    } catch (err) {
      log(`node ipam: off, ${err instanceof Error ? err.message : String(err)}`);
    }
    this.queue = new WorkQueue((name) => this.reconcile(name), { onError: (k, e) => log(`node ipam ${k}: ${String(e)}`) });
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    const r = ev.resource;
    if (!this.plan || r.kind !== "Node" || r.group !== "") return;
    const name = ev.object.metadata?.name ?? "";
    if (ev.type === "DELETED") {
      this.unassigned.delete(name);
      if (this.held.delete(name)) for (const n of this.unassigned) this.queue.add(n);
      return;
    }
    const cidrs = podCidrsOf(ev.object as Node);
    if (cidrs.length) {
      this.held.set(name, cidrs);
      this.unassigned.delete(name);
    } else {
      this.held.delete(name);
      this.unassigned.add(name);
      if (!ev.object.metadata?.deletionTimestamp) this.queue.add(name);
    }
  }

  async reconcile(name: string): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    const node = (await this.registry.tryGet(this.nodeDef, "", name)) as Node | undefined;
    if (!node || node.metadata?.deletionTimestamp) return;
    const own = podCidrsOf(node);
    if (own.length) {
      this.held.set(name, own);
      return;
    }
    const taken: string[] = [];
    for (const [n, cidrs] of this.held) if (n !== name) taken.push(...cidrs);
    for (const [n, cidr] of this.reserved) if (n !== name) taken.push(cidr);
    const cidr = nextFreeCidr(plan, taken);
    if (!cidr) {
      // Kubernetes records CIDRNotAvailable; a log line is enough here. The node is retried when
      // another node is deleted (see onEvent).
      if (!this.exhaustedLogged) this.log(`node ipam: no free /${plan.nodeMaskSize} left in the pod subnet for node ${name}`);
      this.exhaustedLogged = true;
      return;
    }
    this.exhaustedLogged = false;
    this.reserved.set(name, cidr);
    try {
      const updated = (await this.registry.update(
        this.nodeDef,
        "",
        name,
        (cur: KubeObject) => {
          const spec = (cur.spec ??= {}) as { podCIDR?: string; podCIDRs?: string[] };
          if (spec.podCIDR || spec.podCIDRs?.length) return cur; // someone else was first
          spec.podCIDR = cidr;
          spec.podCIDRs = [cidr];
          return cur;
        },
        CALLER,
      )) as Node;
      const got = podCidrsOf(updated);
      this.held.set(name, got);
      if (got[0] === cidr) this.log(`node ${name}: assigned pod CIDR ${cidr}`);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    } finally {
      this.reserved.delete(name);
    }
  }
}

function podCidrsOf(node: Node): string[] {
  const spec = node.spec ?? {};
  if (spec.podCIDRs?.length) return [...spec.podCIDRs];
  return spec.podCIDR ? [spec.podCIDR] : [];
}
