// What the pod lifecycle needs from the other kubelet modules (images, pod network, OCI spec,
// volumes, environment), as one injectable object: the real wiring passes the real modules
// (real-deps.ts), tests pass fakes. The OCI builder's input and mounts are its own types
// (oci/spec.ts); the rest is declared here structurally.

import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { RestClient } from "../../client/rest.js";

import type { ImageRecord } from "../oci/image-record.js";
import type { OciSpecInput, RuntimeMount } from "../oci/spec.js";
import type { ProcessUser } from "../oci/user.js";

export type { ImageConfig, ImageRecord } from "../oci/image-record.js";

export interface PodNetworkResult {
  netnsPath: string;
  ip: string;
  prefixLength: number;
  gateway: string;
}

/** A mount of a container (the OCI builder's RuntimeMount). */
export type Mount = RuntimeMount;

export type VolumeMap = Map<string, { path: string; readOnly: boolean }>;
export interface PodFiles {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

/** K=V strings → pairs (what $(VAR) expansion of args and subPathExpr look up). */
export function envPairs(env: string[]): Array<[string, string]> {
  return env.map((e) => {
    const i = e.indexOf("=");
    return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
  });
}

export interface PodRuntimeDeps {
  images: { resolve(ref: string): Promise<ImageRecord | undefined> };
  network: {
    setup(pod: { uid: string; namespace: string; name: string }): Promise<PodNetworkResult>;
    teardown(podUid: string): Promise<void>;
    /** Removes the network state of every pod not in `keep` (after the first list). */
    cleanupExcept?(keep: Iterable<string>): Promise<string[]>;
  };
  volumes: {
    prepare(pod: Pod): Promise<VolumeMap>;
    podFiles(pod: Pod, ip: string): Promise<PodFiles>;
    containerMounts(pod: Pod, container: Container, volumes: VolumeMap, podFiles: PodFiles, env?: Array<[string, string]>): Mount[];
    cleanup(podUid: string): Promise<void>;
    /** The node file behind a container's terminationMessagePath, if the volume manager mounts one. */
    terminationLogPath?(podUid: string, container: string): string;
  };
  buildOciSpec(input: OciSpecInput): object;
  containerArgs(container: Container, image: ImageRecord, env?: Array<[string, string]>): string[];
  /** The process user from the rootfs' /etc/passwd and the security context (passed to buildOciSpec as `user`). */
  resolveUser?(rootfs: string, pod: Pod, container: Container, image: ImageRecord): Promise<ProcessUser>;
  mountRootfs(layers: string[], dir: string): Promise<string>;
  unmountRootfs(dir: string): Promise<void>;
  resolveEnv(pod: Pod, container: Container, image: ImageRecord, ctx: { client: RestClient; nodeName: string; hostIP: string; podIP: string }): Promise<string[]>;
  /** Background parts (the node network's route watcher), started and stopped with the pod manager. */
  start?(): void;
  stop?(): Promise<void>;
}
