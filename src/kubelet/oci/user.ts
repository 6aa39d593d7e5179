// The process user: securityContext runAsUser/runAsGroup (container over pod), else the image's
// USER ("uid", "uid:gid", "name", "name:group"), names looked up in the rootfs' /etc/passwd and
// /etc/group like containerd does; the primary gid of a bare uid comes from /etc/passwd (0 if
// absent). Additional gids: the user's groups in /etc/group, then supplementalGroups, fsGroup.

import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { ImageRecord } from "./image-record.js";

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  username?: string;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? "" });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 3) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: f[3] ? f[3].split(",").filter(Boolean) : [] });
  }
  return out;
}

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

/** Thrown when the image user cannot be resolved (the lifecycle reports CreateContainerConfigError). */
export class UserResolutionError extends Error {
  override readonly name = "UserResolutionError";
}

export interface UserInputs {
  /** securityContext.runAsUser of the container or, else, the pod. */
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  fsGroup?: number;
  /** The image's USER ("" = root). */
  imageUser?: string;
}

export function userInputs(pod: Pod, container: Container, image: ImageRecord): UserInputs {
  const psc = pod.spec?.securityContext;
  const csc = container.securityContext;
  return {
    runAsUser: csc?.runAsUser ?? psc?.runAsUser,
    runAsGroup: csc?.runAsGroup ?? psc?.runAsGroup,
    supplementalGroups: psc?.supplementalGroups,
    fsGroup: psc?.fsGroup,
    imageUser: image.config.user,
  };
}

/**
 * Pure resolution against parsed passwd/group entries. Without them (undefined) only numeric users
 * resolve; a name then throws UserResolutionError.
 */
export function resolveUser(inp: UserInputs, passwd?: PasswdEntry[], groups?: GroupEntry[]): ProcessUser {
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  if (inp.runAsUser !== undefined) {
    uid = inp.runAsUser;
  } else {
    const spec = inp.imageUser ?? "";
    const [u, g] = spec.includes(":") ? [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)] : [spec, undefined];
    if (u === "") {
      uid = 0;
    } else if (isNumeric(u)) {
      uid = Number(u);
    } else {
      const e = passwd?.find((p) => p.name === u);
      if (!e) throw new UserResolutionError(`unable to find user ${u}: no matching entries in passwd file`);
      uid = e.uid;
      gid = e.gid;
      name = e.name;
    }
    if (g !== undefined && g !== "") {
      if (isNumeric(g)) gid = Number(g);
      else {
        const e = groups?.find((x) => x.name === g);
        if (!e) throw new UserResolutionError(`unable to find group ${g}: no matching entries in group file`);
        gid = e.gid;
      }
    }
  }
  const entry = name !== undefined ? passwd?.find((p) => p.name === name) : passwd?.find((p) => p.uid === uid);
  if (inp.runAsGroup !== undefined) gid = inp.runAsGroup;
  if (gid === undefined) gid = entry?.gid ?? 0;
  const extra: number[] = [];
  const add = (g: number): void => {
    if (g !== gid && !extra.includes(g)) extra.push(g);
  };
  if (entry) for (const g of groups ?? []) if (g.members.includes(entry.name)) add(g.gid);
  for (const g of inp.supplementalGroups ?? []) add(g);
  if (inp.fsGroup !== undefined) add(inp.fsGroup);
  return { uid, gid, ...(extra.length ? { additionalGids: extra } : {}), ...(entry ? { username: entry.name } : {}) };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    // A symlink could point at the node's own files: only plain files are read.
    if (!(await lstat(path)).isFile()) return undefined;
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Resolves the process user against the container's rootfs (reads its /etc/passwd and /etc/group). */
export async function resolveProcessUser(rootfs: string, pod: Pod, container: Container, image: ImageRecord): Promise<ProcessUser> {
  const passwd = await readOptional(join(rootfs, "etc/passwd"));
  const group = await readOptional(join(rootfs, "etc/group"));
  return resolveUser(userInputs(pod, container, image), passwd ? parsePasswd(passwd) : [], group ? parseGroup(group) : []);
}
