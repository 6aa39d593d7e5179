// A small typed REST client for the components that talk to the API server (kubelet, scheduler,
// controllers running outside the API server process): one keep-alive node:https Agent per client,
// so requests reuse a pool of TLS connections, with the cluster CA and a client certificate.
// (Node's own http client rather than undici: a worker's process is a kubelet whose memory is
// counted, and loading undici alone costs it ~20 MB.)
//
// Every non-watch request has a deadline (30 s unless told). A response with an error status
// throws an ApiError (the server's Status); a failure below HTTP throws a TransportError naming the
// request. Watches are async iterators of events: an ERROR event or a 410 throws (WatchExpiredError
// for 410: the caller must relist), the end of the stream (the server's timeout) ends the loop.

import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { Status } from "../api/errors.js";
import { apiErrorFromResponse, apiErrorFromWatchEvent } from "./api-error.js";
import type { Credentials } from "./credentials.js";
import { LineSplitter } from "./ndjson.js";
import { queryString, resourcePath, type ResourceRef } from "./paths.js";

export interface RestClientOptions extends Credentials {
  /** Sent as User-Agent; the API server records it as the default field manager. */
  userAgent?: string;
  /** Deadline of every request except watches (default 30 s). */
  timeoutMs?: number;
  /** Deadline of establishing a TLS connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Most connections kept to the server (default unlimited; each open watch holds one). */
  maxConnections?: number;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** Anything with metadata: the objects the client writes. */
export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ReadOptions extends RequestOptions {
  namespace?: string;
}

export interface ListOptions extends ReadOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
}

export interface WriteOptions extends ReadOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: "Ignore" | "Warn" | "Strict";
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply only: take over fields other managers own. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends ReadOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions extends ReadOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version; omitted or "0": the current state first, as ADDED events. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (it picks 30–60 min otherwise). */
  timeoutSeconds?: number;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
  platform?: string;
  [key: string]: unknown;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

const DEFAULT_TIMEOUT_MS = 30_000;

/** A request that never got an HTTP answer: connection refused, TLS failure, timeout, reset. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  /** The underlying error's code when it has one (ECONNREFUSED, ENOTFOUND, ECONNRESET, ETIMEDOUT ...). */
  readonly code: string | undefined;
  constructor(request: string, cause: unknown) {
    const c = cause as { code?: unknown; message?: unknown; name?: unknown } | undefined;
    const code = typeof c?.code === "string" ? c.code : c?.name === "TimeoutError" ? "ETIMEDOUT" : undefined;
    const detail = c?.name === "TimeoutError" ? "timed out" : typeof c?.message === "string" && c.message ? c.message : String(cause);
    super(`${request}: ${detail}`, { cause });
    this.code = code;
  }
}

interface SendOptions extends RequestOptions {
  body?: string;
  contentType?: string;
  /** Watches: no deadline on the body. */
  stream?: boolean;
}

/** A response whose body is still to be read; `done` must be called once it has been (or is abandoned). */
interface Sent {
  res: IncomingMessage;
  /** The signal that ends the request (the caller's and the deadline); aborting it destroys the response. */
  signal: AbortSignal;
  done(): void;
}

const connectTimeoutError = (ms: number) => Object.assign(new Error(`connecting timed out after ${ms} ms`), { code: "ETIMEDOUT" });

export class RestClient {
  readonly server: string;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly host: string;
  private readonly port: number;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(opts: RestClientOptions) {
    const url = new URL(opts.server);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`server ${JSON.stringify(opts.server)} is not an http(s) URL`);
    const tls = url.protocol === "https:";
    this.server = opts.server;
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = url.port ? Number(url.port) : tls ? 443 : 80;
    this.transport = tls ? https : http;
    this.userAgent = opts.userAgent ?? "minicluster";
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    const agentOptions: https.AgentOptions = {
      keepAlive: true,
      // An idle pooled connection is closed after 30 s (sooner when the server's Keep-Alive header
      // says it closes them sooner). Deadlines are per request; watches may sit idle for minutes.
      timeout: 30_000,
      ...(opts.maxConnections ? { maxSockets: opts.maxConnections } : {}),
    };
    if (tls) {
      Object.assign(agentOptions, {
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
        ...(opts.key !== undefined ? { key: opts.key } : {}),
        ...(opts.tlsServerName ? { servername: opts.tlsServerName } : {}),
        rejectUnauthorized: !opts.insecureSkipTLSVerify,
      });
    }
    this.agent = tls ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  static async fromKubeconfig(file: string, opts: Omit<RestClientOptions, keyof Credentials> & { context?: string } = {}): Promise<RestClient> {
    const { context, ...rest } = opts;
    // Loaded on demand: in-cluster components (the kubelet) never read a kubeconfig, and the YAML parser is not small.
    const { credentialsFromKubeconfigFile } = await import("./credentials.js");
    return new RestClient({ ...(await credentialsFromKubeconfigFile(file, context)), ...rest });
  }

  /** Closes the connection pool; open watches end. */
  async close(): Promise<void> {
    this.agent.destroy();
  }

  // ---- raw requests

  /** Sends a request and returns the parsed JSON body; an error status throws ApiError. */
  async request<T>(method: string, path: string, opts: SendOptions = {}): Promise<T> {
    const sent = await this.send(method, path, opts);
    let text: string;
    try {
      text = await readText(sent.res);
    } catch (err) {
      throw this.failure(method, path, opts, sent.signal, err);
    } finally {
      sent.done();
    }
    const status = sent.res.statusCode ?? 0;
    if (status >= 400) throw apiErrorFromResponse(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The error to throw for a request that failed below HTTP: the caller's own abort as is, else a TransportError. */
  private failure(method: string, path: string, opts: SendOptions, signal: AbortSignal, err: unknown): unknown {
    if (opts.signal?.aborted) return err;
    // A deadline destroys the request with the signal's reason (a TimeoutError).
    return new TransportError(`${method} ${this.origin}${this.basePath}${path}`, signal.aborted ? signal.reason : err);
  }

  /** Sends a request; resolves with the response once its head has arrived. */
  private send(method: string, path: string, opts: SendOptions): Promise<Sent> {
    const signals: AbortSignal[] = [];
    if (opts.signal) signals.push(opts.signal);
    if (!opts.stream) signals.push(AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs));
    const signal = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const headers: Record<string, string | number> = { accept: "application/json", "user-agent": this.userAgent };
    if (opts.body !== undefined) {
      headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(opts.body);
    }
    return new Promise<Sent>((resolve, reject) => {
      if (signal.aborted) {
        reject(this.failure(method, path, opts, signal, signal.reason));
        return;
      }
      const req = this.transport.request({ agent: this.agent, host: this.host, port: this.port, method, path: this.basePath + path, headers });
      let connectTimer: NodeJS.Timeout | undefined;
      const onAbort = () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      const done = () => {
        clearTimeout(connectTimer);
        signal.removeEventListener("abort", onAbort);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      req.once("socket", (socket: Socket) => {
        if (!socket.connecting) return; // a pooled connection
        connectTimer = setTimeout(() => req.destroy(connectTimeoutError(this.connectTimeoutMs)), this.connectTimeoutMs);
        socket.once(this.transport === https ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
      });
      req.once("response", (res) => {
        clearTimeout(connectTimer);
        // Watches sit idle: the pool's idle timeout applies only once the connection is free again.
        if (opts.stream) res.socket?.setTimeout(0);
        resolve({ res, signal, done });
      });
      req.on("error", (err) => {
        done();
        reject(this.failure(method, path, opts, signal, err));
      });
      req.end(opts.body);
    });
  }

  // ---- typed verbs

  version(opts: RequestOptions = {}): Promise<ServerVersion> {
    return this.request("GET", "/version", opts);
  }

  get<T = Obj>(r: ResourceRef, name: string, opts: ReadOptions = {}): Promise<T> {
    return this.request("GET", resourcePath(r, { namespace: opts.namespace, name }), opts);
  }

  list<T = Obj>(r: ResourceRef, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const q = queryString({
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      limit: opts.limit,
      continue: opts.continue,
      resourceVersion: opts.resourceVersion,
      resourceVersionMatch: opts.resourceVersionMatch,
    });
    return this.request("GET", resourcePath(r, { namespace: opts.namespace }) + q, opts);
  }

  create<T extends Obj>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    return this.request("POST", resourcePath(r, { namespace }) + writeQuery(opts), { ...opts, body: JSON.stringify(obj) });
  }

  /** PUT of the whole object; its metadata.resourceVersion (if any) makes it conditional. */
  update<T extends Obj>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, undefined, opts);
  }

  updateStatus<T extends Obj>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, "status", opts);
  }

  private put<T extends Obj>(r: ResourceRef, obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`updating ${r.plural}: the object has no metadata.name`);
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    return this.request("PUT", resourcePath(r, { namespace, name, subresource }) + writeQuery(opts), { ...opts, body: JSON.stringify(obj) });
  }

  patch<T = Obj>(r: ResourceRef, name: string, patch: unknown, opts: PatchOptions): Promise<T> {
    if (opts.type === "apply" && !opts.fieldManager) throw new Error("server-side apply needs a fieldManager");
    const q = queryString({
      dryRun: opts.dryRun ? "All" : undefined,
      fieldManager: opts.fieldManager,
      fieldValidation: opts.fieldValidation,
      force: opts.type === "apply" && opts.force ? true : undefined,
    });
    const path = resourcePath(r, { namespace: opts.namespace, name, subresource: opts.subresource }) + q;
    return this.request("PATCH", path, { ...opts, body: JSON.stringify(patch), contentType: PATCH_CONTENT_TYPES[opts.type] });
  }

  patchStatus<T = Obj>(r: ResourceRef, name: string, patch: unknown, opts: Omit<PatchOptions, "subresource">): Promise<T> {
    return this.patch(r, name, patch, { ...opts, subresource: "status" });
  }

  /** Deletes; the answer is the object (still there while finalizers or a grace period hold it) or a Status. */
  delete<T = Obj>(r: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const body: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.dryRun) body.dryRun = ["All"];
    return this.request("DELETE", resourcePath(r, { namespace: opts.namespace, name }), { ...opts, body: JSON.stringify(body) });
  }

  /**
   * Watches a collection. Ends when the server closes the stream or `signal` aborts; throws
   * ApiError on an ERROR event (WatchExpiredError when the version is too old: relist).
   */
  async *watch<T = Obj>(r: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const q = queryString({
      watch: true,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks || undefined,
      timeoutSeconds: opts.timeoutSeconds,
    });
    const path = resourcePath(r, { namespace: opts.namespace }) + q;
    const context = `watching ${r.plural}`;
    let sent: Sent;
    try {
      sent = await this.send("GET", path, { signal: opts.signal, stream: true });
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
    const { res } = sent;
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      let text: string;
      try {
        text = await readText(res);
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw new TransportError(`${context} (${this.origin})`, err);
      } finally {
        sent.done();
      }
      throw apiErrorFromResponse(status, text, context);
    }
    const splitter = new LineSplitter();
    const decode = (line: string): WatchEvent<T> => {
      let ev: { type?: string; object?: unknown };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch (cause) {
        throw new Error(`${context}: the server sent a line that is not JSON: ${line.slice(0, 100)}`, { cause });
      }
      if (ev.type === "ERROR") throw apiErrorFromWatchEvent(ev.object, context);
      if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED" && ev.type !== "BOOKMARK") {
        throw new Error(`${context}: unknown event type ${JSON.stringify(ev.type)}`);
      }
      return { type: ev.type, object: ev.object as T };
    };
    const chunks = res[Symbol.asyncIterator]();
    try {
      while (true) {
        let next: IteratorResult<Buffer>;
        try {
          next = (await chunks.next()) as IteratorResult<Buffer>;
        } catch (err) {
          if (opts.signal?.aborted) return;
          throw new TransportError(`${context} (${this.origin})`, err);
        }
        if (next.done) break;
        for (const line of splitter.push(next.value)) yield decode(line);
      }
      for (const line of splitter.end()) yield decode(line);
    } finally {
      // The consumer may stop early (break): release the connection.
      sent.done();
      res.destroy();
    }
  }
}

function writeQuery(opts: WriteOptions): string {
  return queryString({ dryRun: opts.dryRun ? "All" : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation });
}

/** The whole body as UTF-8 text; rejects if the connection breaks before its end. */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.once("aborted", () => reject(Object.assign(new Error("the connection closed before the response ended"), { code: "ECONNRESET" })));
    res.once("close", () => {
      if (!res.complete) reject(Object.assign(new Error("the connection closed before the response ended"), { code: "ECONNRESET" }));
    });
  });
}
