// Keeps a node's pod network in step with the Node objects: the bridge once the node has a pod
// CIDR (ensureNode), and routes to every other node's pod CIDR via its InternalIP (syncRoutes) —
// again whenever a node joins, leaves, gets its CIDR or changes address (a Docker engine restart
// hands out new IPs). Lists, then watches from that version; relists when the watch expires.
// Changes are coalesced: one sync runs at a time, and a failed one is retried.

import type { Node } from "kubernetes-types/core/v1.js";
import { isGone } from "../../client/api-error.js";
import type { ResourceRef } from "../../client/paths.js";
import type { RestClient } from "../../client/rest.js";
import type { PodNetwork } from "./pod-network.js";
import { sleep } from "../sleep.js";
import { SerialTask } from "../../client/serial-task.js";
import { errorChain } from "../../common/error-chain.js";

const NODES: ResourceRef = { group: "", version: "v1", plural: "nodes", namespaced: false };

export interface NodeRoutesWatcherOptions {
  client: RestClient;
  nodeName: string;
  network: Pick<PodNetwork, "ensureNode" | "syncRoutes">;
  log?: (m: string) => void;
  /** Delay before retrying a failed sync or watch (default 1 s). */
  retryMs?: number;
  /** Everything is applied again this often, repairing what someone else changed (default 60 s). */
  resyncMs?: number;
}

export interface NodeRouteInfo {
  name: string;
  podCIDR: string;
  internalIP: string;
}

/** What syncRoutes needs from a Node ("" for what it lacks). */
export function nodeRouteInfo(node: Node): NodeRouteInfo {
  return {
    name: node.metadata?.name ?? "",
    podCIDR: node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0] ?? "",
    internalIP: node.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "",
  };
}

export class NodeRoutesWatcher {
  private readonly nodes = new Map<string, NodeRouteInfo>();
  private readonly abort = new AbortController();
  private readonly log: (m: string) => void;
  private readonly retryMs: number;
  private running: Promise<void> | undefined;
  private readonly syncs = new SerialTask(() => this.sync());
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private ensuredCIDR: string | undefined;
  private everEnsured: string | undefined;
  private lastError: string | undefined;
  private podCIDRWaiters: Array<(cidr: string) => void> = [];

  constructor(private readonly opts: NodeRoutesWatcherOptions) {
    this.log = opts.log ?? (() => {});
    this.retryMs = opts.retryMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = this.loop();
    this.resyncTimer = setInterval(() => {
      this.ensuredCIDR = undefined; // ensureNode again (it changes nothing when all is in place)
      this.changed();
    }, this.opts.resyncMs ?? 60_000);
    this.resyncTimer.unref?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.running;
    await this.syncs.current;
  }

  /** This node's pod CIDR once the bridge for it is up. */
  podCIDR(): Promise<string> {
    if (this.everEnsured) return Promise.resolve(this.everEnsured);
    return new Promise((resolve) => this.podCIDRWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const list = await this.opts.client.list<Node>(NODES, { signal });
          this.nodes.clear();
          for (const n of list.items) this.nodes.set(n.metadata!.name!, nodeRouteInfo(n));
          rv = list.metadata.resourceVersion;
          this.changed();
        }
        for await (const ev of this.opts.client.watch<Node>(NODES, { resourceVersion: rv, allowWatchBookmarks: true, signal })) {
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === "BOOKMARK") continue;
          const info = nodeRouteInfo(ev.object);
          const before = this.nodes.get(info.name);
          if (ev.type === "DELETED") this.nodes.delete(info.name);
          else this.nodes.set(info.name, info);
          if (ev.type === "DELETED" || before?.podCIDR !== info.podCIDR || before?.internalIP !== info.internalIP) this.changed();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          rv = undefined;
          continue;
        }
        this.report(`watching nodes: ${err instanceof Error ? err.message : String(err)}`);
        rv = undefined;
        await sleep(this.retryMs, signal);
      }
    }
  }

  /** Runs a sync now, or after the one in progress. */
  private changed(): void {
    if (this.abort.signal.aborted) return;
    this.syncs.request();
  }

  private async sync(): Promise<void> {
    const all = [...this.nodes.values()];
    try {
      const own = this.nodes.get(this.opts.nodeName);
      if (own?.podCIDR && own.podCIDR !== this.ensuredCIDR) {
        await this.opts.network.ensureNode(own.podCIDR);
        this.ensuredCIDR = own.podCIDR;
        this.everEnsured = own.podCIDR;
        for (const w of this.podCIDRWaiters.splice(0)) w(own.podCIDR);
      }
      await this.opts.network.syncRoutes(all.filter((n) => n.podCIDR && n.internalIP));
      if (this.lastError) this.log("pod network: in step with the nodes again");
      this.lastError = undefined;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      this.report(`pod network: ${errorChain(err)} (retrying)`);
      this.retryTimer = setTimeout(() => this.changed(), this.retryMs);
      this.retryTimer.unref?.();
    }
  }

  private report(msg: string): void {
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.log(msg);
  }
}

