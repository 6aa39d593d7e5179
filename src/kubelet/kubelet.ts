// The kubelet's node part: registers the Node, renews its Lease every 10 s, and posts the node's
// status when it changes and at least every 5 minutes (the real kubelet's
// nodeStatusReportFrequency), checking every 10 s (nodeStatusUpdateFrequency). Until the API
// server answers (a worker may start before the control plane), it retries with back-off and logs
// one line per change of state, not one per attempt. With `pods`, a PodManager (pods/) runs the
// pods bound to this node as runc containers.

import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { SERVER_VERSION } from "../controlplane/apiserver/version.js";
import { ApiError, isAlreadyExists, isConflict, isNotFound } from "../client/api-error.js";
import type { ResourceRef } from "../client/paths.js";
import { RestClient, TransportError, type RestClientOptions } from "../client/rest.js";
import { collectHostInfo, type HostInfo } from "./host-info.js";
import { LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE, renewedLease, type NodeRef } from "./lease.js";
import { desiredStatus, newNode, reconcileExistingNode, statusChanged, type NodeIdentity, type Versions } from "./node-status.js";
import { PodManager, type PodLocator, type PodManagerOptions } from "./pods/manager.js";
import { nodeRuntimeDeps } from "./pods/real-deps.js";
import { startKubeletServer, type KubeletServer } from "./server/index.js";
import { kubeletServingTls } from "./server/tls.js";
import type { PodRuntimeDeps } from "./pods/deps.js";
import { sleep } from "./sleep.js";

export const NODES: ResourceRef = { group: "", version: "v1", plural: "nodes", namespaced: false };
export const LEASES: ResourceRef = { group: "coordination.k8s.io", version: "v1", plural: "leases", namespaced: true };

export interface KubeletOptions extends NodeIdentity {
  /** The API server: a client (left open on stop) or the credentials to make one (closed on stop). */
  api: RestClient | RestClientOptions;
  /** Where node state lives (its filesystem is the ephemeral-storage capacity). */
  stateDir?: string;
  log?: (msg: string) => void;
  /** Injectable clock and host facts, for tests. */
  now?: () => Date;
  hostInfo?: () => Promise<HostInfo>;
  versions?: Versions;
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** How often the status is compared with the server's (default 10 s). */
  statusUpdateIntervalMs?: number;
  /** Post at least this often even when nothing changed (default 5 min). */
  statusReportIntervalMs?: number;
  /** Back-off between attempts while the API server fails (default 100 ms doubling to 2 s). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Run pods (runc containers); absent: the node part only (registration, status, lease). */
  pods?: KubeletPodsOptions;
}

export interface KubeletPodsOptions extends Partial<Pick<PodManagerOptions, "runDir" | "logDir" | "podsDir" | "runcRoot" | "runcBinary" | "backoff">> {
  /** The runtime modules (default: the node's real ones, from stateDir). */
  deps?: PodRuntimeDeps;
  /** The cluster's pod subnet (default 10.244.0.0/16). */
  podSubnet?: string;
  /** Cluster DNS service IPs written into ClusterFirst pods' resolv.conf (the kubelet's --cluster-dns). */
  clusterDNS?: string[];
  /** The kubelet's HTTPS API (logs, exec, attach, port-forward): clients must present a certificate of this CA. */
  server?: { clientCa: string; port?: number; host?: string };
}

export interface Kubelet {
  /** Resolves once the Node is registered (Ready) and its Lease exists. */
  ready: Promise<void>;
  /** The pods this kubelet runs (with `pods` in the options): what the streaming server looks up. */
  pods?: PodLocator;
  stop(): Promise<void>;
}

export function startKubelet(opts: KubeletOptions): Kubelet {
  const k = new KubeletRunner(opts);
  return { ready: k.ready, ...(k.pods ? { pods: k.pods } : {}), stop: () => k.stop() };
}

const DEFAULT_VERSIONS: Versions = { kubeletVersion: SERVER_VERSION.gitVersion, kubeProxyVersion: SERVER_VERSION.gitVersion };

/** What distinguishes one failure state from another, so a retry with the same error stays quiet. */
function failureKey(err: unknown): string {
  if (err instanceof TransportError) return `transport ${err.code ?? err.message}`;
  if (err instanceof ApiError) return `api ${err.code} ${err.reason}`;
  return err instanceof Error ? err.message : String(err);
}

class KubeletRunner {
  readonly ready: Promise<void>;
  private readonly api: RestClient;
  private readonly ownsClient: boolean;
  private readonly log: (msg: string) => void;
  private readonly now: () => Date;
  private readonly abort = new AbortController();
  private readonly versions: Versions;
  private readonly done: Promise<void>;
  private host!: HostInfo;
  private node: NodeRef | undefined;
  private lease: Lease | undefined;
  private lastPostMs = 0;
  /** The current failure (failureKey), or undefined while the API answers. */
  private failing: string | undefined;
  private resolveReady!: () => void;
  private rejectReady!: (err: unknown) => void;
  readonly pods: PodManager | undefined;

  constructor(private readonly opts: KubeletOptions) {
    this.ownsClient = !(opts.api instanceof RestClient);
    this.api = opts.api instanceof RestClient ? opts.api : new RestClient({ userAgent: `minicluster-kubelet/${opts.nodeName}`, ...opts.api });
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? (() => new Date());
    if (opts.pods) {
      const { deps, podSubnet, clusterDNS, server: _server, ...rest } = opts.pods;
      this.pods = new PodManager({
        ...rest,
        client: this.api,
        nodeName: opts.nodeName,
        hostIP: () => this.host?.internalIP,
        deps:
          deps ??
          (() =>
            nodeRuntimeDeps({
              client: this.api,
              nodeName: opts.nodeName,
              stateDir: opts.stateDir ?? "/var/lib/minicluster",
              hostIP: this.host?.internalIP,
              podSubnet,
              ...(clusterDNS ? { clusterDNS } : {}),
              memoryCapacityBytes: this.host ? this.host.memoryKi * 1024 : undefined,
              log: this.log,
            })),
        log: this.log,
      });
    }
    this.versions = opts.versions ?? DEFAULT_VERSIONS;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // a caller that never awaits `ready` must not see an unhandled rejection
    this.done = this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.log(`stopped by an unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.rejectReady(err);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.rejectReady(new Error("the kubelet was stopped before its node was registered"));
    await this.done;
    await this.server?.close().catch(() => {});
    await this.pods?.stop();
    if (this.ownsClient) await this.api.close();
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    this.host = await (this.opts.hostInfo ?? (() => collectHostInfo({ nodeName: this.opts.nodeName, stateDir: this.opts.stateDir })))();
    const h = this.host;
    this.log(
      `node ${this.opts.nodeName} (${this.opts.role}): InternalIP ${h.internalIP ?? "none"}, cpu ${h.cpuMillis}m, memory ${h.memoryKi}Ki, ` +
        `${h.osImage}, kernel ${h.kernelVersion}, ${h.containerRuntimeVersion}; API server ${this.api.server}`,
    );
    await this.untilDone(() => this.register());
    await this.untilDone(() => this.renewLease());
    if (this.signal.aborted) return;
    this.log(`node ${this.opts.nodeName} registered and Ready in ${Date.now() - started} ms`);
    this.resolveReady();
    await Promise.all([
      this.pods ? this.untilDone(() => this.pods!.start()) : undefined,
      this.opts.pods?.server ? this.untilDone(() => this.startServer()) : undefined,
      this.every(this.opts.leaseRenewIntervalMs ?? 10_000, () => this.renewLease()),
      this.every(this.opts.statusUpdateIntervalMs ?? 10_000, () => this.syncStatus()),
    ]);
  }

  private server: KubeletServer | undefined;

  /** The HTTPS API on :10250 (self-signed serving certificate: the API server does not verify it, as in Kubernetes' default). */
  private async startServer(): Promise<void> {
    const cfg = this.opts.pods!.server!;
    if (this.server || this.signal.aborted || !this.pods) return;
    const names = [this.opts.nodeName, ...(this.host.internalIP ? [this.host.internalIP] : [])];
    const server = await startKubeletServer({
      locator: this.pods,
      tls: await kubeletServingTls(names),
      clientCa: cfg.clientCa,
      port: cfg.port ?? 10250,
      ...(cfg.host ? { host: cfg.host } : {}),
      log: this.log,
    });
    if (this.signal.aborted) {
      await server.close();
      return;
    }
    this.server = server;
    this.log(`kubelet API listening on :${server.port}`);
  }

  // ---- the API server's health, as seen from here

  private succeeded(): void {
    if (this.failing === undefined) return;
    this.failing = undefined;
    this.log(`API server ${this.api.server} answers again`);
  }

  private failed(err: unknown): void {
    const key = failureKey(err);
    if (this.failing === key) return;
    this.failing = key;
    this.log(`API server ${this.api.server}: ${err instanceof Error ? err.message : String(err)} (retrying)`);
  }

  private backoff(attempt: number, capMs = Infinity): number {
    const base = this.opts.retryInitialMs ?? 100;
    return Math.min(base * 2 ** attempt, this.opts.retryMaxMs ?? 2000, capMs);
  }

  /** Runs `fn` until it succeeds or the kubelet stops. */
  private async untilDone(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.signal.aborted; attempt++) {
      try {
        await fn();
        this.succeeded();
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        this.failed(err);
        await sleep(this.backoff(attempt), this.signal);
      }
    }
  }

  /** Runs `fn` every `intervalMs`; after a failure, sooner (back-off, never longer than the interval). */
  private async every(intervalMs: number, fn: () => Promise<void>): Promise<void> {
    let failures = 0;
    while (!this.signal.aborted) {
      await sleep(failures === 0 ? intervalMs : this.backoff(failures - 1, intervalMs), this.signal);
      if (this.signal.aborted) return;
      try {
        await fn();
        failures = 0;
        this.succeeded();
      } catch (err) {
        if (this.signal.aborted) return;
        failures++;
        this.failed(err);
      }
    }
  }

  // ---- registration and status

  private async register(): Promise<void> {
    const now = this.now();
    try {
      const created = await this.api.create<Node>(NODES, newNode(this.opts, this.host, this.versions, now), { signal: this.signal });
      this.node = { name: this.opts.nodeName, uid: created.metadata!.uid! };
      this.lastPostMs = now.getTime();
      this.log(`registered node ${this.opts.nodeName}`);
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    // A restart: the Node exists. Refresh our labels, then the whole status (addresses may have changed).
    for (let attempt = 0; ; attempt++) {
      try {
        let existing = await this.api.get<Node>(NODES, this.opts.nodeName, { signal: this.signal });
        const update = reconcileExistingNode(existing, this.opts, this.host);
        if (update) existing = await this.api.update(NODES, update, { signal: this.signal });
        await this.postStatus(existing, true);
        this.log(`node ${this.opts.nodeName} was already registered: updated its labels and status`);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  /** Compares the server's status with ours and posts when it differs or is due. */
  private async syncStatus(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let existing: Node;
      try {
        existing = await this.api.get<Node>(NODES, this.opts.nodeName, { signal: this.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.log(`node ${this.opts.nodeName} was deleted: registering it again`);
        this.node = undefined;
        await this.register();
        return;
      }
      try {
        await this.postStatus(existing, false);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  private async postStatus(existing: Node, force: boolean): Promise<void> {
    const now = this.now();
    const status = desiredStatus(existing.status, this.opts, this.host, this.versions, now);
    const changed = statusChanged(existing.status, status);
    if (!force && !changed && now.getTime() - this.lastPostMs < (this.opts.statusReportIntervalMs ?? 300_000)) return;
    const updated = await this.api.updateStatus<Node>(NODES, { ...existing, status }, { signal: this.signal });
    this.node = { name: this.opts.nodeName, uid: updated.metadata!.uid! };
    this.lastPostMs = now.getTime();
    const ready = (existing.status?.conditions ?? []).find((c) => c.type === "Ready");
    if (ready && ready.status !== "True") this.log(`node ${this.opts.nodeName} is Ready again (was ${ready.status}: ${ready.reason ?? ""})`);
  }

  // ---- lease

  private async renewLease(): Promise<void> {
    const node = this.node;
    if (!node) throw new Error("the node is not registered");
    const ns = { namespace: NODE_LEASE_NAMESPACE, signal: this.signal };
    const duration = this.opts.leaseDurationSeconds ?? LEASE_DURATION_SECONDS;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.lease) {
          try {
            this.lease = await this.api.get<Lease>(LEASES, node.name, ns);
          } catch (err) {
            if (!isNotFound(err)) throw err;
            this.lease = await this.api.create(LEASES, renewedLease(undefined, node, this.now(), duration), ns);
            return;
          }
        }
        this.lease = await this.api.update(LEASES, renewedLease(this.lease, node, this.now(), duration), ns);
        return;
      } catch (err) {
        // Someone else wrote it, or it is gone (deleted with a re-created node): read it again.
        this.lease = undefined;
        if (!(isConflict(err) || isNotFound(err) || isAlreadyExists(err)) || attempt >= 3) throw err;
      }
    }
  }
}
