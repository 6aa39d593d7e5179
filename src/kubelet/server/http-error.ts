// Errors the kubelet API answers with: a metav1.Status body, which the API server passes on.

import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { rejectUpgrade } from "../../streaming/upgrade.js";

const REASONS: Record<number, string> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 500: "InternalError" };

export class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason = REASONS[code] ?? "InternalError",
  ) {
    super(message);
  }
}

export function statusBody(code: number, message: string, reason = REASONS[code] ?? "InternalError"): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}

export function sendHttpError(res: ServerResponse, err: unknown): void {
  const e = err instanceof HttpError ? err : new HttpError(500, err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = statusBody(e.code, e.message, e.reason);
  res.writeHead(e.code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function rejectUpgradeWith(socket: Duplex, err: unknown): void {
  const e = err instanceof HttpError ? err : new HttpError(500, err instanceof Error ? err.message : String(err));
  rejectUpgrade(socket, e.code, statusBody(e.code, e.message, e.reason), {}, "application/json");
}
