// The HTTPS front door: TLS with client-certificate authentication, health and version
// endpoints, discovery, OpenAPI, and resource requests.

import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { StatusError, unauthorized } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { ResourceDef } from "../../api/registry/types.js";
import { userFromPeerCertificate } from "../pki/authn.js";
import { aggregatedContentType, buildDiscovery } from "./discovery.js";
import { handleResource, type HandlerDeps } from "./handlers.js";
import { sendError, sendJson, sendRaw } from "./http.js";
import { wantsAggregatedDiscovery } from "./negotiate.js";
import { parseRequestInfo } from "./request-info.js";
import type { Caller } from "./rest.js";
import { createOpenApiServer, type OpenApiServer } from "./openapi.js";
import { handleStreamingUpgrade } from "./pod-streaming.js";

import { SERVER_VERSION } from "./version.js";
import { bearerToken } from "../serviceaccount/tokens.js";
import { TokenRejected } from "../serviceaccount/token.js";
import { JWKS_CONTENT_TYPE, JWKS_PATH, OIDC_CACHE_CONTROL, OIDC_DISCOVERY_PATH, jwkSet, jwksUri, openIdConfiguration, type VerificationKey } from "../serviceaccount/oidc.js";
import { isPublicPath } from "./authz.js";

export { SERVER_VERSION };

export interface ApiServerOptions {
  tls: { cert: string; key: string; ca: string };
  host: string;
  port: number;
  deps: HandlerDeps;
  resources?: readonly ResourceDef[];
  /** Extra readiness checks: /readyz fails while any returns false. */
  ready?: () => boolean;
  log?: (msg: string) => void;
  /** Bearer-token authentication (ServiceAccount tokens), tried when no client certificate identifies the caller; rejects invalid tokens. */
  authenticateToken?: (token: string) => Promise<AuthenticatedUser>;
  /**
   * ServiceAccount issuer discovery (/.well-known/openid-configuration, /openid/v1/jwks) for
   * authenticated callers; `externalHost` and the listening port make the jwks_uri. Absent: 404.
   */
  serviceAccountIssuer?: { issuer: string; keys: readonly VerificationKey[]; externalHost: string };
}

const CRD_LIST_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

interface AuthenticatedUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The user of an `Authorization: Bearer` token; undefined (→ 401) when absent, forged, expired or no longer live. */
async function tokenUser(
  req: IncomingMessage,
  authenticate: ApiServerOptions["authenticateToken"],
  log: (msg: string) => void,
): Promise<AuthenticatedUser | undefined> {
  const token = bearerToken(req.headers.authorization);
  if (token === undefined || !authenticate) return undefined;
  try {
    return await authenticate(token);
  } catch (err) {
    // A bad token is the client's problem (401); anything else (the store failing) is logged too.
    if (!(err instanceof TokenRejected)) log(`authenticating a bearer token: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const resources = opts.resources ?? RESOURCES;
  const discovery = buildDiscovery(resources);
  const openapi: OpenApiServer = createOpenApiServer(resources);
  openapi.warm();
  const log = opts.log ?? (() => {});
  // Issuer discovery documents, made once the port is known.
  let oidc: Map<string, { body: string; contentType: string }> | undefined;

  /** The caller: a client certificate of the cluster CA, else a ServiceAccount bearer token. */
  const authenticate = async (req: IncomingMessage): Promise<AuthenticatedUser | undefined> => {
    const socket = req.socket as TLSSocket;
    return userFromPeerCertificate(socket.getPeerCertificate?.(), socket.authorized) ?? (await tokenUser(req, opts.authenticateToken, log));
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "https://localhost");
    const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
    try {
      if (isPublicPath(path)) {
        if (path === "/version") return sendJson(res, 200, SERVER_VERSION);
        if (path.startsWith("/readyz") && opts.ready && !opts.ready()) return sendRaw(res, 500, "[-]ready failed\nreadyz check failed", "text/plain; charset=utf-8");
        return sendRaw(res, 200, "ok", "text/plain; charset=utf-8");
      }
      const user = await authenticate(req);
      if (!user) throw unauthorized();
      const caller: Caller = { user: user.name, groups: user.groups, userAgent: String(req.headers["user-agent"] ?? "") };
      if (user.uid) caller.uid = user.uid;
      if (user.extra) caller.extra = user.extra;

      const issuerDoc = req.method === "GET" || req.method === "HEAD" ? oidc?.get(path) : undefined;
      if (issuerDoc) {
        res.writeHead(200, { "Content-Type": issuerDoc.contentType, "Content-Length": Buffer.byteLength(issuerDoc.body), "Cache-Control": OIDC_CACHE_CONTROL });
        res.end(req.method === "HEAD" ? undefined : issuerDoc.body);
        return;
      }

      if (path.startsWith("/openapi/")) return openapi.handle(req, res, path, url.searchParams);
      if (path === "/api" || path === "/apis") {
        const agg = wantsAggregatedDiscovery(req.headers.accept);
        if (agg) return sendRaw(res, 200, path === "/api" ? discovery.aggregatedCore(agg) : discovery.aggregatedGroups(agg), aggregatedContentType(agg));
      }
      // kubectl's client-side validation of a kind whose OpenAPI has no PATCH operation (the
      // create-only reviews) asks whether it is a CRD by listing them, and fails when that 404s.
      // No CRDs are served, so the truthful answer is an empty list.
      if (path === CRD_LIST_PATH && req.method === "GET") {
        return sendJson(res, 200, { kind: "CustomResourceDefinitionList", apiVersion: "apiextensions.k8s.io/v1", metadata: { resourceVersion: String(opts.deps.registry.backend.currentRevision()) }, items: [] });
      }
      const doc = discovery.legacy.get(path);
      if (doc !== undefined && req.method === "GET") return sendRaw(res, 200, doc, "application/json");

      const info = parseRequestInfo(req.method ?? "GET", path, url.searchParams);
      if (!info.isResourceRequest) throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
      await handleResource(opts.deps, req, res, info, url.searchParams, caller);
    } catch (err) {
      if (!(err instanceof StatusError)) log(`${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      sendError(res, err);
    }
  };

  const server = https.createServer(
    {
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      requestCert: true,
      rejectUnauthorized: false,
      keepAliveTimeout: 60_000,
    },
    (req, res) => void handler(req, res),
  );
  // exec/attach/portforward arrive as upgrades (WebSocket or SPDY) and are relayed to kubelets.
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    void handleStreamingUpgrade(opts.deps, req, socket, head, log, authenticate);
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // watches are long-lived
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = opts.serviceAccountIssuer;
  if (issuer) {
    const discoveryDoc = openIdConfiguration(issuer.issuer, jwksUri(issuer.externalHost, port), issuer.keys);
    oidc = new Map([
      [OIDC_DISCOVERY_PATH, { body: JSON.stringify(discoveryDoc), contentType: "application/json" }],
      [JWKS_PATH, { body: JSON.stringify(jwkSet(issuer.keys)), contentType: JWKS_CONTENT_TYPE }],
    ]);
  }
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `https://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
      }),
  };
}
