// Small HTTP helpers: bounded body reading and JSON/Status responses.

import type { IncomingMessage, ServerResponse } from "node:http";
import { type Status, StatusError, tooLarge } from "../../api/errors.js";

/** Kubernetes refuses request bodies over 3 MiB (etcd's default request limit). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = "application/json"): void {
  sendRaw(res, code, JSON.stringify(body), contentType);
}

export function sendRaw(res: ServerResponse, code: number, payload: string | Buffer, contentType: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(payload),
    "Cache-Control": "no-cache, private",
  });
  res.end(payload);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status.code, status);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof StatusError) {
    sendStatus(res, err.status);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  sendStatus(res, new StatusError(500, "InternalError", `Internal error occurred: ${message}`).status);
}

export function successStatus(details?: Status["details"]): Status {
  const s: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 200 };
  if (details) s.details = details;
  return s;
}
