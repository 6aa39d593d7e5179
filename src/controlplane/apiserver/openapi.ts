// Serves /openapi/v2 (JSON only: clients that accept only protobuf get 406 and fall back) and
// /openapi/v3 with its per-group-version documents, with ETags. Documents are built on first use
// (then warmed in the background) so start-up stays fast.

import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StatusError, notAcceptable } from "../../api/errors.js";
import { buildOpenApiV2, openApiDocuments, type ServedDocument } from "../../api/openapi/index.js";
import { OPENAPI_V2_PROTOBUF_ACCEPT, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, encodeOpenApiV2Protobuf } from "../../api/openapi/protobuf/index.js";
import type { ResourceDef } from "../../api/registry/types.js";
import { parseAccept } from "./negotiate.js";

export interface OpenApiServer {
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): void;
  warm(): void;
}

function acceptsJson(accept: string | undefined): boolean {
  const ranges = parseAccept(accept);
  return ranges.length === 0 || ranges.some((r) => r.type === "application/json" || r.type === "*/*" || r.type === "application/*");
}

/** kubectl 1.27/1.28 read /openapi/v2 only as gnostic protobuf. */
function wantsProtobuf(accept: string | undefined): boolean {
  const first = parseAccept(accept)[0];
  return first !== undefined && OPENAPI_V2_PROTOBUF_ACCEPT.includes(first.type);
}

function send(req: IncomingMessage, res: ServerResponse, doc: ServedDocument, immutable: boolean, contentType = "application/json"): void {
  if (req.headers["if-none-match"] === doc.etag) {
    res.writeHead(304, { ETag: doc.etag });
    res.end();
    return;
  }
  res.writeHead(200, {
    "Content-Type": contentType,
    Vary: "Accept",
    "Content-Length": doc.body.length,
    ETag: doc.etag,
    "Cache-Control": immutable ? "public, immutable" : "no-cache, private",
  });
  res.end(doc.body);
}

export function createOpenApiServer(resources: readonly ResourceDef[]): OpenApiServer {
  const docs = () => openApiDocuments(resources);
  let protobuf: ServedDocument | undefined;
  const v2Protobuf = () => (protobuf ??= protobufDocument(encodeOpenApiV2Protobuf(buildOpenApiV2(resources))));
  return {
    warm() {
      setTimeout(() => void docs(), 200).unref();
    },
    handle(req, res, path, query) {
      if (path === "/openapi/v2") {
        if (wantsProtobuf(req.headers.accept)) return send(req, res, v2Protobuf(), false, OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
        if (!acceptsJson(req.headers.accept)) throw notAcceptable("only application/json is served for /openapi/v2");
        return send(req, res, docs().v2, false);
      }
      if (path === "/openapi/v3") return send(req, res, docs().v3.index, false);
      if (path.startsWith("/openapi/v3/")) {
        const doc = docs().v3.document(path.slice("/openapi/v3/".length));
        if (doc) {
          const hash = query.get("hash");
          return send(req, res, doc, hash !== null && hash === doc.hash);
        }
      }
      throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
    },
  };
}

function protobufDocument(body: Buffer): ServedDocument {
  const hash = createHash("sha512").update(body).digest("hex").toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}
