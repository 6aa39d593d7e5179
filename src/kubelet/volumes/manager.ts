// The pod's volumes and per-pod files on the node, laid out like the kubelet's:
//   <podsDir>/<uid>/volumes/kubernetes.io~<plugin>/<name>   emptyDir, configMap, secret, downwardAPI, projected
//   <podsDir>/<uid>/{etc-hosts,resolv.conf,hostname}        bind-mounted over /etc/...
//   <podsDir>/<uid>/containers/<name>/termination-log       /dev/termination-log
// hostPath volumes are the node container's paths. configMap/secret/downwardAPI/projected are
// written atomically (..data swap) and rewritten by refresh() when their sources change. With
// `memoryBackedSecrets` (the kubelet's setting) secret, projected and downwardAPI volumes each
// live on a tmpfs of their own, as the kubelet keeps them: secrets and tokens never reach the
// node's disk (here the node container's Docker volume).

import { chmodSync, lstatSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import type { ConfigMap, Container, Node, Pod, Secret, Volume } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../client/api-error.js";
import type { RestClient } from "../../client/rest.js";
import { parseQuantity, quantityValue } from "../../api/quantity.js";
import { expandVars, lookupIn } from "../env/expand.js";
import type { Allocatable } from "../env/fields.js";
import { isMountPoint, mount, mountsUnder, unmount } from "../oci/mounts.js";
import type { RuntimeMount } from "../oci/spec.js";
import { writeAtomic } from "./atomic-writer.js";
import { checkHostPath } from "./host-path.js";
import { volumePayload, type ObjectSource } from "./payload.js";
import { ServiceAccountTokenManager } from "./sa-token.js";
import { formatResolvConf, hostsFile, parseResolvConf, podDnsConfig, podHostname } from "./pod-files.js";

export const DEFAULT_PODS_DIR = "/var/lib/minicluster/pods";

const CONFIGMAPS = { group: "", version: "v1", plural: "configmaps", namespaced: true } as const;
const SECRETS = { group: "", version: "v1", plural: "secrets", namespaced: true } as const;
const NODES = { group: "", version: "v1", plural: "nodes", namespaced: false } as const;

export interface PreparedVolume {
  path: string;
  readOnly: boolean;
}
export type PreparedVolumes = Map<string, PreparedVolume>;

export interface PodFilePaths {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

/** A volume could not be set up; the message is the kubelet's FailedMount event text. */
export class VolumeSetupError extends Error {
  override readonly name = "VolumeSetupError";
  readonly reason = "FailedMount";
  constructor(
    readonly volume: string,
    detail: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`);
  }
}

export interface VolumeManagerOptions {
  podsDir?: string;
  client: Pick<RestClient, "get">;
  nodeName: string;
  hostIP?: string;
  /** Cluster DNS service IPs (issue 5). Without them ClusterFirst pods get the node's DNS. */
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The node's resolv.conf and hosts file (defaults /etc/resolv.conf, /etc/hosts). */
  hostResolvConf?: string;
  hostHosts?: string;
  nodeAllocatable?: Allocatable;
  /**
   * Bound service account tokens for projected serviceAccountToken sources: (pod, request) → token.
   * Without it but with `tokenClient`, the manager requests them itself (ServiceAccountTokenManager:
   * POST .../serviceaccounts/SA/token bound to the pod, renewed after 80% of the lifetime).
   */
  serviceAccountToken?: (pod: Pod, req: { audience?: string; expirationSeconds: number }) => Promise<string | undefined>;
  /** The kubelet's API client for TokenRequests (see serviceAccountToken). */
  tokenClient?: Pick<RestClient, "request">;
  /**
   * When set, every prepared pod's configMap/secret/downwardAPI/projected volumes are refreshed
   * at this interval until cleanup (renewing tokens, following ConfigMap/Secret changes).
   */
  refreshIntervalMs?: number;
  /** secret, projected and downwardAPI volumes on a tmpfs each (needs root; default off). */
  memoryBackedSecrets?: boolean;
  log?: (m: string) => void;
}

const ATOMIC_PLUGINS: Record<string, string> = {
  configMap: "kubernetes.io~configmap",
  secret: "kubernetes.io~secret",
  downwardAPI: "kubernetes.io~downward-api",
  projected: "kubernetes.io~projected",
};

function atomicPlugin(v: Volume): string | undefined {
  for (const k of Object.keys(ATOMIC_PLUGINS)) if ((v as unknown as Record<string, unknown>)[k]) return ATOMIC_PLUGINS[k];
  return undefined;
}

const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;

/** subPath values: relative, no "..". */
export function validateSubPath(p: string): void {
  if (isAbsolute(p)) throw new Error(`subPath "${p}" must be a relative path`);
  if (p.split("/").includes("..")) throw new Error(`subPath "${p}" must not contain '..'`);
}

export class VolumeManager {
  readonly podsDir: string;
  private readonly opts: VolumeManagerOptions;
  private allocatable: Allocatable | undefined;
  private readonly tokens: ServiceAccountTokenManager | undefined;
  private readonly refreshers = new Map<string, NodeJS.Timeout>();

  constructor(opts: VolumeManagerOptions) {
    this.opts = opts;
    this.podsDir = opts.podsDir ?? DEFAULT_PODS_DIR;
    this.allocatable = opts.nodeAllocatable;
    if (!opts.serviceAccountToken && opts.tokenClient) this.tokens = new ServiceAccountTokenManager(opts.tokenClient);
  }

  private tokenSource(pod: Pod): ObjectSource["serviceAccountToken"] {
    if (this.opts.serviceAccountToken) return (req) => this.opts.serviceAccountToken!(pod, req);
    const tokens = this.tokens;
    if (tokens) return (req) => tokens.token(pod, req);
    return undefined;
  }

  private scheduleRefresh(pod: Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const every = this.opts.refreshIntervalMs;
    if (!every || this.refreshers.has(uid)) return;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.refresh(pod).finally(() => (running = false));
    }, every);
    timer.unref();
    this.refreshers.set(uid, timer);
  }

  podDir(uid: string): string {
    if (!uid || uid.includes("/") || uid.startsWith(".")) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
    return join(this.podsDir, uid);
  }

  terminationLogPath(uid: string, container: string): string {
    return join(this.podDir(uid), "containers", container, "termination-log");
  }

  private source(pod: Pod): ObjectSource {
    const namespace = pod.metadata?.namespace ?? "default";
    const get = <T>(r: typeof CONFIGMAPS | typeof SECRETS, name: string): Promise<T | undefined> =>
      this.opts.client.get<T>(r, name, { namespace }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    return {
      configMap: (name) => get<ConfigMap>(CONFIGMAPS, name),
      secret: (name) => get<Secret>(SECRETS, name),
      allocatable: async () => {
        if (!this.allocatable) {
          const node = await this.opts.client.get<Node>(NODES, this.opts.nodeName);
          this.allocatable = (node.status?.allocatable ?? {}) as Allocatable;
        }
        return this.allocatable;
      },
      serviceAccountToken: this.tokenSource(pod),
    };
  }

  private fieldCtx() {
    return { nodeName: this.opts.nodeName, hostIP: this.opts.hostIP };
  }

  /** Sets up every volume of the pod (idempotent); a failure names the volume (VolumeSetupError). */
  async prepare(pod: Pod): Promise<PreparedVolumes> {
    const uid = pod.metadata?.uid ?? "";
    const dir = this.podDir(uid);
    await mkdir(join(dir, "volumes"), { recursive: true, mode: 0o750 });
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const out: PreparedVolumes = new Map();
    const src = this.source(pod);
    for (const vol of pod.spec?.volumes ?? []) {
      try {
        out.set(vol.name, await this.prepareOne(pod, dir, vol, src, fsGroup));
      } catch (err) {
        if (err instanceof VolumeSetupError) throw err;
        throw new VolumeSetupError(vol.name, (err as Error).message);
      }
    }
    this.scheduleRefresh(pod);
    return out;
  }

  private async prepareOne(pod: Pod, dir: string, vol: Volume, src: ObjectSource, fsGroup: number | undefined): Promise<PreparedVolume> {
    if (vol.emptyDir) {
      const path = join(dir, "volumes", "kubernetes.io~empty-dir", vol.name);
      await mkdir(path, { recursive: true });
      const medium = vol.emptyDir.medium ?? "";
      if (medium === "Memory") {
        if (!(await isMountPoint(path))) {
          const opts = ["nosuid", "nodev"];
          if (vol.emptyDir.sizeLimit !== undefined) opts.push(`size=${quantityValue(parseQuantity(vol.emptyDir.sizeLimit))}`);
          await mount("tmpfs", "tmpfs", path, opts);
        }
      } else if (medium !== "") {
        throw new Error(`emptyDir medium ${medium} is not supported`);
      }
      await chmod(path, 0o777);
      if (fsGroup !== undefined) {
        await chown(path, -1, fsGroup);
        await chmod(path, 0o2777);
      }
      return { path, readOnly: false };
    }
    if (vol.hostPath) {
      await checkHostPath(vol.hostPath.path, vol.hostPath.type);
      return { path: vol.hostPath.path, readOnly: false };
    }
    const plugin = atomicPlugin(vol);
    if (plugin) {
      const path = join(dir, "volumes", plugin, vol.name);
      const payload = await volumePayload(pod, vol, src, this.fieldCtx());
      if (this.opts.memoryBackedSecrets && !vol.configMap) {
        await mkdir(path, { recursive: true });
        if (!(await isMountPoint(path))) await mount("tmpfs", "tmpfs", path, ["nosuid", "nodev", "mode=0755"]);
      }
      await writeAtomic(path, payload!, { fsGroup });
      return { path, readOnly: true };
    }
    const kind = Object.keys(vol).find((k) => k !== "name") ?? "unknown";
    throw new Error(`volume type ${kind} is not supported`);
  }

  /**
   * Rewrites configMap/secret/downwardAPI/projected volumes whose content changed (the lifecycle
   * calls it periodically and when the pod's labels/annotations change). Errors are returned per
   * volume; the old content stays, as in Kubernetes.
   */
  async refresh(pod: Pod): Promise<Array<{ volume: string; changed: boolean; error?: string }>> {
    const uid = pod.metadata?.uid ?? "";
    const dir = this.podDir(uid);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const src = this.source(pod);
    const results: Array<{ volume: string; changed: boolean; error?: string }> = [];
    for (const vol of pod.spec?.volumes ?? []) {
      const plugin = atomicPlugin(vol);
      if (!plugin) continue;
      try {
        const payload = await volumePayload(pod, vol, src, this.fieldCtx());
        const changed = await writeAtomic(join(dir, "volumes", plugin, vol.name), payload!, { fsGroup });
        results.push({ volume: vol.name, changed });
      } catch (err) {
        this.opts.log?.(`refreshing volume ${vol.name} of pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(err as Error).message}`);
        results.push({ volume: vol.name, changed: false, error: (err as Error).message });
      }
    }
    return results;
  }

  /** Writes the pod's hosts, resolv.conf and hostname files; returns their paths. */
  async podFiles(pod: Pod, ip: string): Promise<PodFilePaths> {
    const dir = this.podDir(pod.metadata?.uid ?? "");
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const domain = this.opts.clusterDomain;
    const nodeResolv = await readFile(this.opts.hostResolvConf ?? "/etc/resolv.conf", "utf8").catch(() => "");
    const nodeHosts = pod.spec?.hostNetwork ? await readFile(this.opts.hostHosts ?? "/etc/hosts", "utf8").catch(() => "") : undefined;
    const ips = pod.status?.podIPs?.map((p) => p.ip).filter((x): x is string => !!x);
    const hosts = hostsFile(pod, ips?.length ? ips : ip ? [ip] : [], { clusterDomain: domain, nodeHosts });
    const dns = podDnsConfig(pod, parseResolvConf(nodeResolv), { clusterDNS: this.opts.clusterDNS, clusterDomain: domain });
    const paths: PodFilePaths = { hosts: join(dir, "etc-hosts"), resolvConf: join(dir, "resolv.conf"), hostname: join(dir, "hostname") };
    await Promise.all([
      writeFile(paths.hosts, hosts, { mode: 0o644 }),
      writeFile(paths.resolvConf, formatResolvConf(dns), { mode: 0o644 }),
      writeFile(paths.hostname, podHostname(pod, domain).uts + "\n", { mode: 0o644 }),
    ]);
    return paths;
  }

  /**
   * The container's mounts: its volumeMounts (subPath/subPathExpr made and checked to stay inside
   * the volume), the termination log, then /etc/hosts, /etc/hostname and /etc/resolv.conf unless
   * the container mounts something there itself. `env` (the container's resolved variables)
   * expands subPathExpr. Creates the termination log file (empty) — call once per container start.
   */
  containerMounts(
    pod: Pod,
    container: Container,
    volumes: PreparedVolumes,
    podFiles: PodFilePaths,
    env?: ReadonlyArray<readonly [string, string]>,
  ): RuntimeMount[] {
    const out: RuntimeMount[] = [];
    const lookup = lookupIn(new Map(env ?? []));
    for (const vm of container.volumeMounts ?? []) {
      const vol = volumes.get(vm.name);
      if (!vol) throw new Error(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
      let source = vol.path;
      const sub = vm.subPathExpr ? expandVars(vm.subPathExpr, lookup) : vm.subPath;
      if (sub) {
        validateSubPath(sub);
        source = join(vol.path, sub);
        safeMakeDir(vol.path, sub);
      }
      out.push({ source, destination: vm.mountPath, readOnly: !!vm.readOnly || vol.readOnly });
    }
    const mounted = new Set(out.map((m) => posix.normalize(m.destination)));
    const terminationPath = container.terminationMessagePath ?? "/dev/termination-log";
    if (terminationPath && !mounted.has(terminationPath)) {
      const log = this.terminationLogPath(pod.metadata?.uid ?? "", container.name);
      mkdirSync(join(log, ".."), { recursive: true });
      writeFileSync(log, "");
      // Any container user must be able to write its message (the kubelet makes it 0666 too).
      chmodSync(log, 0o666);
      out.push({ source: log, destination: terminationPath, readOnly: false });
    }
    const rootRO = !!container.securityContext?.readOnlyRootFilesystem;
    if (!mounted.has("/etc/hosts")) out.push({ source: podFiles.hosts, destination: "/etc/hosts", readOnly: false });
    if (!mounted.has("/etc/hostname")) out.push({ source: podFiles.hostname, destination: "/etc/hostname", readOnly: rootRO });
    if (!mounted.has("/etc/resolv.conf")) out.push({ source: podFiles.resolvConf, destination: "/etc/resolv.conf", readOnly: rootRO });
    return out;
  }

  /** Unmounts what is mounted under the pod's dir (tmpfs emptyDirs and secret volumes) and removes it. Idempotent. */
  async cleanup(podUid: string): Promise<void> {
    const dir = this.podDir(podUid);
    clearInterval(this.refreshers.get(podUid));
    this.refreshers.delete(podUid);
    this.tokens?.forget(podUid);
    for (const m of await mountsUnder(dir)) await unmount(m);
    // Never follow into something still mounted: refuse rather than delete through a mount.
    if ((await mountsUnder(dir)).length) throw new Error(`cleaning up pod ${podUid}: mounts remain under ${dir}`);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Creates `base`/`sub` one component at a time (like the kubelet's SafeMakeDir): every existing
 * component, symlinks resolved, must stay inside `base`, so a link planted in a volume cannot make
 * the kubelet create or mount something elsewhere on the node.
 */
function safeMakeDir(base: string, sub: string): void {
  const realBase = realpathSync(base);
  const inside = (p: string): boolean => p === realBase || p.startsWith(realBase + "/");
  let cur = base;
  for (const part of sub.split("/").filter((x) => x && x !== ".")) {
    cur = join(cur, part);
    let exists = true;
    try {
      lstatSync(cur);
    } catch {
      exists = false;
    }
    if (exists) {
      let real: string;
      try {
        real = realpathSync(cur);
      } catch {
        throw new Error(`subpath "${sub}" has a dangling link at ${cur}`);
      }
      if (!inside(real)) throw new Error(`subpath "${sub}" not within volume path "${base}"`);
    } else {
      mkdirSync(cur, { mode: 0o755 });
    }
  }
}
