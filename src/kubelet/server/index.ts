// The kubelet's HTTPS API (port 10250): container logs, exec, attach and port-forward, as the API
// server proxies them (and as the admin may call them directly). Client-certificate
// authentication against the cluster CA; only system:masters or kube-apiserver-kubelet-client.
//
// Streaming requests arrive as upgrades: a WebSocket (remote command channel protocols v1–v5;
// port-forward as SPDY tunnelled in a WebSocket) or "Upgrade: SPDY/3.1" for older kubectl.

import https from "node:https";
import net from "node:net";
import { constants as osConstants } from "node:os";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { WebSocket, WebSocketServer } from "ws";
import { userFromPeerCertificate } from "../../controlplane/pki/authn.js";
import {
  PORTFORWARD_PROTOCOL,
  PORTFORWARD_TUNNEL_PROTOCOL,
  SPDY_PROTOCOLS,
  SpdyRemoteCommand,
  SpdySession,
  WS_PROTOCOLS,
  WebSocketRemoteCommand,
  acceptSpdyUpgrade,
  negotiate,
  servePortForward,
  streamOptions,
  upgradeKind,
  type PortDialer,
  type RemoteCommandIO,
  type StreamOptions,
  type TerminalSize,
} from "../../streaming/index.js";
import { runcExecLauncher, type ExecLauncher, type ExecProcess } from "./exec.js";
import { HttpError, rejectUpgradeWith, sendHttpError } from "./http-error.js";
import { serveContainerLogs } from "./logs.js";
import { dialPod, type DialTarget } from "./pod-dial.js";
import type { ContainerHandle, PodLocator } from "./types.js";

export type { ContainerHandle, PodLocator, AttachedContainer } from "./types.js";
export { runcExecLauncher, spawnExec, type ExecLauncher, type ExecRequest, type ExecProcess } from "./exec.js";
export { kubeletServingTls } from "./tls.js";

export const KUBELET_PORT = 10250;
/** Stands for PORTFORWARD_TUNNEL_PROTOCOL in the request handed to `ws` (which would reject its "/"). */
const TUNNEL_TOKEN = "mc-portforward-tunnel";
/** The user the API server presents to kubelets. */
export const APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client";

export interface KubeletServerOptions {
  locator: PodLocator;
  tls: { cert: string; key: string };
  /** PEM of the CA client certificates must chain to (the cluster CA). */
  clientCa: string;
  host?: string;
  /** Default 10250; 0 picks a free port. */
  port?: number;
  log?: (msg: string) => void;
  /** How exec starts processes (default: `runc exec`). */
  exec?: ExecLauncher;
  /** How port-forward reaches a pod's port (default: pod-dial.ts — the pod IP, else localhost in the pod's netns). */
  dial?: (pod: { namespace: string; name: string; uid: string; ip: string; netnsPath: string }, port: number) => Promise<Duplex>;
  now?: () => Date;
}

export interface KubeletServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

type Route =
  | { kind: "healthz" }
  | { kind: "containerLogs" | "exec" | "attach"; ns: string; pod: string; container: string }
  | { kind: "portForward"; ns: string; pod: string };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function route(pathname: string): Route | undefined {
  const p = pathname.split("/").filter(Boolean).map(decode);
  if (p.length === 1 && p[0] === "healthz") return { kind: "healthz" };
  if (p[0] === "containerLogs" && p.length === 4) return { kind: "containerLogs", ns: p[1], pod: p[2], container: p[3] };
  if ((p[0] === "exec" || p[0] === "attach") && (p.length === 4 || p.length === 5)) {
    // /exec/{ns}/{pod}/{container} or /exec/{ns}/{pod}/{uid}/{container}
    return { kind: p[0], ns: p[1], pod: p[2], container: p[p.length - 1] };
  }
  if (p[0] === "portForward" && (p.length === 3 || p.length === 4)) return { kind: "portForward", ns: p[1], pod: p[2] };
  return undefined;
}

/** Who may use this API: the admin (system:masters) and the API server's kubelet client. */
export function authorize(socket: TLSSocket): void {
  const user = userFromPeerCertificate(socket.getPeerCertificate?.(), socket.authorized);
  if (!user) throw new HttpError(401, "Unauthorized");
  if (user.groups.includes("system:masters") || user.name === APISERVER_KUBELET_CLIENT) return;
  throw new HttpError(403, `Forbidden (user=${user.name}, verb=get, resource=nodes, subresource(s)=[proxy])`);
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const log = opts.log ?? (() => {});
  const exec = opts.exec ?? runcExecLauncher();
  const dial = opts.dial ?? ((pod: DialTarget, port: number) => dialPod(pod, port));

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? "/", "https://kubelet");
      const r = route(url.pathname);
      if (r?.kind === "healthz") {
        res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("ok");
        return;
      }
      authorize(req.socket as TLSSocket);
      if (!r) throw new HttpError(404, "the server could not find the requested resource", "NotFound");
      if (r.kind === "containerLogs") {
        if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, `method ${req.method} not allowed`);
        await serveContainerLogs({ locator: opts.locator, now: opts.now }, req, res, r.ns, r.pod, r.container, url.searchParams);
        return;
      }
      throw new HttpError(400, "Upgrade request required");
    } catch (err) {
      if (!(err instanceof HttpError)) log(`kubelet API ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      sendHttpError(res, err);
    }
  };

  // One WebSocket server per kind of subprotocol set; both only complete handshakes we route. The
  // `ws` module is loaded on the first WebSocket upgrade, not at start: most kubelets never see one,
  // and a worker's memory is counted (an upgraded socket buffers what arrives meanwhile).
  let webSockets: Promise<WebSocketServers> | undefined;
  let loaded: WebSocketServers | undefined;
  const withWebSockets = (socket: Duplex, use: (w: WebSocketServers) => void) => {
    webSockets ??= import("ws").then((ws) => {
      loaded = {
        createWebSocketStream: ws.createWebSocketStream,
        remote: new ws.WebSocketServer({ noServer: true, handleProtocols: (offered) => negotiate([...offered], WS_PROTOCOLS) ?? false }),
        // The tunnel's subprotocol has a "/", which `ws` refuses in Sec-WebSocket-Protocol (it is
        // no RFC 7230 token character; Go's websocket libraries accept it): the header is swapped
        // for a token before the handshake (below) and the real name answered here.
        tunnel: new ws.WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(TUNNEL_TOKEN) ? PORTFORWARD_TUNNEL_PROTOCOL : false) }),
      };
      return loaded;
    });
    webSockets.then(use).catch((err: unknown) => {
      log(`kubelet API WebSocket upgrade: ${err instanceof Error ? err.message : String(err)}`);
      rejectUpgradeWith(socket, err);
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    try {
      authorize(req.socket as TLSSocket);
      const url = new URL(req.url ?? "/", "https://kubelet");
      const r = route(url.pathname);
      if (!r || r.kind === "healthz" || r.kind === "containerLogs") throw new HttpError(404, "the server could not find the requested resource", "NotFound");
      const kind = upgradeKind(req);
      if (!kind) throw new HttpError(400, `unsupported upgrade: ${String(req.headers.upgrade ?? "")}`);

      if (r.kind === "portForward") {
        const net_ = opts.locator.podNetwork(r.ns, r.pod);
        if (!net_) throw new HttpError(404, `pod "${r.pod}" in namespace "${r.ns}" not found`, "NotFound");
        const pod = { namespace: r.ns, name: r.pod, uid: net_.uid, ip: net_.ip, netnsPath: net_.netnsPath };
        const dialer: PortDialer = (port) => dial(pod, port);
        const describe = () => `pod ${r.ns}/${r.pod}, uid ${net_.uid}`;
        if (kind === "spdy") {
          const up = acceptSpdyUpgrade(req, socket, head, [PORTFORWARD_PROTOCOL], log);
          if (up) servePortForward(up.session, dialer, describe, log);
          return;
        }
        if (!splitHeader(req.headers["sec-websocket-protocol"]).includes(PORTFORWARD_TUNNEL_PROTOCOL)) {
          throw new HttpError(400, `port-forward over WebSocket needs the subprotocol ${PORTFORWARD_TUNNEL_PROTOCOL}`);
        }
        req.headers["sec-websocket-protocol"] = TUNNEL_TOKEN;
        withWebSockets(socket, (w) =>
          w.tunnel.handleUpgrade(req, socket, head, (ws) => {
            const stream = w.createWebSocketStream(ws);
            stream.on("error", () => ws.terminate());
            const session = new SpdySession(stream, { server: true, log });
            servePortForward(session, dialer, describe, log);
          }),
        );
        return;
      }

      const options = streamOptions(url.searchParams);
      const handle = opts.locator.container(r.ns, r.pod, r.container);
      if (!handle) {
        if (!opts.locator.podNetwork(r.ns, r.pod)) throw new HttpError(404, `pod "${r.pod}" in namespace "${r.ns}" not found`, "NotFound");
        throw new HttpError(400, `container "${r.container}" in pod "${r.pod}" is not running`);
      }
      if (!handle.running) throw new HttpError(400, `container "${r.container}" in pod "${r.pod}" is not running`);
      const command = url.searchParams.getAll("command");
      if (r.kind === "exec" && command.length === 0) throw new HttpError(400, "you must specify at least 1 command");
      if (!options.stdin && !options.stdout && !options.stderr) throw new HttpError(400, "you must specify at least 1 of stdin, stdout, stderr");
      if (r.kind === "attach" && !handle.attach) throw new HttpError(400, `container "${r.container}" in pod "${r.pod}" cannot be attached to`);
      const run = (io: RemoteCommandIO) => (r.kind === "exec" ? runExec(io, exec, handle, command, log) : runAttach(io, handle));

      if (kind === "spdy") {
        const up = acceptSpdyUpgrade(req, socket, head, SPDY_PROTOCOLS, log);
        if (!up) return;
        SpdyRemoteCommand.accept(up.session, up.protocol, options).then(run, (err: Error) => log(`${r.kind} ${r.ns}/${r.pod}: ${err.message}`));
        return;
      }
      withWebSockets(socket, (w) =>
        w.remote.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          run(new WebSocketRemoteCommand(ws, ws.protocol, options as StreamOptions));
        }),
      );
    } catch (err) {
      if (!(err instanceof HttpError)) log(`kubelet API upgrade ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      rejectUpgradeWith(socket, err);
    }
  };

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.clientCa, requestCert: true, rejectUnauthorized: false }, (req, res) => void onRequest(req, res));
  server.on("upgrade", onUpgrade);
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? KUBELET_PORT, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== "0.0.0.0" ? opts.host : "127.0.0.1";
  return {
    port,
    url: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of loaded ? [...loaded.remote.clients, ...loaded.tunnel.clients] : []) ws.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}

interface WebSocketServers {
  createWebSocketStream: typeof import("ws").createWebSocketStream;
  remote: WebSocketServer;
  tunnel: WebSocketServer;
}

function splitHeader(v: string | string[] | undefined): string[] {
  return (Array.isArray(v) ? v : v ? [v] : []).flatMap((s) => s.split(",")).map((s) => s.trim());
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return n ?? 0;
}


/** How long a terminal exec waits for the client's first size before starting without one. */
const FIRST_SIZE_WAIT_MS = 500;

function runExec(io: RemoteCommandIO, launch: ExecLauncher, handle: ContainerHandle, command: string[], log: (m: string) => void): void {
  // kubectl sends the terminal size right after connecting; with a terminal, wait briefly for it
  // so the command starts with the right size (a shell's first prompt, `stty size`).
  const early: Buffer[] = [];
  let earlyEnd = false;
  let gone = false;
  const onEarlyStdin = (b: Buffer) => early.push(b);
  const onEarlyEnd = () => (earlyEnd = true);
  const onEarlyClose = () => (gone = true);
  io.on("stdin", onEarlyStdin);
  io.on("stdin-end", onEarlyEnd);
  io.on("close", onEarlyClose);
  let started = false;
  const start = (size?: TerminalSize) => {
    if (started) return;
    started = true;
    io.off("stdin", onEarlyStdin);
    io.off("stdin-end", onEarlyEnd);
    io.off("close", onEarlyClose);
    if (gone) return;
    startExec(io, launch, handle, command, size, early, earlyEnd, log);
  };
  if (!io.options.tty) return start();
  io.once("resize", (size: TerminalSize) => start(size));
  setTimeout(() => start(), FIRST_SIZE_WAIT_MS).unref();
}

function startExec(
  io: RemoteCommandIO,
  launch: ExecLauncher,
  handle: ContainerHandle,
  command: string[],
  size: TerminalSize | undefined,
  early: Buffer[],
  earlyEnd: boolean,
  log: (m: string) => void,
): void {
  let proc: ExecProcess;
  try {
    proc = launch({ handle, command, tty: io.options.tty, stdin: io.options.stdin, size });
  } catch (err) {
    void io.finish({ error: `failed to exec in container: ${(err as Error).message}` });
    return;
  }
  const { child } = proc;
  let spawnError: Error | undefined;
  child.on("error", (err) => {
    spawnError = err;
    log(`exec ${handle.namespace}/${handle.pod}/${handle.container}: ${err.message}`);
  });
  child.stdin?.on("error", () => {});
  for (const b of early) child.stdin?.write(b);
  if (earlyEnd) child.stdin?.end();
  io.on("stdin", (b: Buffer) => child.stdin?.write(b));
  io.on("stdin-end", () => child.stdin?.end());
  io.on("resize", (s: TerminalSize) => void proc.resize(s));
  child.stdout?.on("data", (b: Buffer) => {
    if (!io.writeStdout(b)) {
      child.stdout?.pause();
      setTimeout(() => child.stdout?.resume(), 10);
    }
  });
  child.stderr?.on("data", (b: Buffer) => {
    if (io.options.stderr || io.options.tty) io.writeStderr(b);
  });
  let exited = false;
  io.on("close", () => {
    if (exited) return;
    child.kill("SIGTERM");
    setTimeout(() => {
      if (!exited) child.kill("SIGKILL");
    }, 5000).unref();
  });
  child.on("close", (code, signal) => {
    exited = true;
    if (spawnError) {
      void io.finish({ error: `failed to exec in container: ${spawnError.message}` });
      return;
    }
    void io.finish({ exitCode: code ?? 128 + signalNumber(signal), command });
  });
}

function runAttach(io: RemoteCommandIO, handle: ContainerHandle): void {
  const attached = handle.attach!();
  const onData = (stream: string, chunk: Buffer) => {
    if (stream === "stderr") {
      if (io.options.stderr || io.options.tty) io.writeStderr(chunk);
    } else if (io.options.stdout) io.writeStdout(chunk);
  };
  const onExit = () => {
    detach();
    // The kubelet ends an attach with Success whatever the exit code (kubectl would take another
    // for a failed attach and fall back to the logs); `kubectl run -i` reads the code from the pod.
    void io.finish({ exitCode: 0 });
  };
  const detach = () => {
    attached.output.off("data", onData);
    attached.output.off("exit", onExit);
  };
  attached.output.on("data", onData);
  attached.output.on("exit", onExit);
  if (io.options.stdin && attached.stdin) io.on("stdin", (b: Buffer) => attached.stdin!.write(b));
  if (io.options.tty && attached.resize) io.on("resize", (s: TerminalSize) => void attached.resize!(s));
  io.on("close", detach);
}
