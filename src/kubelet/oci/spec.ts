// The OCI runtime spec (config.json, version 1.0.2, as runc 1.1 reads it) of one container, built
// the way containerd's CRI plugin builds it for the kubelet: containerd's default mounts, Docker's
// default capabilities, masked and read-only /proc and /sys paths, new pid/ipc/uts/mount
// namespaces and the pod's network namespace, cgroup resources from requests and limits, no
// seccomp profile. Pure: everything it needs comes in `input`.

import { posix } from "node:path";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { boundingCapabilities, containerCapabilities } from "./capabilities.js";
import type { ImageRecord } from "./image-record.js";
import { containerResources } from "./resources.js";
import { resolveUser, userInputs, type ProcessUser } from "./user.js";

export const OCI_VERSION = "1.0.2";

export interface RuntimeMount {
  source: string;
  destination: string;
  readOnly: boolean;
  type?: "bind" | "tmpfs";
  /** Extra mount options (e.g. "size=64m" for tmpfs). */
  options?: string[];
}

export interface LinuxDevice {
  path: string;
  type: "c" | "b" | "p" | "u";
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciSpecInput {
  pod: Pod;
  container: Container;
  image: ImageRecord;
  rootfs: string;
  /** K=V, final (resolveEnv); HOSTNAME is added when absent. */
  env: string[];
  mounts: RuntimeMount[];
  /** The pod's network namespace; "" = a new one (ignored for hostNetwork pods). */
  netnsPath: string;
  hostname: string;
  cgroupsPath: string;
  /** The final argv (containerArgs). */
  args: string[];
  tty: boolean;
  stdin: boolean;
  // ---- optional extensions to the contract
  /** The resolved user (resolveProcessUser reads the rootfs' /etc/passwd); else numeric image USER / runAsUser. */
  user?: ProcessUser;
  /** What "all capabilities" means (privileged, add: [ALL]); default: this process' bounding set. */
  allCapabilities?: readonly string[];
  oomScoreAdj?: number;
  /** Devices given to privileged containers (listHostDevices). */
  hostDevices?: LinuxDevice[];
  pidsLimit?: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

function defaultMounts(privileged: boolean, hostNetwork: boolean): OciMount[] {
  const ro = privileged ? [] : ["ro"];
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    // sysfs can only be mounted by the owner of the network namespace: host-network containers bind it.
    hostNetwork
      ? { destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", ...ro] }
      : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", ...ro] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", ...ro] },
  ];
}

const cleanPath = (p: string): string => {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
};
const depth = (p: string): number => (p === "/" ? 0 : p.split("/").length - 1);
const isUnder = (p: string, parent: string): boolean => p === parent || p.startsWith(parent === "/" ? "/" : parent + "/");

function volumeMount(m: RuntimeMount): OciMount {
  const rw = m.readOnly ? "ro" : "rw";
  if (m.type === "tmpfs") {
    return { destination: cleanPath(m.destination), type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", ...(m.options ?? []), rw] };
  }
  return { destination: cleanPath(m.destination), type: "bind", source: m.source, options: ["rbind", "rprivate", ...(m.options ?? []), rw] };
}

/**
 * Default mounts, minus those a volume replaces (same destination or below it), then the volume
 * mounts ordered parents first (containerd sorts by depth so /a is mounted before /a/b).
 */
export function buildMounts(mounts: readonly RuntimeMount[], privileged: boolean, hostNetwork: boolean): OciMount[] {
  const user = mounts.map(volumeMount);
  const defaults = defaultMounts(privileged, hostNetwork).filter((d) => !user.some((u) => isUnder(d.destination, u.destination)));
  const sorted = user
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
  return [...defaults, ...sorted];
}

/** Adds HOSTNAME=<hostname> right after PATH unless the env sets it (containerd adds it before the image's env). */
export function withHostnameEnv(env: readonly string[], hostname: string): string[] {
  if (env.some((e) => e.startsWith("HOSTNAME="))) return [...env];
  const pathAt = env.findIndex((e) => e.startsWith("PATH="));
  const out = [...env];
  out.splice(pathAt + 1, 0, `HOSTNAME=${hostname}`);
  return out;
}

export function buildOciSpec(input: OciSpecInput): Record<string, unknown> {
  const { pod, container, image } = input;
  const sc = container.securityContext;
  const privileged = !!sc?.privileged;
  const spec = pod.spec;
  const hostNetwork = !!spec?.hostNetwork;
  const user = input.user ?? resolveUser(userInputs(pod, container, image));
  const all = input.allCapabilities ?? boundingCapabilities();
  const caps = privileged ? [...all] : containerCapabilities(sc?.capabilities, all);
  const unmaskedProc = sc?.procMount === "Unmasked";

  const process: Record<string, unknown> = {
    terminal: input.tty,
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids?.length ? { additionalGids: user.additionalGids } : {}) },
    args: input.args,
    env: withHostnameEnv(input.env, input.hostname),
    cwd: container.workingDir || image.config.workingDir || "/",
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: !privileged && sc?.allowPrivilegeEscalation === false,
  };
  if (input.oomScoreAdj !== undefined) process.oomScoreAdj = input.oomScoreAdj;
  if (input.args.length === 0) throw new Error(`container ${container.name}: no command specified`);

  const namespaces: Array<{ type: string; path?: string }> = [];
  if (!spec?.hostPID) namespaces.push({ type: "pid" });
  if (!spec?.hostIPC) namespaces.push({ type: "ipc" });
  if (!hostNetwork) namespaces.push({ type: "uts" });
  namespaces.push({ type: "mount" });
  if (!hostNetwork) namespaces.push(input.netnsPath ? { type: "network", path: input.netnsPath } : { type: "network" });

  const linux: Record<string, unknown> = {
    namespaces,
    cgroupsPath: input.cgroupsPath,
    resources: containerResources(container, { privileged, pidsLimit: input.pidsLimit }),
    maskedPaths: privileged || unmaskedProc ? [] : MASKED_PATHS,
    readonlyPaths: privileged || unmaskedProc ? [] : READONLY_PATHS,
  };
  const sysctls = spec?.securityContext?.sysctls;
  if (sysctls?.length) linux.sysctl = Object.fromEntries(sysctls.map((s) => [s.name, s.value]));
  if (privileged && input.hostDevices?.length) linux.devices = input.hostDevices;

  return {
    ociVersion: OCI_VERSION,
    process,
    root: { path: input.rootfs, readonly: !!sc?.readOnlyRootFilesystem },
    ...(hostNetwork ? {} : { hostname: input.hostname }),
    mounts: buildMounts(input.mounts, privileged, hostNetwork),
    linux,
  };
}
