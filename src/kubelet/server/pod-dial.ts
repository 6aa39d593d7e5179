// How port-forward reaches a pod's port. Kubernetes connects to localhost inside the pod's network
// namespace, so a server bound to 127.0.0.1 in the pod (an admin or debug port) is reachable. Node
// cannot enter another network namespace itself, so: TCP to the pod's IP first (the node routes to
// it, no process needed), and when that is refused, a relay process in the pod's namespace
// (`nsenter --net=NETNS minicluster relay 127.0.0.1 PORT`, stdio ↔ the connection).

import { spawn } from "node:child_process";
import net from "node:net";
import { Duplex } from "node:stream";

export interface DialTarget {
  ip: string;
  /** The pod's network namespace (/run/netns/...); "" when unknown (tests). */
  netnsPath: string;
}

export interface PodDialOptions {
  /** The relay command (default: this executable's `relay`). */
  relay?: string[];
  /** How long the relay may take to connect (default 5 s). */
  timeoutMs?: number;
}

export async function dialPod(target: DialTarget, port: number, opts: PodDialOptions = {}): Promise<Duplex> {
  try {
    return await connectTcp(target.ip, port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED" || !target.netnsPath) throw err;
  }
  return dialInNetns(target.netnsPath, port, opts);
}

function connectTcp(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
    sock.once("error", reject);
  });
}

/** Connects to 127.0.0.1:port inside `netnsPath` through a relay process; rejects with the relay's error. */
export function dialInNetns(netnsPath: string, port: number, opts: PodDialOptions = {}): Promise<Duplex> {
  const relay = opts.relay ?? [process.execPath, "relay"];
  const child = spawn("nsenter", [`--net=${netnsPath}`, "--", ...relay, "127.0.0.1", String(port)], { stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`connecting to 127.0.0.1:${port} in the pod's network namespace timed out`));
    }, opts.timeoutMs ?? 5000);
    const onData = (b: Buffer) => {
      stderr += b.toString();
      if (!stderr.includes(RELAY_CONNECTED)) return;
      clearTimeout(timer);
      child.stderr.off("data", onData);
      child.off("close", onClose);
      child.stderr.resume();
      const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
      duplex.on("close", () => child.kill());
      child.on("error", (e) => duplex.destroy(e));
      resolve(duplex);
    };
    const onClose = () => {
      clearTimeout(timer);
      const msg = stderr.trim().split("\n").pop() || "the relay exited";
      const err: NodeJS.ErrnoException = new Error(msg);
      if (/ECONNREFUSED/.test(msg)) err.code = "ECONNREFUSED";
      reject(err);
    };
    child.stderr.on("data", onData);
    child.once("close", onClose);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** What the relay prints on stderr once connected. */
export const RELAY_CONNECTED = "relay: connected";

/** `minicluster relay HOST PORT` (hidden): connects, then copies stdin → socket and socket → stdout. */
export function runRelay(argv: string[]): Promise<number> {
  const [host, portText] = argv;
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write("usage: minicluster relay HOST PORT\n");
    return Promise.resolve(2);
  }
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once("connect", () => {
      process.stderr.write(`${RELAY_CONNECTED}\n`);
      process.stdin.pipe(sock);
      sock.pipe(process.stdout);
    });
    sock.on("error", (err: NodeJS.ErrnoException) => {
      process.stderr.write(`relay: ${host}:${port}: ${err.code ?? err.message}\n`);
      resolve(1);
    });
    // The peer is gone: stop reading stdin too, so the process ends.
    sock.on("close", () => {
      process.stdin.destroy();
      resolve(0);
    });
  });
}
