// The store package: the Backend contract, its errors and key helpers, and the backends.
// The conformance suite (conformance.ts) is for tests only and is not exported here.

export type { Backend, KeyValue, ListOptions, ListResult, WatchCallback, WatchEvent, WatchHandle, WriteFailure, WriteResult } from "./backend.js";
export { BackendClosedError, CompactedError, FutureRevisionError } from "./errors.js";
export { compareKeys, keyAfter, prefixEnd } from "./keys.js";
export { MemoryBackend } from "./memory/memory-backend.js";
export { SqliteBackend, type SqliteBackendOptions } from "./sqlite/sqlite-backend.js";
