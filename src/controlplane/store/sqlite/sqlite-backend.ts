// The durable backend: an append-only MVCC log in SQLite (schema.ts) plus an in-memory cache of
// the latest version of every live key and a tail of recent events.
//
// - Reads at the current revision (the common case: gets, informer lists) come from memory.
//   Reads at past revisions (paged lists continuing at their first page's revision, gets at a
//   resourceVersion) query the log.
// - Writes are queued and committed in groups: everything that arrives in one event-loop turn
//   goes into one transaction (one fsync). Compare-and-swap checks run inside that transaction
//   against the cache plus the batch's own earlier writes, so they see exactly the state the
//   write commits on top of. Promises resolve only after COMMIT returned; on a failed commit
//   nothing reaches the cache and every write of the batch rejects.
// - better-sqlite3 is synchronous, so a commit (check, insert, commit, cache update, watcher
//   fan-out) is one uninterrupted step: no read or watch registration ever observes a
//   half-applied batch, which is what keeps watch replays free of gaps and duplicates.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Backend, KeyValue, ListOptions, ListResult, WatchCallback, WatchEvent, WatchHandle, WriteResult } from "../backend.js";
import { BackendClosedError, CompactedError, FutureRevisionError, checkReadRevision } from "../errors.js";
import { EventLog } from "../event-log.js";
import { compareKeys, prefixEnd } from "../keys.js";
import { SortedKeySet } from "../sorted-keys.js";
import { WatchHub } from "../watch-hub.js";
import { NO_END, initSchema, prepareStatements, type EventRow, type LogRow, type Statements } from "./schema.js";

export interface SqliteBackendOptions {
  /** Database file; its -wal and -shm companions live beside it. */
  path: string;
  /** Passed to better-sqlite3: a path to better_sqlite3.node, or the loaded addon object. */
  nativeBinding?: string | object;
  /**
   * "full" (default, what we ship): fsync per commit, survives power loss.
   * "normal": survives a process crash but may lose the last commits on power loss.
   */
  durability?: "full" | "normal";
  /** How many recent events to keep in memory for starting watches (default 10,000). */
  watchTail?: number;
  /**
   * At most this many characters of values in those events (default 8 Mi): updates of large
   * objects would otherwise keep 10,000 old versions alive. Older watches replay from the log.
   */
  watchTailBytes?: number;
}

type WriteOp =
  | { kind: "create"; key: string; value: string }
  | { kind: "update"; key: string; value: string; expected: number }
  | { kind: "delete"; key: string; expected?: number };

interface Pending {
  op: WriteOp;
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

const INITIAL_REVISION = 1;
const COMPACTED_META = "compacted_revision";

export class SqliteBackend implements Backend {
  readonly path: string;
  private readonly options: SqliteBackendOptions;
  private db: Database.Database | undefined;
  private stmts!: Statements;
  private revision = INITIAL_REVISION;
  private compacted = 0;
  private latest = new Map<string, KeyValue>();
  private keys = new SortedKeySet();
  private tail!: EventLog;
  private readonly hub = new WatchHub();
  private queue: Pending[] = [];
  private flushScheduled = false;

  constructor(options: SqliteBackendOptions) {
    this.options = options;
    this.path = options.path;
  }

  async start(): Promise<void> {
    if (this.db) throw new Error("sqlite backend already started");
    const nativeBinding = this.options.nativeBinding as string | undefined;
    if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path, nativeBinding === undefined ? {} : { nativeBinding });
    try {
      initSchema(db, this.options.durability ?? "full");
      this.stmts = prepareStatements(db);
      this.compacted = (this.stmts.getMeta.get(COMPACTED_META) as number | undefined) ?? 0;
      // A compaction may have removed the newest row (a tombstone), so the compacted revision
      // also bounds the current one from below: revisions are never reused.
      const maxRow = (this.stmts.maxRevision.get() as number | null) ?? 0;
      this.revision = Math.max(INITIAL_REVISION, maxRow, this.compacted);
      const keys: string[] = [];
      this.latest = new Map();
      for (const row of this.stmts.loadLatest.iterate({ start: "", end: NO_END, rev: Number.MAX_SAFE_INTEGER }) as Iterable<LogRow>) {
        this.latest.set(row.key, toKv(row));
        keys.push(row.key);
      }
      this.keys = SortedKeySet.fromSorted(keys);
      this.tail = new EventLog(this.revision, this.options.watchTail ?? 10_000, this.options.watchTailBytes ?? 8 * 1024 * 1024);
    } catch (err) {
      db.close();
      throw new Error(`opening store database ${this.path}`, { cause: err });
    }
    this.db = db;
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!db) return;
    // Commit what was already accepted before refusing new work.
    if (this.queue.length > 0) this.flush();
    this.db = undefined;
    this.hub.closeAll();
    db.close();
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
    if (rev === this.revision) return { revision: rev, kv: this.latest.get(key) };
    const row = this.stmts.getAt.get(key, rev) as LogRow | undefined;
    return { revision: rev, kv: row && !row.deleted ? toKv(row) : undefined };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    const rev = checkReadRevision(opts.revision, this.revision, this.compacted);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const start = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    const end = prefixEnd(prefix);
    if (rev === this.revision) return this.listLatest(rev, start, end, limit);
    const range = { start, end: end ?? NO_END, rev };
    // Ask for one extra row to learn whether more follow without a second query.
    const rows = this.stmts.listAt.all({ ...range, limit: limit === 0 ? -1 : limit + 1 }) as LogRow[];
    if (limit === 0 || rows.length <= limit) return { revision: rev, items: rows.map(toKv), more: false };
    const items = rows.slice(0, limit).map(toKv);
    const after = items[items.length - 1].key + "\u0000";
    const remaining = this.stmts.countAt.get({ ...range, start: after }) as number;
    return { revision: rev, items, more: true, remaining };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    this.ensureOpen();
    let count = 0;
    for (const _ of this.keys.range(prefix, prefixEnd(prefix))) count++;
    return { revision: this.revision, count };
  }

  create(key: string, value: string): Promise<WriteResult> {
    return this.enqueue({ kind: "create", key, value });
  }

  update(key: string, value: string, expectedModRevision: number): Promise<WriteResult> {
    return this.enqueue({ kind: "update", key, value, expected: expectedModRevision });
  }

  delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    return this.enqueue({ kind: "delete", key, expected: expectedModRevision });
  }

  watch(prefix: string, fromRevision: number, onEvents: WatchCallback, signal: AbortSignal): WatchHandle {
    this.ensureOpen();
    if (fromRevision < this.compacted) throw new CompactedError(fromRevision, this.compacted);
    let backlog: WatchEvent[] | undefined = [];
    if (fromRevision < this.revision) {
      backlog = this.tail.since(Math.max(fromRevision, INITIAL_REVISION), prefix);
      // Older than the in-memory tail: replay from the log. Synchronous, so no commit can land
      // between this read and the registration below.
      backlog ??= this.eventsFromLog(fromRevision, prefix);
    }
    return this.hub.register(prefix, fromRevision, backlog, this.revision, onEvents, signal);
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    const db = this.db!;
    db.transaction(() => {
      this.stmts.compact.run({ rev: revision });
      this.stmts.setMeta.run(COMPACTED_META, revision);
    })();
    this.compacted = revision;
    this.tail.dropThrough(revision);
  }

  private listLatest(rev: number, start: string, end: string | undefined, limit: number): ListResult {
    const items: KeyValue[] = [];
    let remaining = 0;
    for (const key of this.keys.range(start, end)) {
      if (limit === 0 || items.length < limit) items.push(this.latest.get(key)!);
      else remaining++;
    }
    return remaining > 0 ? { revision: rev, items, more: true, remaining } : { revision: rev, items, more: false };
  }

  private eventsFromLog(fromRevision: number, prefix: string): WatchEvent[] {
    const rows = this.stmts.eventsAfter.all({ after: fromRevision, start: prefix, end: prefixEnd(prefix) ?? NO_END }) as EventRow[];
    return rows.map(toEvent);
  }

  private enqueue(op: WriteOp): Promise<WriteResult> {
    if (!this.db) return Promise.reject(new BackendClosedError());
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate runs after the current turn's I/O callbacks and microtasks, so every
        // write issued by requests handled in this turn joins the same transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction, then publishes and resolves. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || !this.db) {
      for (const p of batch) p.reject(new BackendClosedError());
      return;
    }
    // The batch's own writes, layered over the cache while the transaction runs (null = deleted).
    const overlay = new Map<string, KeyValue | null>();
    const results: WriteResult[] = [];
    const events: WatchEvent[] = [];
    let rev = this.revision;
    const current = (key: string): KeyValue | undefined => {
      const o = overlay.get(key);
      return o === undefined ? this.latest.get(key) : (o ?? undefined);
    };
    const insert = this.stmts.insert;
    const apply = () => {
      for (const { op } of batch) {
        const prev = current(op.key);
        if (op.kind === "create") {
          if (prev) {
            results.push({ ok: false, reason: "exists", revision: rev, current: prev });
            continue;
          }
          rev++;
          const kv: KeyValue = { key: op.key, value: op.value, createRevision: rev, modRevision: rev };
          insert.run(rev, op.key, rev, 0, 0, op.value);
          overlay.set(op.key, kv);
          events.push({ type: "PUT", kv, isCreate: true });
          results.push({ ok: true, revision: rev, kv });
          continue;
        }
        if (!prev) {
          results.push({ ok: false, reason: "not-found", revision: rev });
          continue;
        }
        if (op.expected !== undefined && prev.modRevision !== op.expected) {
          results.push({ ok: false, reason: "conflict", revision: rev, current: prev });
          continue;
        }
        rev++;
        if (op.kind === "update") {
          const kv: KeyValue = { key: op.key, value: op.value, createRevision: prev.createRevision, modRevision: rev };
          insert.run(rev, op.key, prev.createRevision, prev.modRevision, 0, op.value);
          overlay.set(op.key, kv);
          events.push({ type: "PUT", kv, prevKv: prev, isCreate: false });
          results.push({ ok: true, revision: rev, kv, prev });
        } else {
          const kv: KeyValue = { key: op.key, value: prev.value, createRevision: prev.createRevision, modRevision: rev };
          insert.run(rev, op.key, prev.createRevision, prev.modRevision, 1, prev.value);
          overlay.set(op.key, null);
          events.push({ type: "DELETE", kv, prevKv: prev, isCreate: false });
          results.push({ ok: true, revision: rev, kv, prev });
        }
      }
    };
    try {
      this.db.transaction(apply).immediate();
    } catch (err) {
      for (const p of batch) p.reject(new Error("committing store writes", { cause: err }));
      return;
    }
    // Committed: make it visible, hand events to watchers, then settle the writers.
    this.revision = rev;
    for (const [key, kv] of overlay) {
      if (kv) {
        if (!this.latest.has(key)) this.keys.add(key);
        this.latest.set(key, kv);
      } else {
        this.latest.delete(key);
        this.keys.delete(key);
      }
    }
    if (events.length > 0) {
      this.tail.append(events);
      this.hub.publish(events, rev);
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  private ensureOpen(): void {
    if (!this.db) throw new BackendClosedError();
  }
}

function toKv(row: Pick<LogRow, "key" | "value" | "create_revision" | "revision">): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.revision };
}

function toEvent(row: EventRow): WatchEvent {
  const kv = toKv(row);
  const prevKv: KeyValue | undefined =
    row.prev_revision > 0 && row.prev_value !== null
      ? { key: row.key, value: row.prev_value, createRevision: row.prev_create_revision!, modRevision: row.prev_revision }
      : undefined;
  if (row.deleted) return { type: "DELETE", kv, prevKv, isCreate: false };
  return prevKv ? { type: "PUT", kv, prevKv, isCreate: false } : { type: "PUT", kv, isCreate: row.create_revision === row.revision };
}
