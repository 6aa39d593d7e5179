// An in-process feed of every object change under /registry/, for the controllers that live in
// the API server process (namespace lifecycle, garbage collection). It lists once, then watches
// from that revision, so no change is missed; handlers run one event at a time, in order.

import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { Backend } from "../store/backend.js";
import { decodeKv, resourcePrefix } from "../apiserver/storage.js";

export interface StoreEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: ResourceDef;
  object: KubeObject;
}

export type StoreEventHandler = (ev: StoreEvent) => void;

export function resourceOfKey(key: string, resources: readonly ResourceDef[] = RESOURCES): ResourceDef | undefined {
  for (const r of resources) if (key.startsWith(resourcePrefix(r))) return r;
  return undefined;
}

/** Starts the feed; `initial` receives the listed state, then `onEvent` every later change. */
export async function watchStore(backend: Backend, onEvent: StoreEventHandler, signal: AbortSignal): Promise<void> {
  const listed = await backend.list("/registry/");
  for (const kv of listed.items) {
    const r = resourceOfKey(kv.key);
    if (r) onEvent({ type: "ADDED", resource: r, object: decodeKv(kv) });
  }
  backend.watch(
    "/registry/",
    listed.revision,
    (events) => {
      for (const ev of events) {
        const r = resourceOfKey(ev.kv.key);
        if (!r) continue;
        const type = ev.type === "DELETE" ? "DELETED" : ev.isCreate ? "ADDED" : "MODIFIED";
        onEvent({ type, resource: r, object: decodeKv(ev.kv) });
      }
    },
    signal,
  );
}
