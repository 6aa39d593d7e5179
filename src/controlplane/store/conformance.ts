// The one behaviour suite every Backend must pass. Backend test files call
// runBackendConformance with a factory; backends that persist also pass `reopen` so the suite
// can check that data, revisions and compaction survive a close.

import { afterEach, describe, expect, it } from "vitest";
import type { Backend, KeyValue, WatchEvent, WriteResult } from "./backend.js";
import { BackendClosedError, CompactedError, FutureRevisionError } from "./errors.js";
import { keyAfter } from "./keys.js";

export interface ConformanceOptions {
  /** Opens a new backend over the same storage as the given, already closed, one. */
  reopen?: (closed: Backend) => Backend;
}

type Ok = Extract<WriteResult, { ok: true }>;

function ok(r: WriteResult): Ok {
  if (!r.ok) throw new Error(`expected a successful write, got ${r.reason}`);
  return r;
}

/** Collects watch events and lets a test wait until a condition on them holds. */
class Recorder {
  events: WatchEvent[] = [];
  revisions: number[] = [];
  private waiters: Array<() => void> = [];
  readonly controller = new AbortController();
  readonly onEvents = (events: WatchEvent[], revision: number) => {
    this.events.push(...events);
    this.revisions.push(revision);
    for (const w of this.waiters.splice(0)) w();
  };
  async until(pred: (events: WatchEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      if (Date.now() > deadline) throw new Error(`watch condition not met; have ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  stop(): void {
    this.controller.abort();
  }
}

const summary = (e: WatchEvent) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`;
const keysOf = (items: KeyValue[]) => items.map((kv) => kv.key);

export function runBackendConformance(name: string, makeBackend: () => Backend, options: ConformanceOptions = {}): void {
  describe(`${name} backend conformance`, () => {
    const open: Backend[] = [];
    const recorders: Recorder[] = [];

    async function fresh(): Promise<Backend> {
      const b = makeBackend();
      await b.start();
      open.push(b);
      return b;
    }

    function record(b: Backend, prefix: string, from: number): Recorder {
      const r = new Recorder();
      recorders.push(r);
      b.watch(prefix, from, r.onEvents, r.controller.signal);
      return r;
    }

    afterEach(async () => {
      for (const r of recorders.splice(0)) r.stop();
      for (const b of open.splice(0)) await b.close().catch(() => {});
    });

    describe("writes", () => {
      it("starts at revision 1, uncompacted and empty", async () => {
        const b = await fresh();
        expect(b.currentRevision()).toBe(1);
        expect(b.compactedRevision()).toBe(0);
        expect(await b.get("/registry/nodes/n1")).toEqual({ revision: 1, kv: undefined });
        expect(await b.list("/registry/")).toEqual({ revision: 1, items: [], more: false });
      });

      it("creates a key at the next revision with createRevision = modRevision", async () => {
        const b = await fresh();
        const r = ok(await b.create("/registry/pods/default/web", '{"a":1}'));
        expect(r.revision).toBe(2);
        expect(r.kv).toEqual({ key: "/registry/pods/default/web", value: '{"a":1}', createRevision: 2, modRevision: 2 });
        expect(r.prev).toBeUndefined();
        expect(b.currentRevision()).toBe(2);
        expect((await b.get("/registry/pods/default/web")).kv).toEqual(r.kv);
      });

      it("refuses to create an existing key, as a value, without using a revision", async () => {
        const b = await fresh();
        const first = ok(await b.create("/k", "1"));
        const again = await b.create("/k", "2");
        expect(again).toEqual({ ok: false, reason: "exists", revision: 2, current: first.kv });
        expect(b.currentRevision()).toBe(2);
        expect((await b.get("/k")).kv?.value).toBe("1");
      });

      it("updates with the right modRevision, keeping createRevision and returning prev", async () => {
        const b = await fresh();
        const c = ok(await b.create("/k", "1"));
        await b.create("/other", "x");
        const u = ok(await b.update("/k", "2", c.kv.modRevision));
        expect(u.kv).toEqual({ key: "/k", value: "2", createRevision: 2, modRevision: 4 });
        expect(u.prev).toEqual(c.kv);
        expect((await b.get("/k")).kv).toEqual(u.kv);
      });

      it("reports a stale modRevision as a conflict value carrying the current version", async () => {
        const b = await fresh();
        const c = ok(await b.create("/k", "1"));
        const u = ok(await b.update("/k", "2", c.kv.modRevision));
        const stale = await b.update("/k", "3", c.kv.modRevision);
        expect(stale).toEqual({ ok: false, reason: "conflict", revision: u.revision, current: u.kv });
        expect((await b.get("/k")).kv?.value).toBe("2");
        expect(b.currentRevision()).toBe(u.revision);
      });

      it("reports update and delete of a missing key as not-found", async () => {
        const b = await fresh();
        expect(await b.update("/missing", "v", 2)).toEqual({ ok: false, reason: "not-found", revision: 1 });
        expect(await b.delete("/missing")).toEqual({ ok: false, reason: "not-found", revision: 1 });
        expect(await b.delete("/missing", 5)).toEqual({ ok: false, reason: "not-found", revision: 1 });
      });

      it("deletes with a matching modRevision and refuses a stale one", async () => {
        const b = await fresh();
        const c = ok(await b.create("/k", "1"));
        const u = ok(await b.update("/k", "2", c.revision));
        expect(await b.delete("/k", c.revision)).toEqual({ ok: false, reason: "conflict", revision: u.revision, current: u.kv });
        const d = ok(await b.delete("/k", u.revision));
        // The delete's kv carries the last value at the delete revision, as Kubernetes reports it.
        expect(d.kv).toEqual({ key: "/k", value: "2", createRevision: c.revision, modRevision: u.revision + 1 });
        expect(d.prev).toEqual(u.kv);
        expect((await b.get("/k")).kv).toBeUndefined();
        expect(await b.count("/")).toEqual({ revision: d.revision, count: 0 });
      });

      it("deletes unconditionally and re-creates with a new createRevision", async () => {
        const b = await fresh();
        ok(await b.create("/k", "1"));
        ok(await b.delete("/k"));
        const again = ok(await b.create("/k", "2"));
        expect(again.kv.createRevision).toBe(4);
        expect(again.prev).toBeUndefined();
      });

      it("lets exactly one of many racing compare-and-swaps win", async () => {
        const b = await fresh();
        const c = ok(await b.create("/k", "0"));
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => b.update("/k", String(i + 1), c.revision)));
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok && r.reason === "conflict")).toHaveLength(11);
        expect(b.currentRevision()).toBe(c.revision + 1);
      });

      it("advances one revision per successful write across all keys, in order", async () => {
        const b = await fresh();
        const writes = await Promise.all(Array.from({ length: 40 }, (_, i) => b.create(`/k/${i % 30}`, String(i))));
        const revs = writes.filter((w) => w.ok).map((w) => w.revision);
        expect(revs).toHaveLength(30);
        expect([...revs].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
        expect(b.currentRevision()).toBe(31);
        // Requests issued in order commit in that order.
        expect(revs).toEqual([...revs].sort((x, y) => x - y));
      });

      it("stores values byte-exactly, including unicode and large values", async () => {
        const b = await fresh();
        const big = JSON.stringify({ data: "x".repeat(1 << 20), s: "é ☃ \u{1f600} \u0000 '\"" });
        ok(await b.create("/big", big));
        expect((await b.get("/big")).kv?.value).toBe(big);
      });
    });

    describe("reads", () => {
      it("lists a prefix in sorted order without crossing prefix boundaries", async () => {
        const b = await fresh();
        for (const k of ["/registry/pods/default2/a", "/registry/pods/default/web-2", "/registry/pods/default/web-10", "/registry/pods/default/a", "/registry/pods/default", "/registry/pods/kube-system/dns", "/registry/podsx/default/a"]) {
          ok(await b.create(k, k));
        }
        const l = await b.list("/registry/pods/default/");
        expect(keysOf(l.items)).toEqual(["/registry/pods/default/a", "/registry/pods/default/web-10", "/registry/pods/default/web-2"]);
        expect(l.revision).toBe(b.currentRevision());
        expect(keysOf((await b.list("/registry/pods/default2/")).items)).toEqual(["/registry/pods/default2/a"]);
        expect((await b.list("/registry/pods/")).items).toHaveLength(6);
        expect((await b.list("")).items).toHaveLength(7);
      });

      it("orders keys byte-wise (UTF-8), not by UTF-16 code units", async () => {
        const b = await fresh();
        const keys = ["/u/\u{1f600}", "/u/\uffff", "/u/\u00e9", "/u/z", "/u/Z", "/u/a\u0000b", "/u/a"];
        for (const k of keys) ok(await b.create(k, "v"));
        const want = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(keysOf((await b.list("/u/")).items)).toEqual(want);
      });

      it("pages with limit and an inclusive startKey, reporting what remains", async () => {
        const b = await fresh();
        for (let i = 0; i < 7; i++) ok(await b.create(`/p/k${i}`, String(i)));
        const p1 = await b.list("/p/", { limit: 3 });
        expect(keysOf(p1.items)).toEqual(["/p/k0", "/p/k1", "/p/k2"]);
        expect(p1).toMatchObject({ more: true, remaining: 4 });
        const p2 = await b.list("/p/", { limit: 3, startKey: keyAfter("/p/k2"), revision: p1.revision });
        expect(keysOf(p2.items)).toEqual(["/p/k3", "/p/k4", "/p/k5"]);
        expect(p2).toMatchObject({ more: true, remaining: 1 });
        const p3 = await b.list("/p/", { limit: 3, startKey: keyAfter("/p/k5"), revision: p1.revision });
        expect(keysOf(p3.items)).toEqual(["/p/k6"]);
        expect(p3.more).toBe(false);
        // Inclusive start, and a start before the prefix means the prefix.
        expect(keysOf((await b.list("/p/", { startKey: "/p/k6" })).items)).toEqual(["/p/k6"]);
        expect((await b.list("/p/", { startKey: "/a" })).items).toHaveLength(7);
        // An exact limit has no more.
        expect(await b.list("/p/", { limit: 7 })).toMatchObject({ more: false });
      });

      it("keeps pages consistent at the first page's revision while writes happen between pages", async () => {
        const b = await fresh();
        for (let i = 0; i < 10; i++) ok(await b.create(`/ns/k${i}`, `v${i}`));
        const p1 = await b.list("/ns/", { limit: 4 });
        const snapshot = p1.revision;
        // Between pages: update, delete, and create keys in the not-yet-listed range.
        const k5 = (await b.get("/ns/k5")).kv!;
        ok(await b.update("/ns/k5", "changed", k5.modRevision));
        ok(await b.delete("/ns/k6"));
        ok(await b.create("/ns/k4a", "new"));
        ok(await b.delete("/ns/k0"));
        const pages = [p1];
        let last = p1;
        while (last.more) {
          last = await b.list("/ns/", { limit: 4, revision: snapshot, startKey: keyAfter(last.items[last.items.length - 1].key) });
          expect(last.revision).toBe(snapshot);
          pages.push(last);
        }
        const all = pages.flatMap((p) => p.items);
        expect(keysOf(all)).toEqual(Array.from({ length: 10 }, (_, i) => `/ns/k${i}`));
        expect(all.map((kv) => kv.value)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
        expect(pages[1].remaining).toBe(2);
        // And the current state reflects the writes.
        expect(keysOf((await b.list("/ns/")).items)).toEqual(["/ns/k1", "/ns/k2", "/ns/k3", "/ns/k4", "/ns/k4a", "/ns/k5", "/ns/k7", "/ns/k8", "/ns/k9"]);
      });

      it("reads a key and a prefix at old revisions, including deleted keys", async () => {
        const b = await fresh();
        const a1 = ok(await b.create("/o/a", "a1"));
        ok(await b.create("/o/b", "b1"));
        const a2 = ok(await b.update("/o/a", "a2", a1.revision));
        const delB = ok(await b.delete("/o/b"));
        expect((await b.get("/o/a", a1.revision)).kv?.value).toBe("a1");
        expect((await b.get("/o/a", a1.revision - 1)).kv).toBeUndefined();
        expect(await b.get("/o/a", a2.revision)).toEqual({ revision: a2.revision, kv: a2.kv });
        expect((await b.get("/o/b", delB.revision - 1)).kv?.value).toBe("b1");
        expect((await b.get("/o/b", delB.revision)).kv).toBeUndefined();
        const old = await b.list("/o/", { revision: a1.revision + 1 });
        expect(old.items.map((kv) => `${kv.key}=${kv.value}`)).toEqual(["/o/a=a1", "/o/b=b1"]);
        expect(old.revision).toBe(a1.revision + 1);
        expect((await b.list("/o/", { revision: delB.revision })).items.map((kv) => kv.value)).toEqual(["a2"]);
      });

      it("rejects reads at a future revision with FutureRevisionError", async () => {
        const b = await fresh();
        ok(await b.create("/k", "v"));
        await expect(b.list("/", { revision: 3 })).rejects.toBeInstanceOf(FutureRevisionError);
        await expect(b.get("/k", 99)).rejects.toMatchObject({ requestedRevision: 99, currentRevision: 2 });
      });

      it("counts live keys under a prefix", async () => {
        const b = await fresh();
        for (const k of ["/c/a/1", "/c/a/2", "/c/a/3", "/c/ab/1", "/c/b/1"]) ok(await b.create(k, "v"));
        ok(await b.delete("/c/a/2"));
        expect(await b.count("/c/a/")).toEqual({ revision: 7, count: 2 });
        expect((await b.count("/c/")).count).toBe(4);
        expect((await b.count("/none/")).count).toBe(0);
      });
    });

    describe("watch", () => {
      it("replays events committed before the watch call, then live ones", async () => {
        const b = await fresh();
        const c = ok(await b.create("/w/a", "1"));
        const u = ok(await b.update("/w/a", "2", c.revision));
        const r = record(b, "/w/", c.revision - 1);
        const d = ok(await b.delete("/w/a"));
        await r.until((e) => e.length === 3);
        expect(r.events).toEqual([
          { type: "PUT", kv: c.kv, isCreate: true },
          { type: "PUT", kv: u.kv, prevKv: c.kv, isCreate: false },
          { type: "DELETE", kv: d.kv, prevKv: u.kv, isCreate: false },
        ]);
        expect(r.revisions[r.revisions.length - 1]).toBe(d.revision);
      });

      it("delivers only events after the given revision", async () => {
        const b = await fresh();
        ok(await b.create("/w/a", "1"));
        const second = ok(await b.create("/w/b", "1"));
        const r = record(b, "/w/", second.revision - 1);
        const fromNow = record(b, "/w/", b.currentRevision());
        ok(await b.create("/w/c", "1"));
        await r.until((e) => e.length === 2);
        await fromNow.until((e) => e.length === 1);
        expect(r.events.map(summary)).toEqual(["PUT /w/b@3", "PUT /w/c@4"]);
        expect(fromNow.events.map(summary)).toEqual(["PUT /w/c@4"]);
      });

      it("hands a commit's events to watchers before the write's promise resolves", async () => {
        const b = await fresh();
        const r = record(b, "/", b.currentRevision());
        const w = ok(await b.create("/k", "v"));
        expect(r.events.map(summary)).toEqual([`PUT /k@${w.revision}`]);
      });

      it("never calls back from inside watch() itself", async () => {
        const b = await fresh();
        ok(await b.create("/k", "v"));
        let calls = 0;
        const ac = new AbortController();
        b.watch("/", 0, () => calls++, ac.signal);
        expect(calls).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(calls).toBe(1);
        ac.abort();
      });

      it("filters by prefix without crossing prefix boundaries", async () => {
        const b = await fresh();
        const r = record(b, "/registry/pods/default/", 1);
        for (const k of ["/registry/pods/default/a", "/registry/pods/default2/a", "/registry/pods/defaul", "/registry/pods/default/b"]) ok(await b.create(k, "v"));
        await r.until((e) => e.length >= 2);
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(r.events.map((e) => e.kv.key)).toEqual(["/registry/pods/default/a", "/registry/pods/default/b"]);
      });

      it("has no gaps or duplicates when watches start while writes race", async () => {
        const b = await fresh();
        const total = 300;
        const recs: Array<{ from: number; r: Recorder }> = [];
        const writes: Array<Promise<WriteResult>> = [];
        for (let i = 0; i < total; i++) {
          writes.push(b.create(`/race/${i}`, String(i)));
          // Register watchers at assorted points: mid-burst, from the current and older revisions.
          if (i % 50 === 25) {
            const from = Math.max(1, b.currentRevision() - 10);
            recs.push({ from, r: record(b, "/race/", from) });
            recs.push({ from: b.currentRevision(), r: record(b, "/race/", b.currentRevision()) });
          }
          if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(writes);
        const end = b.currentRevision();
        expect(end).toBe(total + 1);
        for (const { from, r } of recs) {
          await r.until((e) => e.length >= end - from);
          const revs = r.events.map((e) => e.kv.modRevision);
          expect(revs).toEqual(Array.from({ length: end - from }, (_, i) => from + 1 + i));
        }
      });

      it("delivers concurrent updates to one key in revision order with matching prevKv", async () => {
        const b = await fresh();
        const c = ok(await b.create("/seq", "0"));
        const r = record(b, "/seq", c.revision);
        let rev = c.revision;
        const pending: Array<Promise<WriteResult>> = [];
        for (let i = 1; i <= 50; i++) {
          // Each update expects the revision the previous one will produce: all succeed only if
          // the backend commits them in call order.
          pending.push(b.update("/seq", String(i), rev));
          rev++;
        }
        const results = await Promise.all(pending);
        expect(results.every((x) => x.ok)).toBe(true);
        await r.until((e) => e.length === 50);
        r.events.forEach((e, i) => {
          expect(e.kv.value).toBe(String(i + 1));
          expect(e.prevKv?.value).toBe(String(i));
          expect(e.prevKv?.modRevision).toBe(e.kv.modRevision - 1);
        });
      });

      it("stops delivering after abort and resolves closed", async () => {
        const b = await fresh();
        const ac = new AbortController();
        const seen: WatchEvent[] = [];
        const h = b.watch("/", b.currentRevision(), (ev) => seen.push(...ev), ac.signal);
        ok(await b.create("/a", "1"));
        ac.abort();
        await expect(h.closed).resolves.toBeUndefined();
        ok(await b.create("/b", "1"));
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(seen.map((e) => e.kv.key)).toEqual(["/a"]);
      });

      it("stops a watcher whose callback throws, without disturbing others", async () => {
        const b = await fresh();
        const bad = new AbortController();
        const h = b.watch("/", 1, () => { throw new Error("boom"); }, bad.signal);
        const good = record(b, "/", 1);
        ok(await b.create("/a", "1"));
        ok(await b.create("/b", "1"));
        await expect(h.closed).rejects.toThrow("boom");
        await good.until((e) => e.length === 2);
      });

      it("accepts a watch from a future revision and starts after it", async () => {
        const b = await fresh();
        const r = record(b, "/", 3);
        for (const k of ["/a", "/b", "/c"]) ok(await b.create(k, "v"));
        await r.until((e) => e.length === 1);
        expect(r.events.map(summary)).toEqual(["PUT /c@4"]);
      });

      it("ends watches on close", async () => {
        const b = await fresh();
        const h = b.watch("/", 1, () => {}, new AbortController().signal);
        await b.close();
        await expect(h.closed).resolves.toBeUndefined();
        await expect(b.get("/x")).rejects.toBeInstanceOf(BackendClosedError);
      });
    });

    describe("compaction", () => {
      async function history(b: Backend) {
        const a1 = ok(await b.create("/h/a", "a1"));
        const gone = ok(await b.create("/h/gone", "g"));
        const a2 = ok(await b.update("/h/a", "a2", a1.revision));
        const del = ok(await b.delete("/h/gone", gone.revision));
        const keep = ok(await b.create("/h/keep", "k"));
        return { a1, a2, del, keep };
      }

      it("makes older revisions fail with CompactedError and keeps the latest live versions", async () => {
        const b = await fresh();
        const { a1, a2, del, keep } = await history(b);
        await b.compact(del.revision);
        expect(b.compactedRevision()).toBe(del.revision);
        const err = await b.get("/h/a", a1.revision).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CompactedError);
        expect(err).toMatchObject({ compactedRevision: del.revision, requestedRevision: a1.revision });
        await expect(b.list("/h/", { revision: a2.revision })).rejects.toBeInstanceOf(CompactedError);
        // At the compacted revision itself and later, reads still work.
        expect((await b.list("/h/", { revision: del.revision })).items.map((kv) => kv.value)).toEqual(["a2"]);
        expect((await b.list("/h/")).items).toEqual([a2.kv, keep.kv]);
        expect((await b.get("/h/gone")).kv).toBeUndefined();
        expect(b.currentRevision()).toBe(keep.revision);
      });

      it("refuses watches from before the compacted revision and serves them from it", async () => {
        const b = await fresh();
        const { del, keep } = await history(b);
        await b.compact(del.revision);
        expect(() => b.watch("/h/", del.revision - 1, () => {}, new AbortController().signal)).toThrow(CompactedError);
        const r = record(b, "/h/", del.revision);
        await r.until((e) => e.length === 1);
        expect(r.events).toEqual([{ type: "PUT", kv: keep.kv, isCreate: true }]);
      });

      it("keeps a key whose only version is older than the compaction, and writes continue", async () => {
        const b = await fresh();
        const old = ok(await b.create("/z/old", "o"));
        for (let i = 0; i < 5; i++) ok(await b.create(`/z/n${i}`, "v"));
        await b.compact(b.currentRevision());
        expect((await b.get("/z/old")).kv).toEqual(old.kv);
        const u = ok(await b.update("/z/old", "o2", old.revision));
        expect(u.prev).toEqual(old.kv);
        expect(u.revision).toBe(8);
      });

      it("ignores compaction at or below the compacted revision and refuses a future one", async () => {
        const b = await fresh();
        await history(b);
        await b.compact(4);
        await b.compact(3);
        expect(b.compactedRevision()).toBe(4);
        await expect(b.compact(b.currentRevision() + 1)).rejects.toBeInstanceOf(FutureRevisionError);
      });

      it("compacts a deleted key away entirely once its tombstone is below the compacted revision", async () => {
        const b = await fresh();
        const c = ok(await b.create("/d/x", "1"));
        const d = ok(await b.delete("/d/x"));
        ok(await b.create("/d/y", "1"));
        await b.compact(d.revision);
        expect((await b.list("/d/", { revision: d.revision })).items).toEqual([]);
        const again = ok(await b.create("/d/x", "2"));
        expect(again.kv.createRevision).toBe(again.revision);
        expect(again.revision).toBeGreaterThan(c.revision);
      });
    });

    if (options.reopen) {
      const reopen = options.reopen;
      describe("persistence", () => {
        it("keeps data, revision and compaction across close and reopen", async () => {
          const b = await fresh();
          const a1 = ok(await b.create("/r/a", "1"));
          ok(await b.update("/r/a", "2", a1.revision));
          ok(await b.create("/r/b", "b"));
          const del = ok(await b.delete("/r/b"));
          await b.compact(a1.revision);
          await b.close();
          const again = reopen(b);
          await again.start();
          open.push(again);
          expect(again.currentRevision()).toBe(del.revision);
          expect(again.compactedRevision()).toBe(a1.revision);
          expect((await again.list("/r/")).items.map((kv) => kv.value)).toEqual(["2"]);
          expect((await again.get("/r/b", del.revision - 1)).kv?.value).toBe("b");
          await expect(again.get("/r/a", a1.revision - 1)).rejects.toBeInstanceOf(CompactedError);
          // A watch from before the reopen replays history from storage.
          const r = record(again, "/r/", a1.revision);
          const next = ok(await again.create("/r/c", "c"));
          expect(next.revision).toBe(del.revision + 1);
          await r.until((e) => e.length === 4);
          expect(r.events.map(summary)).toEqual([`PUT /r/a@${a1.revision + 1}`, `PUT /r/b@${a1.revision + 2}`, `DELETE /r/b@${del.revision}`, `PUT /r/c@${next.revision}`]);
          expect(r.events[2].prevKv?.value).toBe("b");
          expect(r.events[0].prevKv?.value).toBe("1");
        });

        it("does not reuse a revision whose only row was compacted away", async () => {
          const b = await fresh();
          ok(await b.create("/x", "1"));
          const d = ok(await b.delete("/x"));
          await b.compact(d.revision);
          await b.close();
          const again = reopen(b);
          await again.start();
          open.push(again);
          expect(again.currentRevision()).toBe(d.revision);
          expect(ok(await again.create("/y", "1")).revision).toBe(d.revision + 1);
        });
      });
    }
  });
}
