// Watch: a chunked stream of JSON events {type, object} from a resourceVersion, with selectors
// applied to both the old and new object (objects that leave the selection are reported as
// DELETED, objects that enter it as ADDED), bookmarks, timeouts, and 410 as an ERROR event.

import type { IncomingMessage, ServerResponse } from "node:http";
import { StatusError, badRequest } from "../../api/errors.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { WatchEvent } from "../store/backend.js";
import { CompactedError } from "../store/errors.js";
import type { Filter } from "./filters.js";
import type { Representation } from "./negotiate.js";
import type { Registry } from "./rest.js";
import { collectionPrefix, decodeKv, kvJson } from "./storage.js";
import { toPartial, toTable } from "./table.js";

const BOOKMARK_INTERVAL_MS = 10_000;
const DEFAULT_TIMEOUT_S = 1800;
/**
 * A watcher that does not read (a stopped process, a stalled network) would make the server keep
 * its events in memory without end. Past this many unsent bytes the watch is ended instead, as
 * kube-apiserver drops a watcher whose channel is full: the client watches again from its last
 * resourceVersion (or relists after 410). The initial events of a watch from "" or 0 do not count.
 */
export const DEFAULT_WATCH_BUFFER_LIMIT = 64 << 20;

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export async function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  r: ResourceDef,
  namespace: string,
  filter: Filter,
  query: URLSearchParams,
  rep: Representation,
  bufferLimit = DEFAULT_WATCH_BUFFER_LIMIT,
): Promise<void> {
  const rvParam = query.get("resourceVersion") ?? "";
  if (rvParam && !/^\d+$/.test(rvParam)) throw badRequest(`Invalid value: ${JSON.stringify(rvParam)}: resourceVersion must be an integer`);
  const timeoutParam = query.get("timeoutSeconds");
  let timeoutS = DEFAULT_TIMEOUT_S * (1 + Math.random());
  if (timeoutParam !== null && timeoutParam !== "") {
    if (!/^\d+$/.test(timeoutParam)) throw badRequest(`timeoutSeconds: invalid value ${JSON.stringify(timeoutParam)}`);
    timeoutS = Number(timeoutParam);
  }
  const bookmarks = query.get("allowWatchBookmarks") === "true";
  const sendInitialEvents = query.get("sendInitialEvents") === "true";
  if (sendInitialEvents && query.get("resourceVersionMatch") !== "NotOlderThan") {
    throw new StatusError(422, "Invalid", `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan`);
  }
  const abort = new AbortController();
  const prefix = collectionPrefix(r, namespace);
  const apiVersion = apiVersionOf(r);
  let firstTable = true;

  const encode = (type: EventType, obj: KubeObject | undefined, json?: string): string => {
    if (rep.as === "object" && json !== undefined) return `{"type":"${type}","object":${json}}\n`;
    let payload: unknown = obj;
    if (obj && (type === "ADDED" || type === "MODIFIED" || type === "DELETED")) {
      if (rep.as === "Table") {
        payload = toTable(r, [obj], { resourceVersion: obj.metadata?.resourceVersion }, rep.version, query.get("includeObject"), new Date(), firstTable);
        firstTable = false;
      } else if (rep.as === "PartialObjectMetadata") {
        payload = toPartial(obj, rep.version);
      }
    }
    return JSON.stringify({ type, object: payload }) + "\n";
  };

  const start = () => {
    if (res.headersSent) return;
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
  };

  // Where the stream starts: "" / "0" = current state as synthetic ADDED events, then changes.
  let fromRevision: number;
  const initial: string[] = [];
  if (rvParam === "" || rvParam === "0" || sendInitialEvents) {
    const page = await registry.list(r, { namespace, filter: filter.empty ? undefined : filter.matches });
    for (const obj of page.items) initial.push(encode("ADDED", obj));
    fromRevision = page.revision;
    if (sendInitialEvents && rvParam && rvParam !== "0" && Number(rvParam) > fromRevision) fromRevision = Number(rvParam);
  } else {
    fromRevision = Number(rvParam);
  }

  let lastRevision = fromRevision;
  /** Bytes that were waiting to be sent when the initial events were written. */
  let baseline = 0;
  let tooSlow: (() => void) | undefined;
  const onEvents = (events: WatchEvent[], revision: number) => {
    let out = "";
    for (const ev of events) {
      const line = transform(ev);
      if (line) out += line;
    }
    lastRevision = revision;
    if (!out || res.writableEnded) return;
    res.write(out);
    if (res.writableLength - baseline > bufferLimit) tooSlow?.();
  };
  const transform = (ev: WatchEvent): string | undefined => {
    const isDelete = ev.type === "DELETE";
    if (filter.empty) {
      const type: EventType = isDelete ? "DELETED" : ev.isCreate ? "ADDED" : "MODIFIED";
      return rep.as === "object" ? encode(type, undefined, kvJson(ev.kv)) : encode(type, decodeKv(ev.kv));
    }
    const obj = decodeKv(ev.kv);
    const nowMatches = filter.matches(obj);
    const before = ev.prevKv ? filter.matches(decodeKv(ev.prevKv)) : false;
    if (isDelete) return before || nowMatches ? encode("DELETED", obj, rep.as === "object" ? kvJson(ev.kv) : undefined) : undefined;
    if (nowMatches) {
      const type: EventType = ev.isCreate || !before ? "ADDED" : "MODIFIED";
      return encode(type, obj, rep.as === "object" ? kvJson(ev.kv) : undefined);
    }
    if (before) return encode("DELETED", obj, rep.as === "object" ? kvJson(ev.kv) : undefined);
    return undefined;
  };

  try {
    registry.backend.watch(prefix, fromRevision, onEvents, abort.signal);
  } catch (err) {
    if (err instanceof CompactedError) {
      start();
      const status = new StatusError(410, "Expired", `too old resource version: ${fromRevision} (${err.compactedRevision})`).status;
      res.end(JSON.stringify({ type: "ERROR", object: status }) + "\n");
      return;
    }
    throw err;
  }
  start();
  if (initial.length) res.write(initial.join(""));
  baseline = res.writableLength;
  const bookmark = (extra?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
    if (extra) metadata.annotations = extra;
    res.write(JSON.stringify({ type: "BOOKMARK", object: { kind: r.kind, apiVersion, metadata } }) + "\n");
  };
  if (sendInitialEvents) bookmark({ "k8s.io/initial-events-end": "true" });

  await new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      clearInterval(ticker);
      abort.abort();
      resolve();
    };
    tooSlow = () => {
      finish();
      res.end(); // what was written still goes out; the client then watches again
    };
    const timer = setTimeout(finish, timeoutS * 1000);
    const ticker = bookmarks ? setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS) : undefined;
    req.on("close", finish);
    res.on("close", finish);
  });
  if (!res.writableEnded) res.end();
}
