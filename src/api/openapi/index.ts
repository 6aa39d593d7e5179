// Package boundary: the OpenAPI documents the API server serves, built once and kept as bytes
// with their sha512 hash (kube-apiserver's /openapi/v3 index links each group-version document
// as `?hash=<SHA512 hex, upper case>` and serves that hash as the ETag).

import { createHash } from "node:crypto";
import type { ResourceDef } from "../registry/types.js";
import { buildOpenApiV2, type OpenApiOptions } from "./v2.js";
import { buildOpenApiV3Documents } from "./v3.js";

export { buildOpenApiV2, META_DEFINITIONS, type OpenApiOptions } from "./v2.js";
export { buildOpenApiV3Documents, schemaV3 } from "./v3.js";
export { allPaths, resourcePaths, groupVersionPath, PATCH_MEDIA_TYPES, type Operation, type PathItem, type Gvk } from "./operations.js";

export interface ServedDocument {
  /** The document as it is sent (compact JSON). */
  body: Buffer;
  /** SHA-512 of body, hex, upper case. */
  hash: string;
  /** Quoted hash, for the ETag header. */
  etag: string;
}

export function serveJson(doc: unknown): ServedDocument {
  const body = Buffer.from(JSON.stringify(doc));
  const hash = createHash("sha512").update(body).digest("hex").toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}

export interface OpenApiV3 {
  /** Body of GET /openapi/v3: {"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=..."}}}. */
  index: ServedDocument;
  /** The same index as an object. */
  paths: Record<string, { serverRelativeURL: string }>;
  /** Group-version document by its path ("api/v1", "apis/apps/v1"); undefined if not served. */
  document(groupVersionPath: string): ServedDocument | undefined;
  /** The parsed document, for tests and in-process clients. */
  object(groupVersionPath: string): Record<string, unknown> | undefined;
}

export function buildOpenApiV3(resources: readonly ResourceDef[], opts: OpenApiOptions = {}): OpenApiV3 {
  const docs = buildOpenApiV3Documents(resources, opts);
  const served = new Map<string, ServedDocument>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [gv, doc] of docs) {
    const s = serveJson(doc);
    served.set(gv, s);
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${s.hash}` };
  }
  return {
    index: serveJson({ paths }),
    paths,
    document: (gv) => served.get(gv.replace(/^\/+|\/+$/g, "")),
    object: (gv) => docs.get(gv.replace(/^\/+|\/+$/g, "")),
  };
}

/** Both versions, computed once per resource list (the list is fixed for a server's lifetime). */
export interface OpenApiDocuments {
  v2: ServedDocument;
  v3: OpenApiV3;
}

const memo = new WeakMap<readonly ResourceDef[], OpenApiDocuments>();

export function openApiDocuments(resources: readonly ResourceDef[], opts: OpenApiOptions = {}): OpenApiDocuments {
  let docs = memo.get(resources);
  if (!docs) {
    docs = { v2: serveJson(buildOpenApiV2(resources, opts)), v3: buildOpenApiV3(resources, opts) };
    memo.set(resources, docs);
  }
  return docs;
}
