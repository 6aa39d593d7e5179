// Linux capabilities: Docker's/containerd's default set, Kubernetes' add/drop rules (names without
// the CAP_ prefix, "ALL"), and the node's bounding set — "all capabilities" for privileged
// containers means what this process may grant (a node container may lack some, e.g.
// CAP_SYS_RESOURCE where the engine refuses --privileged), as containerd does.

import { readFileSync } from "node:fs";
import type { Capabilities } from "kubernetes-types/core/v1.js";

export const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
] as const;

/** Capability names by number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
] as const;

/** Capability names of a hex mask as in /proc/<pid>/status (CapBnd). */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt("0x" + hex.trim());
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

let bounding: string[] | undefined;
/** This process' bounding set (read once); every known capability when /proc is unreadable. */
export function boundingCapabilities(): string[] {
  if (!bounding) {
    try {
      const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
      bounding = m ? capabilitiesFromMask(m[1]) : [...CAPABILITY_NAMES];
    } catch {
      bounding = [...CAPABILITY_NAMES];
    }
  }
  return bounding;
}

const capName = (c: string): string => {
  const u = c.toUpperCase();
  return u.startsWith("CAP_") ? u : `CAP_${u}`;
};

/** The container's capability set from securityContext.capabilities (containerd's WithCapabilities). */
export function containerCapabilities(caps: Capabilities | undefined, all: readonly string[]): string[] {
  let set: string[] = [...DEFAULT_CAPABILITIES];
  if (!caps) return set;
  const add = caps.add ?? [];
  const drop = caps.drop ?? [];
  if (add.some((c) => c.toUpperCase() === "ALL")) set = [...all];
  if (drop.some((c) => c.toUpperCase() === "ALL")) set = [];
  for (const c of add) {
    if (c.toUpperCase() === "ALL") continue;
    const n = capName(c);
    if (!set.includes(n)) set.push(n);
  }
  const dropped = new Set(drop.filter((c) => c.toUpperCase() !== "ALL").map(capName));
  return set.filter((c) => !dropped.has(c));
}
