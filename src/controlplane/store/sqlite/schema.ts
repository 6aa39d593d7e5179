// The SQLite layout: one append-only log, as in kine. Every write appends exactly one row whose
// primary key is the store revision; "the state at revision R" is, per key, the newest row with
// revision <= R, unless that row is a tombstone.
//
// Why a single log rather than a current-state table plus a history table: a write is one
// append (one table b-tree insert and one index insert) instead of an upsert plus an insert,
// past-revision reads and watch replays are the same query shape as current ones, and there
// is no second copy of the state that could disagree with the history. What a current-state
// table would buy — fast "latest" reads — the backend gets from its in-memory cache of the
// latest versions, loaded at start with one "newest row per key" query over the
// (key, revision) index.
//
// Durability we ship: journal_mode=WAL with synchronous=FULL. Every commit fsyncs the WAL
// before a write's promise resolves, so acknowledged writes survive a process kill and a power
// loss, like etcd (which fsyncs its WAL per batch). Group commit (see sqlite-backend.ts)
// amortises the fsync over all writes that arrive in the same event-loop turn.

import type { Database } from "better-sqlite3";

export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS kv_log (
  revision        INTEGER PRIMARY KEY,  -- the store revision of this change (= resourceVersion)
  key             TEXT    NOT NULL,
  create_revision INTEGER NOT NULL,     -- revision that created this incarnation of the key
  prev_revision   INTEGER NOT NULL,     -- modRevision of the version this row replaced, 0 on create
  deleted         INTEGER NOT NULL,     -- 1 = tombstone; value then holds the deleted value
  value           TEXT    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS kv_log_key_revision ON kv_log (key, revision);
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
`;

/** Applies pragmas and creates the schema; refuses databases written by another schema version. */
export function initSchema(db: Database, durability: "full" | "normal"): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  // Another process (e.g. a `sqlite3` shell) holding a lock should delay us, not fail us.
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version !== 0 && version !== SCHEMA_VERSION) {
    throw new Error(`store database has schema version ${version}; this build understands ${SCHEMA_VERSION}`);
  }
  db.exec(DDL);
  if (version === 0) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

/** Row of the log as read back; column names match the table. */
export interface LogRow {
  revision: number;
  key: string;
  create_revision: number;
  prev_revision: number;
  deleted: number;
  value: string;
}

/** An event row joined with the row it replaced (for prevKv). */
export interface EventRow extends LogRow {
  prev_value: string | null;
  prev_create_revision: number | null;
}

// Key ranges are half-open [start, end). For the empty prefix there is no end key; binding an
// empty BLOB as `end` then makes `key < end` always true, because SQLite orders every TEXT
// value before every BLOB value, and the index range scan still applies.
export const NO_END = Buffer.alloc(0);

/**
 * The state at a revision: newest row per key with revision <= @rev, tombstones dropped, in key
 * order. The inner ORDER BY key lets SQLite stream the groups straight off the (key, revision)
 * index and satisfy the outer ORDER BY without a sort, so a LIMITed page stops early.
 */
const LATEST_AT = `
  SELECT l.revision, l.key, l.create_revision, l.value
  FROM (SELECT key AS k, MAX(revision) AS r FROM kv_log
        WHERE key >= @start AND key < @end AND revision <= @rev GROUP BY key ORDER BY key) m
  JOIN kv_log l ON l.revision = m.r
  WHERE l.deleted = 0
  ORDER BY m.k`;

export function prepareStatements(db: Database) {
  return {
    insert: db.prepare<[number, string, number, number, number, string]>(
      "INSERT INTO kv_log (revision, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    maxRevision: db.prepare<[]>("SELECT MAX(revision) FROM kv_log").pluck(),
    getMeta: db.prepare<[string]>("SELECT value FROM meta WHERE name = ?").pluck(),
    setMeta: db.prepare<[string, number]>("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
    /** All live keys at the newest revision, in key order (startup). */
    loadLatest: db.prepare<{ start: string; end: Buffer; rev: number }>(LATEST_AT),
    getAt: db.prepare<[string, number]>(
      "SELECT revision, key, create_revision, prev_revision, deleted, value FROM kv_log WHERE key = ? AND revision <= ? ORDER BY revision DESC LIMIT 1",
    ),
    listAt: db.prepare<{ start: string; end: string | Buffer; rev: number; limit: number }>(`${LATEST_AT} LIMIT @limit`),
    countAt: db.prepare<{ start: string; end: string | Buffer; rev: number }>(`SELECT COUNT(*) FROM (${LATEST_AT})`).pluck(),
    eventsAfter: db.prepare<{ after: number; start: string; end: string | Buffer }>(`
      SELECT l.revision, l.key, l.create_revision, l.prev_revision, l.deleted, l.value,
             p.value AS prev_value, p.create_revision AS prev_create_revision
      FROM kv_log l LEFT JOIN kv_log p ON p.revision = l.prev_revision
      WHERE l.revision > @after AND l.key >= @start AND l.key < @end
      ORDER BY l.revision`),
    /**
     * Compaction: drop every row that no read at revision >= @rev can see: rows superseded by a
     * newer row at or below @rev, and tombstones at or below @rev.
     */
    compact: db.prepare<{ rev: number }>(`
      DELETE FROM kv_log WHERE revision <= @rev AND (
        deleted = 1 OR
        revision < (SELECT MAX(k.revision) FROM kv_log k WHERE k.key = kv_log.key AND k.revision <= @rev))`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
