// The PodRuntimeDeps of a real node: the image store (images/), the pod network and its route
// watcher (network/), the OCI spec builder and rootfs mounts (oci/), volumes (volumes/) and the
// environment (env/).

import type { RestClient } from "../../client/rest.js";
import { resolveEnv } from "../env/index.js";
import { ImageStore } from "../images/index.js";
import { NodeRoutesWatcher, PodNetwork } from "../network/index.js";
import { buildOciSpec, containerArgs, mountRootfs, oomScoreAdj, resolveProcessUser, unmountRootfs, type ProcessUser } from "../oci/index.js";
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
  /** For oom_score_adj of Burstable containers. */
  memoryCapacityBytes?: number;
  log?: (msg: string) => void;
}

export function nodeRuntimeDeps(opts: NodeDepsOptions): PodRuntimeDeps {
  const log = opts.log ?? (() => {});
  const images = new ImageStore({ root: `${opts.stateDir}/images` });
  const network = new PodNetwork({ nodeName: opts.nodeName, stateDir: `${opts.stateDir}/network`, log, ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}) });
  const routes = new NodeRoutesWatcher({ client: opts.client, nodeName: opts.nodeName, network, log });
  const volumes = new VolumeManager({ client: opts.client, nodeName: opts.nodeName, podsDir: `${opts.stateDir}/pods`, log, ...(opts.hostIP ? { hostIP: opts.hostIP } : {}) });
  return {
    images,
    network,
    volumes,
    buildOciSpec: (input) =>
      buildOciSpec({
        ...input,
        user: input.user as ProcessUser | undefined,
        oomScoreAdj: input.oomScoreAdj ?? (opts.memoryCapacityBytes ? oomScoreAdj(input.pod, input.container, opts.memoryCapacityBytes) : undefined),
      }),
    containerArgs: (c, image, env) => containerArgs(c, image, env),
    resolveUser: (rootfs, pod, c, image) => resolveProcessUser(rootfs, pod, c, image),
    mountRootfs: (layers, dir) => mountRootfs(layers, dir),
    unmountRootfs: (dir) => unmountRootfs(dir),
    resolveEnv: (pod, c, image, ctx) => resolveEnv(pod, c, image, ctx),
    start: () => routes.start(),
    stop: () => routes.stop(),
  };
}
