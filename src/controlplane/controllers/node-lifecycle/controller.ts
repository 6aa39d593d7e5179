// Node lifecycle: watches node Leases (kube-node-lease) and Nodes, remembers when it last saw each
// kubelet alive by its own clock (as Kubernetes does, so clock skew between machines does not
// matter), and every monitor period applies decideNodeHealth to every node: Unknown conditions and
// the unreachable taint for silent nodes, the taint removed when the node is Ready again.
// After a control-plane restart every node gets a fresh grace period.

import type { Node } from "kubernetes-types/core/v1.js";
import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";
import { DEFAULT_GRACE_PERIOD_MS, decideNodeHealth } from "./decide.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:node-controller", groups: ["system:masters"], userAgent: "node-lifecycle-controller" };
const NODE_LEASE_NAMESPACE = "kube-node-lease";

export interface NodeLifecycleOptions {
  /** How long a node may stay silent before it is marked Unknown (default 40 s). */
  gracePeriodMs?: number;
  /** How often every node is checked (default 5 s, as --node-monitor-period). */
  monitorPeriodMs?: number;
  clock?: () => Date;
}

interface Probe {
  /** The last lease renewTime and Ready heartbeat seen; a change of either is a sign of life. */
  renewTime?: string;
  heartbeat?: string;
  atMs: number;
}

export class NodeLifecycleController {
  readonly queue: WorkQueue;
  private readonly probes = new Map<string, Probe>();
  private readonly nodeDef = RESOURCES.find((r) => r.kind === "Node" && r.group === "")!;
  private readonly clock: () => Date;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void = () => {},
    opts: NodeLifecycleOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.gracePeriodMs = opts.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 5_000;
    this.queue = new WorkQueue((name) => this.reconcile(name), { onError: (k, e) => log(`node lifecycle ${k}: ${String(e)}`) });
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const name of this.probes.keys()) this.queue.add(name);
    }, this.monitorPeriodMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    const r = ev.resource;
    if (r.kind === "Node" && r.group === "") {
      const name = ev.object.metadata?.name ?? "";
      if (ev.type === "DELETED") {
        this.probes.delete(name);
        return;
      }
      const ready = ((ev.object as Node).status?.conditions ?? []).find((c) => c.type === "Ready");
      // Only a kubelet's post is a sign of life; Unknown is what this controller itself writes.
      this.sawAlive(name, ready && ready.status !== "Unknown" ? { heartbeat: ready.lastHeartbeatTime } : {});
      this.queue.add(name);
    } else if (r.kind === "Lease" && r.group === "coordination.k8s.io" && ev.object.metadata?.namespace === NODE_LEASE_NAMESPACE) {
      if (ev.type === "DELETED") return;
      const name = ev.object.metadata?.name ?? "";
      this.sawAlive(name, { renewTime: (ev.object.spec as { renewTime?: string } | undefined)?.renewTime });
      this.queue.add(name);
    }
  }

  private sawAlive(name: string, seen: { renewTime?: string; heartbeat?: string }): void {
    const now = this.clock().getTime();
    const p = this.probes.get(name);
    if (!p) {
      this.probes.set(name, { ...seen, atMs: now });
      return;
    }
    if (seen.renewTime !== undefined && seen.renewTime !== p.renewTime) {
      p.renewTime = seen.renewTime;
      p.atMs = now;
    }
    if (seen.heartbeat !== undefined && seen.heartbeat !== p.heartbeat) {
      p.heartbeat = seen.heartbeat;
      p.atMs = now;
    }
  }

  async reconcile(name: string): Promise<void> {
    const probe = this.probes.get(name);
    if (!probe) return; // a lease whose node was never seen, or a deleted node
    const node = (await this.registry.tryGet(this.nodeDef, "", name)) as Node | undefined;
    if (!node) return;
    const decide = (n: Node) => decideNodeHealth({ node: n, lastProbeMs: probe.atMs, now: this.clock(), gracePeriodMs: this.gracePeriodMs });
    const first = decide(node);
    try {
      if (first.conditions) {
        await this.registry.update(
          this.nodeDef,
          "",
          name,
          (cur: KubeObject) => {
            const d = decide(cur as Node);
            if (d.conditions) cur.status = { ...(cur.status as object), conditions: d.conditions };
            return cur;
          },
          CALLER,
          { subresource: "status" },
        );
        this.log(`node ${name}: no sign of its kubelet for more than ${Math.round(this.gracePeriodMs / 1000)} s, conditions set to Unknown`);
      }
      if (first.taints || first.conditions) {
        let taints: string | undefined;
        await this.registry.update(
          this.nodeDef,
          "",
          name,
          (cur: KubeObject) => {
            const d = decide(cur as Node);
            if (d.taints) {
              taints = d.taints.map((t) => `${t.key}:${t.effect}`).join(", ") || "none";
              const spec = (cur.spec ??= {}) as { taints?: unknown[] };
              if (d.taints.length) spec.taints = d.taints;
              else delete spec.taints;
            }
            return cur;
          },
          CALLER,
        );
        if (taints !== undefined) this.log(`node ${name}: taints now ${taints}`);
      }
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }
}
