// What the kubelet's HTTPS API needs from the pod manager (the interfaces of the issue-4 contract;
// the pod manager in src/kubelet/pods implements them).

import type { EventEmitter } from "node:events";
import type { TerminalSize } from "../../streaming/index.js";

export interface AttachedContainer {
  stdin?: NodeJS.WritableStream;
  /** 'data' (stream: "stdout" | "stderr", chunk: Buffer) and 'exit' (exitCode?: number). */
  output: EventEmitter;
  /** A tty container: sets its terminal's size (kubectl attach -t sends the client's). */
  resize?(size: TerminalSize): void | Promise<void>;
}

export interface ContainerHandle {
  runcId: string;
  /** The running attempt's OCI bundle (its config.json's process is what `runc exec` starts from). */
  bundleDir?: string;
  podUid: string;
  namespace: string;
  pod: string;
  container: string;
  logPath: string;
  previousLogPath?: string;
  running: boolean;
  tty: boolean;
  stdin: boolean;
  /** Why a container that is not running waits (ContainerCreating, CrashLoopBackOff, ...). */
  waitingReason?: string;
  attach?(): AttachedContainer;
}

export interface PodLocator {
  container(namespace: string, pod: string, container?: string): ContainerHandle | undefined;
  podNetwork(namespace: string, pod: string): { uid: string; netnsPath: string; ip: string } | undefined;
}
