// The control plane as one service: store, PKI, API server and the in-process controllers
// (namespace lifecycle, garbage collector, store compaction). `minicluster server` runs it in
// the foreground; tests start it in-process on a temporary data dir.

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RESOURCES } from "../api/registry/resources.js";
import type { KubeObject } from "../api/registry/types.js";
import { buildKubeconfig, writeKubeconfig } from "../cluster/kubeconfig/index.js";
import { startApiServer, type ApiServer } from "./apiserver/server.js";
import { createKnowledge } from "./apiserver/knowledge.js";
import { Registry, type Caller } from "./apiserver/rest.js";
import { ensurePki, type Pki } from "./pki/index.js";
import type { Backend } from "./store/backend.js";
import { MemoryBackend } from "./store/memory/memory-backend.js";
import { SqliteBackend } from "./store/sqlite/sqlite-backend.js";
import { GarbageCollector } from "./controllers/garbagecollector/controller.js";
import { NamespaceController } from "./controllers/namespace/controller.js";
import { ReplicaSetController } from "./controllers/replicaset/controller.js";
import { DeploymentController } from "./controllers/deployment/controller.js";
import { NodeLifecycleController, type NodeLifecycleOptions } from "./controllers/node-lifecycle/controller.js";
import { Scheduler, type SchedulerOptions } from "./scheduler/index.js";
import { NodeIpamController } from "./controllers/nodeipam/controller.js";
import { EndpointSliceController } from "./controllers/endpointslice/controller.js";
import { EndpointsController } from "./controllers/endpoints/controller.js";
import { watchStore, type StoreEvent } from "./controllers/store-watch.js";
import { ServiceAccountController } from "./controllers/serviceaccount/controller.js";
import { ServiceAccountTokens } from "./serviceaccount/tokens.js";
import { TokenSigner } from "./serviceaccount/token.js";
import { Compactor } from "./store/compactor.js";
import { resourcePrefix, decodeKv } from "./apiserver/storage.js";
import { DEFAULT_SERVICE_SUBNET, ServiceAllocator, nthServiceIP } from "./services/allocator.js";
import { KubernetesServiceReconciler, defaultAdvertiseAddress } from "./services/kubernetes-service.js";
import { ClusterDnsFeed } from "./dns/feed.js";
import { parseUpstream } from "./dns/forward.js";
import { KubeDnsServiceReconciler } from "./dns/kube-dns-service.js";
import { startDnsServer, type DnsServer } from "./dns/server.js";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export interface ControlPlaneOptions {
  dataDir: string;
  port?: number;
  bind?: string;
  tlsSans?: string[];
  /** Where to write the admin kubeconfig (default DATA_DIR/kubeconfig). */
  kubeconfigPath?: string;
  /** "sqlite" (default, durable) or "memory" (tests). */
  store?: "sqlite" | "memory";
  /** Passed to better-sqlite3 (the single executable loads the addon itself). */
  sqliteNativeBinding?: string | object;
  log?: (msg: string) => void;
  /** Node lifecycle controller timings (tests shorten them); false turns the controller off. */
  nodeLifecycle?: NodeLifecycleOptions | false;
  /** The in-process scheduler (default on); false turns it off. */
  scheduler?: SchedulerOptions | false;
  /** The cluster's pod subnet: each Node gets a /24 of it as spec.podCIDR (default 10.244.0.0/16). */
  podSubnet?: string;
  /** The cluster's service subnet (default 10.96.0.0/16). */
  serviceSubnet?: string;
  /** The API server's address as pods reach it: the `kubernetes` Service's endpoint (default: the first non-loopback IPv4). */
  advertiseAddress?: string;
  /**
   * Cluster DNS (default off: it binds port 53 on all addresses, which in-process tests cannot):
   * the DNS server on 0.0.0.0:PORT (UDP and TCP, default 53) answering from the cluster's records and
   * forwarding other names to `upstreams` ("IP" or "IP:PORT"; default: the nameservers of
   * /etc/resolv.conf), and the kube-system/kube-dns Service pointing at the advertise address.
   */
  dns?: { port?: number; upstreams?: string[]; host?: string } | false;
  /** A watch with more unsent output than this is ended (default 64 MiB; tests set less). */
  watchBufferLimitBytes?: number;
}

export interface ControlPlane {
  url: string;
  port: number;
  kubeconfigPath: string;
  pki: Pki;
  registry: Registry;
  backend: Backend;
  scheduler?: Scheduler;
  /** The cluster DNS server's address (with the `dns` option, once it listens). */
  dns?: { host: string; port: number };
  stop(): Promise<void>;
}

const BOOTSTRAP: Caller = { user: "system:apiserver", groups: ["system:masters"], userAgent: "minicluster-bootstrap" };

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensurePki({ dir: path.join(opts.dataDir, "pki"), sans: opts.tlsSans ?? [], hostname: os.hostname(), log });

  const backend: Backend =
    opts.store === "memory"
      ? new MemoryBackend()
      : new SqliteBackend({ path: path.join(opts.dataDir, "state.db"), nativeBinding: opts.sqliteNativeBinding });
  await backend.start();
  const registry = new Registry(backend, createKnowledge());
  const serviceSubnet = opts.serviceSubnet ?? DEFAULT_SERVICE_SUBNET;
  await installServiceAllocator(registry, serviceSubnet, log);
  await ensureNamespaces(registry);

  const controllers = new AbortController();
  const namespaces = new NamespaceController(registry, log);
  const gc = new GarbageCollector(registry, log);
  const replicaSets = new ReplicaSetController(registry, log);
  const deployments = new DeploymentController(registry, log);
  const nodeLifecycle = opts.nodeLifecycle === false ? undefined : new NodeLifecycleController(registry, log, opts.nodeLifecycle);
  const scheduler = opts.scheduler === false ? undefined : new Scheduler(registry, log, opts.scheduler);
  const nodeIpam = new NodeIpamController(registry, log, { podSubnet: opts.podSubnet });
  const endpointSlices = new EndpointSliceController(registry, log);
  const endpoints = new EndpointsController(registry, log);
  const serviceAccounts = new ServiceAccountController(registry, log, pki.ca.cert);
  const saTokens = new ServiceAccountTokens(registry, new TokenSigner(pki.serviceAccountKey.key));
  const dnsServiceIP = nthServiceIP(serviceSubnet, 10);
  const dnsFeed = opts.dns ? new ClusterDnsFeed({ dnsServiceIp: dnsServiceIP }) : undefined;
  // Everything fed by the one store watch; each is stopped with the control plane.
  const fed: Array<{ onEvent(ev: StoreEvent): void; stop?(): void }> = [
    namespaces,
    gc,
    replicaSets,
    deployments,
    ...(nodeLifecycle ? [nodeLifecycle] : []),
    ...(scheduler ? [scheduler] : []),
    nodeIpam,
    endpointSlices,
    endpoints,
    serviceAccounts,
    ...(dnsFeed ? [dnsFeed] : []),
  ];
  await watchStore(
    backend,
    (ev) => {
      for (const c of fed) c.onEvent(ev);
    },
    controllers.signal,
  );
  nodeLifecycle?.start();
  scheduler?.start();
  endpointSlices.start();
  endpoints.start();
  const compactor = new Compactor(backend, log);
  compactor.start();
  const stopControllers = () => {
    controllers.abort();
    for (const c of fed) c.stop?.();
    compactor.stop();
  };

  let server: ApiServer;
  try {
    server = await startApiServer({
      tls: { cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert },
      host: opts.bind ?? "127.0.0.1",
      port: opts.port ?? 6443,
      deps: {
        registry,
        knowledge: registry.knowledge,
        kubeletClient: pki.kubeletClient,
        serviceAccountTokens: saTokens,
        ...(opts.watchBufferLimitBytes ? { watchBufferLimitBytes: opts.watchBufferLimitBytes } : {}),
      },
      authenticateToken: (token) => saTokens.authenticate(token),
      serviceAccountIssuer: {
        issuer: saTokens.signer.issuer,
        keys: [{ kid: saTokens.signer.kid, alg: saTokens.signer.alg, publicKey: saTokens.signer.publicKey }],
        externalHost: opts.advertiseAddress ?? defaultAdvertiseAddress(),
      },
      log,
    });
  } catch (err) {
    stopControllers();
    await backend.close();
    throw new Error(`starting the API server on ${opts.bind ?? "127.0.0.1"}:${opts.port ?? 6443}`, { cause: err });
  }
  const kubernetesService = new KubernetesServiceReconciler(registry, log, {
    serviceIP: nthServiceIP(serviceSubnet, 1),
    advertiseAddress: opts.advertiseAddress ?? defaultAdvertiseAddress(),
    port: server.port,
  });
  await kubernetesService.start();

  let dnsServer: DnsServer | undefined;
  let kubeDnsService: KubeDnsServiceReconciler | undefined;
  if (opts.dns && dnsFeed) {
    const dnsPort = opts.dns.port ?? 53;
    try {
      dnsServer = await startDnsServer({
        lookup: dnsFeed.lookup,
        host: opts.dns.host ?? "0.0.0.0",
        port: dnsPort,
        ...(opts.dns.upstreams ? { upstreams: opts.dns.upstreams.map(parseUpstream) } : {}),
        log,
      });
      log(`cluster DNS listening on ${dnsServer.host}:${dnsServer.port} (UDP and TCP), service IP ${dnsServiceIP}`);
      kubeDnsService = new KubeDnsServiceReconciler(registry, log, {
        serviceIP: dnsServiceIP,
        advertiseAddress: opts.advertiseAddress ?? defaultAdvertiseAddress(),
        port: dnsServer.port,
      });
      await kubeDnsService.start();
    } catch (err) {
      // The API keeps serving without cluster DNS; pods' cluster names then do not resolve.
      log(`cluster DNS not started: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const kubeconfigPath = opts.kubeconfigPath ?? path.join(opts.dataDir, "kubeconfig");
  const server_ = server.url.replace("0.0.0.0", "127.0.0.1");
  await writeKubeconfig(
    kubeconfigPath,
    buildKubeconfig({ name: "minicluster", server: server_, caCert: pki.ca.cert, clientCert: pki.admin.cert, clientKey: pki.admin.key }),
  );

  return {
    url: server_,
    port: server.port,
    kubeconfigPath,
    pki,
    registry,
    backend,
    scheduler,
    ...(dnsServer ? { dns: { host: dnsServer.host, port: dnsServer.port } } : {}),
    async stop() {
      await kubernetesService.stop();
      await kubeDnsService?.stop();
      await dnsServer?.close();
      stopControllers();
      await server.close();
      await backend.close();
    },
  };
}

/** Cluster IPs and node ports: learnt from the stored Services, then kept by the Registry's writes. */
async function installServiceAllocator(registry: Registry, serviceSubnet: string, log: (m: string) => void): Promise<void> {
  const allocator = new ServiceAllocator({ serviceSubnet });
  const svcDef = RESOURCES.find((r) => r.kind === "Service" && r.group === "")!;
  const stored = await registry.backend.list(resourcePrefix(svcDef));
  for (const kv of stored.items) for (const p of allocator.restore(decodeKv(kv))) log(`service allocator: ${p}`);
  registry.setWriteHooks("", "Service", {
    beginCreate: (obj) => allocator.beginCreate(obj),
    beginUpdate: (next, current) => allocator.beginUpdate(next, current),
    deleted: (obj) => allocator.release(obj),
  });
}

async function ensureNamespaces(registry: Registry): Promise<void> {
  const nsDef = RESOURCES.find((r) => r.kind === "Namespace" && r.group === "")!;
  for (const name of SYSTEM_NAMESPACES) {
    if (await registry.tryGet(nsDef, "", name)) continue;
    const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
    try {
      await registry.create(nsDef, "", ns, BOOTSTRAP);
    } catch (err) {
      if (!(err instanceof Error && "code" in err && (err as { code: number }).code === 409)) throw err;
    }
  }
}
