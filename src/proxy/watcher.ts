// The service proxy of one node: keeps every Service and EndpointSlice (discovery.k8s.io/v1) from a
// list and a watch each (relisting when a watch expires), and re-syncs the rules shortly after a
// change. Changes are coalesced: a sync starts `debounceMs` after the first change of a burst (so a
// rollout touching many slices costs one iptables-restore), one sync runs at a time, a failed one
// is retried, and everything is re-read from the kernel and rewritten every `resyncMs`.

import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { isGone } from "../client/api-error.js";
import type { ResourceRef } from "../client/paths.js";
import type { Obj, RestClient } from "../client/rest.js";
import { sleep } from "../kubelet/sleep.js";
import type { ApplyResult, IptablesApplier } from "./applier.js";
import { desiredRules, type DesiredRules, type ProxyConfig } from "./rules.js";
import { SerialTask } from "../client/serial-task.js";
import { errorChain } from "../common/error-chain.js";
import { staleUdpFlows, type ConntrackCleaner, type UdpServicePort } from "./conntrack.js";

const SERVICES: ResourceRef = { group: "", version: "v1", plural: "services", namespaced: true };
const SLICES: ResourceRef = { group: "discovery.k8s.io", version: "v1", plural: "endpointslices", namespaced: true };

export interface ServiceProxyOptions extends ProxyConfig {
  client: RestClient;
  applier: Pick<IptablesApplier, "apply">;
  /** Deletes UDP conntrack entries the new rules would not make (none when omitted). */
  conntrack?: Pick<ConntrackCleaner, "delete">;
  log?: (m: string) => void;
  /** Wait after a change before syncing, gathering a burst (default 100 ms). */
  debounceMs?: number;
  /** Delay before retrying a failed sync or watch (default 1 s). */
  retryMs?: number;
  /** Full re-read and rewrite this often (default 60 s). */
  resyncMs?: number;
  /**
   * One extra full re-read this long after the first sync (default 5 s): at a node's start the pod
   * network installs its own FORWARD jump at the same time, and if it read the chain just before
   * our first restore, its ACCEPT may land ahead of our REJECTs until the next resync.
   */
  settleResyncMs?: number;
  /** Called after every sync (tests, metrics). */
  onSync?: (r: { result: ApplyResult; rules: DesiredRules; ms: number }) => void;
}

export class ServiceProxy {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly abort = new AbortController();
  private readonly log: (m: string) => void;
  private readonly debounceMs: number;
  private readonly retryMs: number;
  private loops: Promise<void>[] = [];
  private synced = { services: false, slices: false };
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly syncs = new SerialTask(() => this.sync());
  private force = false;
  private lastError: string | undefined;
  /** The UDP service ports of the last applied rules (undefined before the first sync). */
  private udp: UdpServicePort[] | undefined;
  private readyResolve!: () => void;
  /** Resolves after the first successful sync. */
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));

  constructor(private readonly opts: ServiceProxyOptions) {
    this.log = opts.log ?? (() => {});
    this.debounceMs = opts.debounceMs ?? 100;
    this.retryMs = opts.retryMs ?? 1000;
  }

  start(): void {
    if (this.loops.length) return;
    this.loops = [
      this.watchLoop<Service>(SERVICES, this.services, () => (this.synced.services = true)),
      this.watchLoop<EndpointSlice>(SLICES, this.slices, () => (this.synced.slices = true)),
    ];
    this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs ?? 60_000);
    this.resyncTimer.unref?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await Promise.all(this.loops);
    await this.syncs.current;
  }

  private async watchLoop<T extends Obj>(r: ResourceRef, into: Map<string, T>, listed: () => void): Promise<void> {
    const signal = this.abort.signal;
    const key = (o: T) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const list = await this.opts.client.list<T>(r, { signal });
          into.clear();
          for (const o of list.items) into.set(key(o), o);
          rv = list.metadata.resourceVersion;
          listed();
          this.schedule(0);
        }
        for await (const ev of this.opts.client.watch<T>(r, { resourceVersion: rv, allowWatchBookmarks: true, signal })) {
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === "BOOKMARK") continue;
          if (ev.type === "DELETED") into.delete(key(ev.object));
          else into.set(key(ev.object), ev.object);
          this.schedule(this.debounceMs);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          rv = undefined;
          continue;
        }
        this.report(`service proxy: watching ${r.plural}: ${errorChain(err)}`);
        rv = undefined;
        await sleep(this.retryMs, signal);
      }
    }
  }

  /** A sync now that reads the kernel again and rewrites our rules even if unchanged. */
  private resync(): void {
    this.force = true;
    this.schedule(0);
  }

  /** A sync within `ms` (an earlier scheduled one stands). */
  private schedule(ms: number): void {
    if (this.abort.signal.aborted || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncs.request();
    }, ms);
    this.timer.unref?.();
  }

  private async sync(): Promise<void> {
    // Until both lists are in, a sync would drop the rules of every service whose slices are not seen yet.
    if (!this.synced.services || !this.synced.slices) return;
    const force = this.force;
    this.force = false;
    const t0 = performance.now();
    try {
      const rules = desiredRules(this.services.values(), this.slices.values(), this.opts);
      const result = await this.opts.applier.apply(rules, { force });
      // After the rules: a packet of a deleted flow must meet the new ones.
      const stale = staleUdpFlows(this.udp, rules.udp);
      this.udp = rules.udp;
      if (stale.length && this.opts.conntrack) {
        await this.opts.conntrack.delete(stale).catch((err: unknown) => this.log(`service proxy: clearing UDP conntrack entries: ${errorChain(err)}`));
      }
      if (this.lastError) this.log("service proxy: rules in step again");
      this.lastError = undefined;
      this.opts.onSync?.({ result, rules, ms: performance.now() - t0 });
      if (!this.settleTimer) {
        this.settleTimer = setTimeout(() => this.resync(), this.opts.settleResyncMs ?? 5000);
        this.settleTimer.unref?.();
      }
      this.readyResolve();
    } catch (err) {
      if (this.abort.signal.aborted) return;
      this.force = true;
      this.report(`service proxy: applying rules: ${errorChain(err)} (retrying)`);
      const t = setTimeout(() => this.syncs.request(), this.retryMs);
      t.unref?.();
    }
  }

  private report(msg: string): void {
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.log(msg);
  }
}

