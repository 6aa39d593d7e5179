// The node container's one process (`minicluster node`): on a control-plane node the control
// plane and a kubelet, on a worker a kubelet only. See the node contract for the files it expects.
//
// Startup is ordered for speed: the kubelet's host facts are gathered while the control plane
// starts, and the kubelet talks to the local API server over 127.0.0.1 as soon as it listens.

import { promises as fs } from "node:fs";
import path from "node:path";
import type { ControlPlane } from "../controlplane/index.js";
import type { NodeLifecycleOptions } from "../controlplane/controllers/node-lifecycle/controller.js";
import { writeFileAtomic } from "../controlplane/pki/files.js";
import { collectHostInfo, type HostInfo } from "../kubelet/host-info.js";
import { startKubelet, type Kubelet, type KubeletOptions } from "../kubelet/kubelet.js";
import { parseNodeConfig, type NodeConfig } from "./config.js";
import { openNodeLogs } from "./logs.js";
import { nodePaths, type NodePaths } from "./paths.js";
import { DEFAULT_SERVICE_SUBNET } from "../cluster/config/types.js";
import { errorChain } from "../common/error-chain.js";

export const API_PORT = 6443;

/** Files the provisioner puts in /etc/minicluster/pki that the control plane takes over on first start. */
const SERVER_PKI_FILES = [
  { name: "ca.crt", mode: 0o644 },
  { name: "ca.key", mode: 0o600 },
  { name: "admin.crt", mode: 0o644 },
  { name: "admin.key", mode: 0o600 },
];

export interface RunNodeOptions {
  /** Root of /etc/minicluster, /var/lib/minicluster, /var/log/minicluster (default "/"). */
  root?: string;
  /** The NodeConfig file (default <root>/etc/minicluster/node.json). */
  configFile?: string;
  /** Control plane: port to listen on (default 6443; 0 picks a free one, for tests). */
  apiPort?: number;
  /** Control plane: address to listen on (default 0.0.0.0). */
  bind?: string;
  /** Control plane: store backend (default sqlite). */
  store?: "sqlite" | "memory";
  nodeLifecycle?: NodeLifecycleOptions;
  /** Kubelet timings and injections (tests). */
  kubelet?: Pick<KubeletOptions, "leaseRenewIntervalMs" | "statusUpdateIntervalMs" | "statusReportIntervalMs" | "retryInitialMs" | "retryMaxMs" | "now" | "hostInfo">;
  /** Where log lines go besides the files (default process.stderr). */
  stderr?: (line: string) => void;
  /** Run pods with runc (default: only on a real node, root "/"). */
  pods?: boolean;
  /** Control plane: serve cluster DNS on port 53 (default: only on a real node, root "/"). */
  dns?: boolean;
}

export interface RunningNode {
  config: NodeConfig;
  paths: NodePaths;
  /** The control plane, on a control-plane node. */
  controlPlane?: ControlPlane;
  /** Resolves when this node's Node object is registered and Ready. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function runNode(opts: RunNodeOptions = {}): Promise<RunningNode> {
  const started = Date.now();
  const paths = nodePaths(opts.root ?? "/");
  const logs = openNodeLogs({ logDir: paths.logDir, stderr: opts.stderr });
  const log = logs.component("node");
  let cp: ControlPlane | undefined;
  let kubelet: Kubelet | undefined;
  try {
    const configFile = opts.configFile ?? paths.configFile;
    const config = parseNodeConfig(await readRequired(configFile, "the node configuration"), configFile);
    log(`starting ${config.role} node ${config.nodeName} of cluster ${config.cluster}`);
    // Host facts take tens of milliseconds (runc --version, statfs): gather them meanwhile.
    const hostInfo: Promise<HostInfo> = opts.kubelet?.hostInfo?.() ?? collectHostInfo({ nodeName: config.nodeName, stateDir: paths.stateDir });
    hostInfo.catch(() => {});
    const [ca, cert, key] = await Promise.all(
      ["ca.crt", "kubelet.crt", "kubelet.key"].map((f) => readRequired(path.join(paths.pkiDir, f), "a kubelet credential")),
    );

    // The kube-dns Service's IP (the 10th of the service subnet) that pods' resolv.conf names.
    const clusterDNS = clusterDnsIP(config.serviceSubnet ?? DEFAULT_SERVICE_SUBNET);
    let server = config.apiServer;
    if (config.role === "control-plane") {
      await adoptServerPki(paths);
      // Loaded only here: a worker's process (a kubelet) never holds the control plane's code.
      const [{ startControlPlane }, { sqliteNativeBinding }] = await Promise.all([
        import("../controlplane/index.js"),
        import("../controlplane/store/sqlite/native-binding.js"),
      ]);
      cp = await startControlPlane({
        dataDir: paths.serverDir,
        port: opts.apiPort ?? API_PORT,
        bind: opts.bind ?? "0.0.0.0",
        tlsSans: config.tlsSans,
        ...(config.podSubnet ? { podSubnet: config.podSubnet } : {}),
        ...(config.serviceSubnet ? { serviceSubnet: config.serviceSubnet } : {}),
        store: opts.store,
        sqliteNativeBinding: sqliteNativeBinding(),
        log: logs.component("server"),
        ...(opts.nodeLifecycle ? { nodeLifecycle: opts.nodeLifecycle } : {}),
        // Cluster DNS on 0.0.0.0:53 of this node container; it forwards other names to the
        // container's /etc/resolv.conf (Docker's 127.0.0.11, reachable from the node's own netns).
        dns: (opts.dns ?? paths.root === "/") ? {} : false,
      });
      logs.component("server")(`API server listening on ${opts.bind ?? "0.0.0.0"}:${cp.port} (${Date.now() - started} ms after start)`);
      server = `https://127.0.0.1:${cp.port}`;
    }

    kubelet = startKubelet({
      nodeName: config.nodeName,
      role: config.role,
      labels: config.labels,
      taints: config.taints,
      api: { server: server!, ca, cert, key, userAgent: `minicluster-kubelet/${config.nodeName}` },
      stateDir: paths.stateDir,
      log: logs.component("kubelet"),
      ...((opts.pods ?? paths.root === "/") ? { pods: { podSubnet: config.podSubnet, clusterDNS: [clusterDNS], server: { clientCa: ca } } } : {}),
      ...opts.kubelet,
      hostInfo: () => hostInfo,
    });
    const k = kubelet;
    const ready = k.ready.then(() => log(`node ${config.nodeName} Ready ${Date.now() - started} ms after start`));
    ready.catch(() => {});

    let stopping: Promise<void> | undefined;
    const controlPlane = cp;
    return {
      config,
      paths,
      ...(controlPlane ? { controlPlane } : {}),
      ready,
      stop() {
        stopping ??= (async () => {
          log("stopping");
          await k.stop();
          await controlPlane?.stop();
          log("stopped");
          logs.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    log(`failed to start: ${errorChain(err)}`);
    await kubelet?.stop();
    await cp?.stop();
    logs.close();
    throw err;
  }
}

/** The 10th IP of an IPv4 service subnet ("10.96.0.0/16" → "10.96.0.10"), as the allocator reserves it. */
export function clusterDnsIP(serviceSubnet: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(serviceSubnet.trim());
  if (!m) throw new Error(`service subnet ${JSON.stringify(serviceSubnet)} is not an IPv4 CIDR`);
  const bits = Number(m[5]);
  const addr = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const base = bits === 0 ? 0 : addr - (addr % 2 ** (32 - bits));
  const ip = base + 10;
  return [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join(".");
}

async function readRequired(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (cause) {
    throw new Error(`reading ${what} ${file}`, { cause });
  }
}

/**
 * First start of a control-plane node: the cluster CA and admin certificate the provisioner made
 * become the control plane's own (ensurePki then issues the serving certificate from that CA).
 * Files already there are kept: they are the cluster's, from an earlier start.
 */
async function adoptServerPki(paths: NodePaths): Promise<void> {
  const dest = path.join(paths.serverDir, "pki");
  await fs.mkdir(dest, { recursive: true, mode: 0o700 });
  for (const f of SERVER_PKI_FILES) {
    const to = path.join(dest, f.name);
    try {
      await fs.access(to);
      continue;
    } catch {
      // absent: copy it
    }
    await writeFileAtomic(to, await readRequired(path.join(paths.pkiDir, f.name), "the cluster PKI"), f.mode);
  }
}
