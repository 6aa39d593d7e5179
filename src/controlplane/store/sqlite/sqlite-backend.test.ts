import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Backend, WatchEvent } from "../backend.js";
import { runBackendConformance } from "../conformance.js";
import type { EventLog } from "../event-log.js";
import { keyAfter } from "../keys.js";
import { SqliteBackend } from "./sqlite-backend.js";

const dir = mkdtempSync(join(tmpdir(), "store-sqlite-"));
let n = 0;
const newPath = () => join(dir, `db-${n++}.sqlite`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runBackendConformance("sqlite", () => new SqliteBackend({ path: newPath() }), {
  reopen: (closed) => new SqliteBackend({ path: (closed as SqliteBackend).path }),
});

describe("sqlite backend specifics", () => {
  const open: Backend[] = [];
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
  });
  async function start(b: SqliteBackend): Promise<SqliteBackend> {
    await b.start();
    open.push(b);
    return b;
  }

  it("replays watches older than the in-memory tail from the table", async () => {
    const b = await start(new SqliteBackend({ path: newPath(), watchTail: 3 }));
    for (let i = 0; i < 10; i++) await b.create(`/t/${i}`, String(i));
    await b.delete("/t/0");
    const seen: WatchEvent[] = [];
    const ac = new AbortController();
    b.watch("/t/", 2, (ev) => seen.push(...ev), ac.signal);
    await b.create("/t/new", "x");
    ac.abort();
    expect(seen.map((e) => `${e.type}@${e.kv.modRevision}`)).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `PUT@${i + 3}`),
      "DELETE@12",
      "PUT@13",
    ]);
    expect(seen[9].prevKv).toEqual({ key: "/t/0", value: "0", createRevision: 2, modRevision: 2 });
  });

  it("bounds the in-memory tail by value bytes and replays older watches from the table", async () => {
    const b = await start(new SqliteBackend({ path: newPath(), watchTailBytes: 1000 }));
    const big = (i: number) => String(i).repeat(300);
    let rev = (await b.create("/big/k", big(0))).revision;
    for (let i = 1; i < 6; i++) {
      const res = await b.update("/big/k", big(i), rev);
      if (!res.ok) throw new Error("update failed");
      rev = res.revision;
    }
    // 6 events of 300 + 300 characters: only the newest fits in 1000.
    const tail = (b as unknown as { tail: EventLog }).tail;
    expect([tail.size, tail.floor]).toEqual([1, 6]);
    const seen: WatchEvent[] = [];
    const ac = new AbortController();
    b.watch("/big/", 1, (ev) => seen.push(...ev), ac.signal);
    await b.update("/big/k", "last", rev);
    ac.abort();
    expect(seen.map((e) => `${e.isCreate ? "create" : "update"}@${e.kv.modRevision}`)).toEqual([
      "create@2",
      ...Array.from({ length: 5 }, (_, i) => `update@${i + 3}`),
      "update@8",
    ]);
    expect(seen.map((e) => e.prevKv?.value)).toEqual([undefined, big(0), big(1), big(2), big(3), big(4), big(5)]);
  });

  it("lists the whole key space (empty prefix) at a past revision", async () => {
    const b = await start(new SqliteBackend({ path: newPath() }));
    for (const k of ["/b", "/a", "/\u{1f600}", "/\uffff"]) await b.create(k, "v");
    const rev = b.currentRevision();
    await b.create("/c", "v");
    const page = await b.list("", { revision: rev, limit: 2 });
    expect(page.items.map((kv) => kv.key)).toEqual(["/a", "/b"]);
    expect(page).toMatchObject({ more: true, remaining: 2 });
    const rest = await b.list("", { revision: rev, startKey: keyAfter("/b") });
    expect(rest.items.map((kv) => kv.key)).toEqual(["/\uffff", "/\u{1f600}"]);
  });

  it("commits writes issued in the same tick in one group and still answers each", async () => {
    const b = await start(new SqliteBackend({ path: newPath() }));
    const results = await Promise.all([b.create("/g/a", "1"), b.create("/g/a", "2"), b.update("/g/a", "3", 2), b.delete("/g/a", 3), b.create("/g/b", "1")]);
    expect(results.map((r) => (r.ok ? `ok@${r.revision}` : r.reason))).toEqual(["ok@2", "exists", "ok@3", "ok@4", "ok@5"]);
    expect((await b.list("/g/")).items.map((kv) => kv.key)).toEqual(["/g/b"]);
  });

  it("opens an existing database of 10k keys quickly", async () => {
    const path = newPath();
    const b = new SqliteBackend({ path });
    await b.start();
    const value = JSON.stringify({ kind: "Pod", spec: { containers: [{ name: "c", image: "x".repeat(900) }] } });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => b.create(`/registry/pods/ns${i % 10}/p${i}`, value)));
    await Promise.all(Array.from({ length: 2_000 }, (_, i) => b.update(`/registry/pods/ns${i % 10}/p${i}`, value, i + 2)));
    await b.close();
    const t0 = performance.now();
    const again = await start(new SqliteBackend({ path }));
    const ms = performance.now() - t0;
    expect(again.currentRevision()).toBe(12_001);
    expect((await again.count("/registry/pods/")).count).toBe(10_000);
    expect(ms).toBeLessThan(200);
  });

  it("rejects queued writes if the backend closes and refuses new ones", async () => {
    const b = new SqliteBackend({ path: newPath() });
    await b.start();
    const pending = b.create("/k", "v");
    await b.close();
    // Accepted before close: committed.
    expect((await pending).ok).toBe(true);
    await expect(b.create("/k2", "v")).rejects.toThrow("closed");
  });
});
