// The store contract shared by every backend (memory, sqlite, later etcd), in the spirit of
// k3s's kine: a flat, byte-ordered key space with one MVCC revision counter for all keys.
// That revision is the Kubernetes resourceVersion, so every result carries it.
//
// Conventions every backend follows (the conformance suite checks them):
// - A fresh store is at revision 1 (as etcd). Each successful write adds exactly 1, so every
//   revision above 1 names exactly one change to one key. Revision 0 never names a state.
// - A failed compare-and-swap is a value (`ok: false`), never an exception. Exceptions mean
//   the backend itself failed (disk error, closed backend).
// - Reading at a revision below `compactedRevision()` throws CompactedError (API: 410 Gone);
//   reading at a revision above `currentRevision()` throws FutureRevisionError (API: "Too
//   large resource version"). Reading at exactly the compacted revision still works.
// - Returned KeyValue objects may be shared with the backend's cache: treat them as read-only.
// - Watchers see every event committed after the watch call returned, and every event they
//   asked for from history, in revision order, each exactly once. Events of one commit reach
//   each watcher before the promise of any write in that commit resolves.

export interface KeyValue {
  readonly key: string;
  /** The stored value (the API server stores JSON text; the store never parses it). */
  readonly value: string;
  /** Revision of the write that created this key (this incarnation of it). */
  readonly createRevision: number;
  /** Revision of the write that produced this version (the object's resourceVersion). */
  readonly modRevision: number;
}

export type WriteFailure = "exists" | "not-found" | "conflict";

export type WriteResult =
  | {
      ok: true;
      /** The revision of this write (= kv.modRevision). */
      revision: number;
      /** The new version; for a delete: the last value with modRevision = the delete revision. */
      kv: KeyValue;
      /** The version this write replaced (absent on create). */
      prev?: KeyValue;
    }
  | {
      ok: false;
      reason: WriteFailure;
      /** The store revision the decision was made at. */
      revision: number;
      /** The current version when it exists ("exists" and "conflict"). */
      current?: KeyValue;
    };

export interface ListOptions {
  /** Read the state at this revision; 0 or absent = the current revision. */
  revision?: number;
  /**
   * First key to return, INCLUSIVE (etcd's range start). To continue after a page, pass
   * `keyAfter(lastKeyOfPreviousPage)` together with the first page's revision. Keys before
   * the prefix are ignored.
   */
  startKey?: string;
  /** At most this many items; 0 or absent = no limit. */
  limit?: number;
}

export interface ListResult {
  /** The revision the list was read at (the list's resourceVersion). */
  revision: number;
  /** Live keys under the prefix, in byte-wise key order. */
  items: KeyValue[];
  /** True when the limit cut the list short. */
  more: boolean;
  /** How many live keys follow this page at that revision (set when `more`). */
  remaining?: number;
}

export interface WatchEvent {
  type: "PUT" | "DELETE";
  /**
   * PUT: the new version. DELETE: the last value of the key with modRevision set to the
   * delete revision (what Kubernetes reports as the deleted object's resourceVersion).
   */
  kv: KeyValue;
  /** The version before this event (always set for DELETE and for PUTs that are updates). */
  prevKv?: KeyValue;
  /** True for the PUT that created the key. */
  isCreate: boolean;
}

/**
 * Called with events in revision order. `revision` is the store revision the watcher is now
 * caught up to: no event for this prefix exists between the last event and `revision`.
 */
export type WatchCallback = (events: WatchEvent[], revision: number) => void;

export interface WatchHandle {
  /**
   * Settles when the watch ends: resolves when the signal aborts or the backend closes,
   * rejects with the error if the callback threw (the watch is then stopped).
   */
  readonly closed: Promise<void>;
}

export interface Backend {
  /** Opens the backend (files, caches). Must be called once before anything else. */
  start(): Promise<void>;
  /** Finishes pending writes, ends all watches and releases resources. */
  close(): Promise<void>;

  currentRevision(): number;
  /** Reads and watches below this revision fail with CompactedError; 0 = never compacted. */
  compactedRevision(): number;

  /** `revision` in the result is the revision read at (the requested one, or current). */
  get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }>;
  /** Live keys starting with `prefix`, sorted byte-wise. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys starting with `prefix` at the current revision. */
  count(prefix: string): Promise<{ revision: number; count: number }>;

  /** Fails with "exists" when the key is live. */
  create(key: string, value: string): Promise<WriteResult>;
  /** Compare-and-swap on the key's modRevision: "not-found" or "conflict" on mismatch. */
  update(key: string, value: string, expectedModRevision: number): Promise<WriteResult>;
  /** Deletes the key; with `expectedModRevision`, only if it still has that modRevision. */
  delete(key: string, expectedModRevision?: number): Promise<WriteResult>;

  /**
   * Delivers every event on keys starting with `prefix` whose revision is > `fromRevision`
   * (like a Kubernetes watch from resourceVersion `fromRevision`), including those already
   * committed, then live ones, until `signal` aborts. `fromRevision` may be in the future.
   * Throws CompactedError synchronously when `fromRevision` < compactedRevision().
   * The callback is never invoked before `watch` returns.
   */
  watch(prefix: string, fromRevision: number, onEvents: WatchCallback, signal: AbortSignal): WatchHandle;

  /**
   * Forgets history below `revision`: afterwards reads at any revision >= `revision` and
   * watches from any revision >= `revision` still work, older ones throw CompactedError.
   * The latest version of every live key is always kept. Compacting at or below the current
   * compacted revision is a no-op; above the current revision throws FutureRevisionError.
   */
  compact(revision: number): Promise<void>;
}
