// Object storage on top of a Backend: keys per resource, JSON values, and resourceVersion =
// the store revision of the object's last write (stored values never carry it).

import { StatusError, gone } from "../../api/errors.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { Backend, KeyValue, WatchEvent } from "../store/backend.js";
import { CompactedError, FutureRevisionError } from "../store/errors.js";
import { keyAfter } from "../store/keys.js";

export function resourcePrefix(r: ResourceDef): string {
  return `/registry/${r.group || "core"}/${r.plural}/`;
}

export function objectKey(r: ResourceDef, namespace: string, name: string): string {
  return r.namespaced ? `${resourcePrefix(r)}${namespace}/${name}` : `${resourcePrefix(r)}${name}`;
}

export function collectionPrefix(r: ResourceDef, namespace: string): string {
  return r.namespaced && namespace ? `${resourcePrefix(r)}${namespace}/` : resourcePrefix(r);
}

/** Decodes a stored value and stamps its resourceVersion. */
export function decodeKv(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  (obj.metadata ??= {}).resourceVersion = String(kv.modRevision);
  return obj;
}

const METADATA_OPEN = '"metadata":{';
// Results of this event-loop turn only: a watch event fanned out to many watchers (all served in
// the turn that committed it) is spliced once, and nothing outlives the turn. (Caching per
// KeyValue for as long as it lives would keep a second copy of every object ever read: the
// store's KeyValues of the latest versions live as long as the objects do.)
let turnCache: Map<KeyValue, string> | undefined;

/**
 * The object's JSON with its resourceVersion, without parsing: stored values always begin with
 * apiVersion, kind and metadata (see encodeObject), so the first `"metadata":{` is the object's
 * own.
 */
export function kvJson(kv: KeyValue): string {
  let json = turnCache?.get(kv);
  if (json !== undefined) return json;
  json = spliceResourceVersion(kv);
  if (!turnCache) {
    turnCache = new Map();
    setImmediate(() => (turnCache = undefined));
  }
  turnCache.set(kv, json);
  return json;
}

function spliceResourceVersion(kv: KeyValue): string {
  const at = kv.value.indexOf(METADATA_OPEN);
  if (at < 0) return JSON.stringify(decodeKv(kv));
  const cut = at + METADATA_OPEN.length;
  const rv = `"resourceVersion":"${kv.modRevision}"`;
  return kv.value.slice(0, cut) + rv + (kv.value[cut] === "}" ? "" : ",") + kv.value.slice(cut);
}

/** Serialises an object for storage: apiVersion, kind and metadata first, no resourceVersion. */
export function encodeObject(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  let meta = metadata ?? {};
  if (meta.resourceVersion !== undefined) {
    const { resourceVersion: _rv, ...others } = meta;
    meta = others;
  }
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

export interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: t.rv, start: t.start })).toString("base64url");
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: string; rv?: number; start?: string };
    if (raw.v !== "meta.k8s.io/v1" || typeof raw.rv !== "number" || typeof raw.start !== "string" || raw.rv <= 0) throw new Error("bad");
    return { rv: raw.rv, start: raw.start };
  } catch {
    throw new StatusError(400, "BadRequest", "continue key is not valid: invalid continue token");
  }
}

/** Maps the store's revision errors to the API's answers. */
export function revisionError(err: unknown, what: "list" | "continue" | "watch" | "get"): never {
  if (err instanceof CompactedError) {
    if (what === "continue") {
      throw gone(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
      );
    }
    throw gone(`The resourceVersion for the provided ${what} is too old.`);
  }
  if (err instanceof FutureRevisionError) {
    throw new StatusError(504, "Timeout", `Too large resource version: ${err.requestedRevision}, current: ${err.currentRevision}`, {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
      retryAfterSeconds: 1,
    });
  }
  throw err;
}

export interface ListPage {
  items: KubeObject[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface ListRequest {
  namespace: string;
  /** Read at this revision (Exact), or the current one when absent. */
  revision?: number;
  limit?: number;
  continueToken?: string;
  filter?: (obj: KubeObject) => boolean;
}

export async function listObjects(backend: Backend, r: ResourceDef, req: ListRequest): Promise<ListPage> {
  const prefix = collectionPrefix(r, req.namespace);
  let revision = req.revision;
  let startKey: string | undefined;
  if (req.continueToken) {
    const t = decodeContinue(req.continueToken);
    revision = t.rv;
    startKey = t.start.startsWith(prefix) ? t.start : prefix + t.start;
  }
  const limit = req.limit && req.limit > 0 ? req.limit : 0;
  const items: KubeObject[] = [];
  let readRevision: number;
  let lastKey: string | undefined;
  for (;;) {
    const want = limit ? Math.max(limit - items.length, req.filter ? 64 : 0) : 0;
    let page;
    try {
      page = await backend.list(prefix, { revision, startKey, limit: want });
    } catch (err) {
      revisionError(err, req.continueToken ? "continue" : "list");
    }
    readRevision = page.revision;
    revision = page.revision;
    let consumed = 0;
    for (const kv of page.items) {
      consumed++;
      lastKey = kv.key;
      const obj = decodeKv(kv);
      if (req.filter && !req.filter(obj)) continue;
      items.push(obj);
      if (limit && items.length >= limit) break;
    }
    if (limit > 0 && items.length >= limit) {
      const unread = page.items.length - consumed;
      if (unread === 0 && !page.more) return { items, revision: readRevision };
      const out: ListPage = { items, revision: readRevision, continue: encodeContinue({ rv: readRevision, start: keyAfter(lastKey!).slice(prefix.length) }) };
      if (!req.filter && page.remaining !== undefined) out.remainingItemCount = page.remaining + unread;
      else if (!req.filter && !page.more) out.remainingItemCount = unread;
      return out;
    }
    if (!page.more) return { items, revision: readRevision };
    startKey = keyAfter(page.items[page.items.length - 1].key);
  }
}

export type ObjectEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ObjectEvent {
  type: ObjectEventType;
  object: KubeObject;
  /** The previous version, for MODIFIED and DELETED. */
  old?: KubeObject;
  revision: number;
}

export function toObjectEvent(ev: WatchEvent): ObjectEvent {
  if (ev.type === "DELETE") {
    return { type: "DELETED", object: decodeKv(ev.kv), old: ev.prevKv ? decodeKv(ev.prevKv) : undefined, revision: ev.kv.modRevision };
  }
  return {
    type: ev.isCreate ? "ADDED" : "MODIFIED",
    object: decodeKv(ev.kv),
    old: ev.prevKv ? decodeKv(ev.prevKv) : undefined,
    revision: ev.kv.modRevision,
  };
}
