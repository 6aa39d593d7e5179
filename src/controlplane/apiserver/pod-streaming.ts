// pods/log, pods/exec, pods/attach and pods/portforward: find the pod's node and pass the request
// to that node's kubelet (HTTPS on its InternalIP, port from status.daemonEndpoints, default
// 10250), presenting the kube-apiserver-kubelet-client certificate. Logs are streamed through;
// exec/attach/port-forward upgrades (WebSocket or SPDY) are relayed byte for byte, so the kubelet
// terminates the protocols and the API server never parses them.

import https from "node:https";
import tls from "node:tls";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { StatusError, badRequest, unauthorized, type Status } from "../../api/errors.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { HandlerDeps } from "./handlers.js";
import { parseRequestInfo } from "./request-info.js";

export const STREAMING_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);
const DEFAULT_KUBELET_PORT = 10250;

interface PodLike extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
    ephemeralContainers?: Array<{ name: string }>;
  };
}

interface NodeLike extends KubeObject {
  status?: { addresses?: Array<{ type: string; address: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** Kubernetes' validateContainer: the named container must exist; with none named, the only one. */
export function chooseContainer(pod: PodLike, container: string): string {
  const name = pod.metadata?.name ?? "";
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
  if (!container) {
    const regular = pod.spec?.containers ?? [];
    if (regular.length === 1) return regular[0].name;
    if (regular.length === 0) throw badRequest(`pod ${name} does not have a container`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(" ")}]`);
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** The address and port of a node's kubelet: InternalIP first, then Hostname, ExternalIP. */
export function kubeletEndpoint(node: NodeLike): { host: string; port: number } | undefined {
  const addrs = node.status?.addresses ?? [];
  const pick = ["InternalIP", "Hostname", "InternalDNS", "ExternalIP", "ExternalDNS"].map((t) => addrs.find((a) => a.type === t)).find(Boolean);
  if (!pick) return undefined;
  return { host: pick.address, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT };
}

export interface KubeletTarget {
  host: string;
  port: number;
  /** Path and query on the kubelet. */
  path: string;
}

function def(deps: HandlerDeps, kind: "pods" | "nodes"): ResourceDef {
  const r = deps.knowledge.resource("", "v1", kind);
  if (!r) throw new Error(`resource ${kind} not served`);
  return r;
}

/** Resolves where a pod's log/exec/attach/portforward request goes on its kubelet. */
export async function kubeletTarget(deps: HandlerDeps, ns: string, podName: string, sub: string, query: URLSearchParams): Promise<KubeletTarget> {
  const pod = (await deps.registry.get(def(deps, "pods"), ns, podName)) as PodLike;
  const q = new URLSearchParams(query);
  let path: string;
  const enc = encodeURIComponent;
  if (sub === "portforward") {
    path = `/portForward/${enc(ns)}/${enc(podName)}`;
  } else {
    const container = chooseContainer(pod, query.get("container") ?? "");
    q.delete("container");
    const base = sub === "log" ? "containerLogs" : sub;
    path = `/${base}/${enc(ns)}/${enc(podName)}/${enc(container)}`;
  }
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
  const node = (await deps.registry.get(def(deps, "nodes"), "", nodeName)) as NodeLike;
  const ep = kubeletEndpoint(node);
  if (!ep) throw badRequest(`node ${nodeName} has no address`);
  const qs = q.toString();
  return { ...ep, path: qs ? `${path}?${qs}` : path };
}

function backendError(err: Error): StatusError {
  return new StatusError(500, "InternalError", `error dialing backend: ${err.message}`);
}

/** GET pods/{name}/log: the kubelet's text, streamed (follow keeps the response open). */
export async function servePodLog(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, ns: string, name: string, query: URLSearchParams): Promise<void> {
  const client = deps.kubeletClient;
  if (!client) throw new StatusError(503, "ServiceUnavailable", "the API server has no kubelet client credentials");
  const target = await kubeletTarget(deps, ns, name, "log", query);
  await new Promise<void>((resolve, reject) => {
    const up = https.request(
      { host: target.host, port: target.port, path: target.path, method: "GET", cert: client.cert, key: client.key, rejectUnauthorized: false, servername: undefined },
      (kres) => {
        if (kres.statusCode !== 200) {
          const chunks: Buffer[] = [];
          kres.on("data", (c: Buffer) => chunks.push(c));
          kres.on("end", () => reject(statusFromKubelet(kres.statusCode ?? 500, Buffer.concat(chunks).toString("utf8"))));
          kres.on("error", reject);
          return;
        }
        res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
        res.flushHeaders();
        kres.pipe(res);
        kres.on("end", () => resolve());
        kres.on("error", () => {
          res.end();
          resolve();
        });
      },
    );
    up.on("error", (err) => reject(backendError(err)));
    const abort = () => up.destroy();
    req.on("close", abort);
    res.on("close", abort);
    up.end();
  });
}

/** The kubelet answers errors as Status JSON (ours) or text (a real kubelet); both become a Status. */
export function statusFromKubelet(code: number, body: string): StatusError {
  try {
    const s = JSON.parse(body) as Status;
    if (s && s.kind === "Status" && typeof s.message === "string") {
      return new StatusError(s.code || code, s.reason || "BadRequest", s.message);
    }
  } catch {
    // not JSON
  }
  const text = body.trim();
  if (code === 404) return new StatusError(404, "NotFound", text || "not found");
  return new StatusError(code >= 500 ? 500 : 400, code >= 500 ? "InternalError" : "BadRequest", text || `kubelet answered ${code}`);
}

function writeStatus(socket: Duplex, err: unknown): void {
  const status = err instanceof StatusError ? err.status : new StatusError(500, "InternalError", err instanceof Error ? err.message : String(err)).status;
  const body = Buffer.from(JSON.stringify(status), "utf8");
  const reason = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable" }[status.code] ?? "Internal Server Error";
  socket.end(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, "latin1"),
      body,
    ]),
  );
}

const HOP_HEADERS = new Set(["host", "authorization", "content-length", "transfer-encoding", "proxy-connection", "keep-alive"]);

/**
 * Relays an upgrade request (exec/attach/portforward) to the pod's kubelet and splices the sockets.
 * `authenticate` is the API server's own (client certificate, else bearer token).
 */
export async function handleStreamingUpgrade(
  deps: HandlerDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  log: (m: string) => void,
  authenticate: (req: IncomingMessage) => Promise<{ name: string } | undefined>,
): Promise<void> {
  socket.on("error", () => socket.destroy());
  try {
    const user = await authenticate(req);
    if (!user) throw unauthorized();
    const url = new URL(req.url ?? "/", "https://localhost");
    const info = parseRequestInfo(req.method ?? "GET", url.pathname, url.searchParams);
    if (!info.isResourceRequest || info.group !== "" || info.resource !== "pods" || !STREAMING_SUBRESOURCES.has(info.subresource) || !info.name) {
      throw badRequest(`upgrade is not supported for ${url.pathname}`);
    }
    if (info.verb !== "get" && info.verb !== "create") throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    const client = deps.kubeletClient;
    if (!client) throw new StatusError(503, "ServiceUnavailable", "the API server has no kubelet client credentials");
    const target = await kubeletTarget(deps, info.namespace, info.name, info.subresource, url.searchParams);

    const upstream = tls.connect({ host: target.host, port: target.port, cert: client.cert, key: client.key, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      upstream.once("secureConnect", () => {
        upstream.off("error", reject);
        resolve();
      });
      upstream.once("error", (err) => reject(backendError(err)));
    });
    const lines = [`${req.method} ${target.path} HTTP/1.1`, `Host: ${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!HOP_HEADERS.has(req.rawHeaders[i].toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    const teardown = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on("error", teardown);
    upstream.on("close", () => socket.end());
    socket.on("close", () => upstream.destroy());
  } catch (err) {
    if (!(err instanceof StatusError)) log(`upgrade ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
    writeStatus(socket, err);
  }
}
