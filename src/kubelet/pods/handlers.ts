// Probe and lifecycle-hook actions: exec (through `runc exec` in the container), httpGet (from
// the node to the pod's IP: the node routes to its bridge) and tcpSocket. Each resolves to
// success or failure with the message Kubernetes would show in an Unhealthy event.

import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from "kubernetes-types/core/v1.js";
import type { Runc } from "./runc.js";

export interface HandlerSpec {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
}

export interface HandlerContext {
  runc: Runc;
  containerId: string;
  container: Container;
  podIP: string;
  timeoutMs: number;
}

export interface HandlerResult {
  ok: boolean;
  message: string;
}

function resolvePort(port: number | string, c: Container): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export function runHandler(h: HandlerSpec, ctx: HandlerContext): Promise<HandlerResult> {
  if (h.exec) return execHandler(h.exec, ctx);
  if (h.httpGet) return httpHandler(h.httpGet, ctx);
  if (h.tcpSocket) return tcpHandler(h.tcpSocket, ctx);
  return Promise.resolve({ ok: false, message: "the handler has no action" });
}

async function execHandler(a: ExecAction, ctx: HandlerContext): Promise<HandlerResult> {
  const r = await ctx.runc.exec(ctx.containerId, a.command ?? [], ctx.timeoutMs);
  if (r.timedOut) return { ok: false, message: `command "${(a.command ?? []).join(" ")}" timed out` };
  if (r.code === 0) return { ok: true, message: r.output };
  return { ok: false, message: r.output.trim() || `command "${(a.command ?? []).join(" ")}" exited with ${r.code}` };
}

function httpHandler(a: HTTPGetAction, ctx: HandlerContext): Promise<HandlerResult> {
  const port = resolvePort(a.port, ctx.container);
  const host = a.host || ctx.podIP;
  const scheme = (a.scheme ?? "HTTP").toLowerCase();
  let p = a.path ?? "/";
  if (!p.startsWith("/")) p = `/${p}`;
  const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${p}`;
  if (port === undefined) return Promise.resolve({ ok: false, message: `port ${String(a.port)} is not a named port of the container` });
  if (!host) return Promise.resolve({ ok: false, message: "the pod has no IP" });
  return new Promise((resolve) => {
    const headers: Record<string, string> = { "user-agent": "kube-probe/1.30", accept: "*/*" };
    for (const h of a.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    const mod = scheme === "https" ? https : http;
    const req = mod.get(url, { headers, timeout: ctx.timeoutMs, ...(scheme === "https" ? { rejectUnauthorized: false } : {}) }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 400) resolve({ ok: true, message: "" });
      else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, message: `Get "${url}": dial tcp ${host}:${port}: connect: ${err.code === "ECONNREFUSED" ? "connection refused" : err.message}` });
    });
  });
}

function tcpHandler(a: TCPSocketAction, ctx: HandlerContext): Promise<HandlerResult> {
  const port = resolvePort(a.port, ctx.container);
  const host = a.host || ctx.podIP;
  if (port === undefined) return Promise.resolve({ ok: false, message: `port ${String(a.port)} is not a named port of the container` });
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: ctx.timeoutMs });
    s.on("connect", () => {
      s.destroy();
      resolve({ ok: true, message: "" });
    });
    s.on("timeout", () => {
      s.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    s.on("error", (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, message: `dial tcp ${host}:${port}: connect: ${err.code === "ECONNREFUSED" ? "connection refused" : err.message}` });
    });
  });
}
