// The PodRuntimeDeps of a real node: the image store (images/), the pod network and its route
// watcher (network/), the service proxy (src/proxy), the OCI spec builder and rootfs mounts (oci/),
// volumes (volumes/) and the environment (env/).

import type { RestClient } from "../../client/rest.js";
import { DEFAULT_POD_SUBNET } from "../../cluster/config/types.js";
import { ConntrackCleaner, IptablesApplier, ServiceProxy } from "../../proxy/index.js";
import { resolveEnv, serviceEnvFor } from "../env/index.js";
import { ImageStore } from "../images/index.js";
import { NodeRoutesWatcher, PodNetwork } from "../network/index.js";
import { buildOciSpec, containerArgs, mountRootfs, oomScoreAdj, resolveProcessUser, unmountRootfs } from "../oci/index.js";
import { VolumeManager } from "../volumes/index.js";
import type { PodRuntimeDeps } from "./deps.js";

export interface NodeDepsOptions {
  client: RestClient;
  nodeName: string;
  /** /var/lib/minicluster */
  stateDir: string;
  hostIP?: string;
  /** The cluster's pod subnet (node.json podSubnet). */
  podSubnet?: string;
  /** Cluster DNS service IPs for pods' resolv.conf. */
  clusterDNS?: string[];
  /** For oom_score_adj of Burstable containers. */
  memoryCapacityBytes?: number;
  log?: (msg: string) => void;
}

export function nodeRuntimeDeps(opts: NodeDepsOptions): PodRuntimeDeps {
  const log = opts.log ?? (() => {});
  const images = new ImageStore({ root: `${opts.stateDir}/images` });
  const network = new PodNetwork({ nodeName: opts.nodeName, stateDir: `${opts.stateDir}/network`, log, ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}) });
  const routes = new NodeRoutesWatcher({ client: opts.client, nodeName: opts.nodeName, network, log });
  // Services' cluster IPs and NodePorts on this node (its rules live in the node's netns, next to the pod network's).
  const proxy = new ServiceProxy({ client: opts.client, applier: new IptablesApplier(), conntrack: new ConntrackCleaner(), podSubnet: opts.podSubnet ?? DEFAULT_POD_SUBNET, nodeName: opts.nodeName, log });
  const volumes = new VolumeManager({
    client: opts.client,
    tokenClient: opts.client, // bound ServiceAccount tokens for kube-api-access-* volumes
    refreshIntervalMs: 60_000, // token renewal and ConfigMap/Secret updates in volumes
    memoryBackedSecrets: true, // secrets and tokens on tmpfs, never on the node's disk
    nodeName: opts.nodeName,
    podsDir: `${opts.stateDir}/pods`,
    log,
    ...(opts.hostIP ? { hostIP: opts.hostIP } : {}),
    ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}),
  });
  return {
    images,
    network,
    volumes,
    buildOciSpec: (input) =>
      buildOciSpec({
        ...input,
        oomScoreAdj: input.oomScoreAdj ?? (opts.memoryCapacityBytes ? oomScoreAdj(input.pod, input.container, opts.memoryCapacityBytes) : undefined),
      }),
    containerArgs: (c, image, env) => containerArgs(c, image, env),
    resolveUser: (rootfs, pod, c, image) => resolveProcessUser(rootfs, pod, c, image),
    mountRootfs: (layers, dir) => mountRootfs(layers, dir),
    unmountRootfs: (dir) => unmountRootfs(dir),
    // Service links and KUBERNETES_SERVICE_* from the Services that exist when the container starts.
    resolveEnv: async (pod, c, image, ctx) => resolveEnv(pod, c, image, { ...ctx, serviceEnv: await serviceEnvFor(opts.client, pod) }),
    start: () => {
      routes.start();
      proxy.start();
    },
    stop: async () => {
      await Promise.all([routes.stop(), proxy.stop()]);
    },
  };
}
