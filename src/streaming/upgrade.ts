// Accepting the two kinds of upgrade a streaming request arrives with: "Upgrade: SPDY/3.1" with
// X-Stream-Protocol-Version negotiation (Kubernetes' httpstream.Handshake), or a WebSocket.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { SpdySession } from "./spdy/session.js";
import { negotiate, splitProtocols } from "./remotecommand/protocol.js";

export type UpgradeKind = "spdy" | "websocket" | undefined;

export function upgradeKind(req: IncomingMessage): UpgradeKind {
  const connection = String(req.headers.connection ?? "").toLowerCase();
  if (!connection.includes("upgrade")) return undefined;
  const upgrade = String(req.headers.upgrade ?? "").toLowerCase();
  if (upgrade === "websocket") return "websocket";
  if (upgrade.startsWith("spdy/")) return "spdy";
  return undefined;
}

/** Writes a plain HTTP error on a socket that has not been upgraded, then closes it. */
export function rejectUpgrade(socket: Duplex, code: number, message: string, extraHeaders: Record<string, string | string[]> = {}, contentType = "text/plain; charset=utf-8"): void {
  const reason = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway" }[code] ?? "Error";
  const body = Buffer.from(message, "utf8");
  const lines = [`HTTP/1.1 ${code} ${reason}`, `Content-Type: ${contentType}`, `Content-Length: ${body.length}`, "Connection: close"];
  for (const [k, v] of Object.entries(extraHeaders)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), body]));
}

/**
 * Completes a SPDY/3.1 upgrade: negotiates the stream protocol (the client's first one we
 * support), answers 101 and returns a server-side SPDY session, or answers the error itself.
 */
export function acceptSpdyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: readonly string[],
  log?: (m: string) => void,
): { session: SpdySession; protocol: string } | undefined {
  const offered = splitProtocols(req.headers["x-stream-protocol-version"]);
  if (offered.length === 0) {
    rejectUpgrade(socket, 400, `unable to upgrade: header X-Stream-Protocol-Version does not exist in request`);
    return undefined;
  }
  const protocol = negotiate(offered, supported);
  if (!protocol) {
    rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${supported.join(" ")}]`, {
      "X-Accepted-Stream-Protocol-Versions": [...supported],
    });
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  const session = new SpdySession(socket, { server: true, log });
  if (head.length) socket.unshift(head);
  return { session, protocol };
}
