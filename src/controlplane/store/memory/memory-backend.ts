// A complete MVCC store in memory: every key keeps its versions (and tombstones) until
// compaction, so reads and lists at past revisions, and watches from past revisions, behave
// exactly as in the durable backends. Used by tests and by clusters that need no persistence.

import type { Backend, KeyValue, ListOptions, ListResult, WatchCallback, WatchEvent, WatchHandle, WriteResult } from "../backend.js";
import { BackendClosedError, CompactedError, FutureRevisionError, checkReadRevision } from "../errors.js";
import { EventLog } from "../event-log.js";
import { compareKeys, prefixEnd } from "../keys.js";
import { SortedKeySet } from "../sorted-keys.js";
import { WatchHub } from "../watch-hub.js";

/** One version of a key: a value, or a tombstone recording the delete revision. */
interface Version {
  readonly kv: KeyValue;
  readonly deleted: boolean;
}

const INITIAL_REVISION = 1;

export class MemoryBackend implements Backend {
  private revision = INITIAL_REVISION;
  private compacted = 0;
  /** Every key with at least one retained version, live or deleted. */
  private readonly keys = new SortedKeySet();
  /** Versions of each key in revision order. */
  private readonly history = new Map<string, Version[]>();
  private readonly log = new EventLog(INITIAL_REVISION);
  private readonly hub = new WatchHub();
  private open = false;

  async start(): Promise<void> {
    this.open = true;
  }

  async close(): Promise<void> {
    this.open = false;
    this.hub.closeAll();
  }

  currentRevision(): number {
    return this.revision;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }> {
    this.ensureOpen();
    const rev = checkReadRevision(revision, this.revision, this.compacted);
    return { revision: rev, kv: this.versionAt(key, rev) };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    const rev = checkReadRevision(opts.revision, this.revision, this.compacted);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Number.POSITIVE_INFINITY;
    const start = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    const items: KeyValue[] = [];
    let remaining = 0;
    for (const key of this.keys.range(start, prefixEnd(prefix))) {
      const kv = this.versionAt(key, rev);
      if (!kv) continue;
      if (items.length < limit) items.push(kv);
      else remaining++;
    }
    return remaining > 0 ? { revision: rev, items, more: true, remaining } : { revision: rev, items, more: false };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    this.ensureOpen();
    let count = 0;
    for (const key of this.keys.range(prefix, prefixEnd(prefix))) if (this.latest(key)) count++;
    return { revision: this.revision, count };
  }

  async create(key: string, value: string): Promise<WriteResult> {
    this.ensureOpen();
    const current = this.latest(key);
    if (current) return { ok: false, reason: "exists", revision: this.revision, current };
    const rev = this.revision + 1;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.commit({ kv, deleted: false }, { type: "PUT", kv, isCreate: true });
    return { ok: true, revision: rev, kv };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<WriteResult> {
    this.ensureOpen();
    const prev = this.latest(key);
    if (!prev) return { ok: false, reason: "not-found", revision: this.revision };
    if (prev.modRevision !== expectedModRevision) return { ok: false, reason: "conflict", revision: this.revision, current: prev };
    const rev = this.revision + 1;
    const kv: KeyValue = { key, value, createRevision: prev.createRevision, modRevision: rev };
    this.commit({ kv, deleted: false }, { type: "PUT", kv, prevKv: prev, isCreate: false });
    return { ok: true, revision: rev, kv, prev };
  }

  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    this.ensureOpen();
    const prev = this.latest(key);
    if (!prev) return { ok: false, reason: "not-found", revision: this.revision };
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      return { ok: false, reason: "conflict", revision: this.revision, current: prev };
    }
    const rev = this.revision + 1;
    const kv: KeyValue = { key, value: prev.value, createRevision: prev.createRevision, modRevision: rev };
    this.commit({ kv, deleted: true }, { type: "DELETE", kv, prevKv: prev, isCreate: false });
    return { ok: true, revision: rev, kv, prev };
  }

  watch(prefix: string, fromRevision: number, onEvents: WatchCallback, signal: AbortSignal): WatchHandle {
    this.ensureOpen();
    if (fromRevision < this.compacted) throw new CompactedError(fromRevision, this.compacted);
    // The log holds every event after max(compacted, initial revision); revisions at or below
    // the initial one have no events, so starting from the floor loses nothing.
    const backlog = fromRevision >= this.revision ? [] : this.log.since(Math.max(fromRevision, this.log.floor), prefix);
    if (!backlog) throw new CompactedError(fromRevision, this.log.floor);
    return this.hub.register(prefix, fromRevision, backlog, this.revision, onEvents, signal);
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    for (const key of [...this.keys.range("", undefined)]) {
      const versions = this.history.get(key)!;
      // Keep the version visible at `revision` (unless it is a tombstone) and everything newer.
      let keepFrom = 0;
      for (let i = versions.length - 1; i >= 0; i--) {
        if (versions[i].kv.modRevision <= revision) {
          keepFrom = versions[i].deleted ? i + 1 : i;
          break;
        }
      }
      if (keepFrom === 0) continue;
      if (keepFrom >= versions.length) {
        this.history.delete(key);
        this.keys.delete(key);
      } else {
        versions.splice(0, keepFrom);
      }
    }
    this.log.dropThrough(revision);
    this.compacted = revision;
  }

  private commit(version: Version, event: WatchEvent): void {
    const key = version.kv.key;
    let versions = this.history.get(key);
    if (!versions) {
      versions = [];
      this.history.set(key, versions);
      this.keys.add(key);
    }
    versions.push(version);
    this.revision = version.kv.modRevision;
    this.log.append([event]);
    this.hub.publish([event], this.revision);
  }

  private latest(key: string): KeyValue | undefined {
    const versions = this.history.get(key);
    if (!versions) return undefined;
    const last = versions[versions.length - 1];
    return last.deleted ? undefined : last.kv;
  }

  private versionAt(key: string, revision: number): KeyValue | undefined {
    const versions = this.history.get(key);
    if (!versions) return undefined;
    // Binary search for the last version with modRevision <= revision.
    let lo = 0;
    let hi = versions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (versions[mid].kv.modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const v = versions[lo - 1];
    return v.deleted ? undefined : v.kv;
  }

  private ensureOpen(): void {
    if (!this.open) throw new BackendClosedError();
  }
}
