import { describe, expect, it } from "vitest";
import type { WatchEvent } from "./backend.js";
import { EventLog } from "./event-log.js";

const put = (key: string, rev: number): WatchEvent => ({ type: "PUT", kv: { key, value: "v", createRevision: rev, modRevision: rev }, isCreate: true });
const revs = (events: WatchEvent[] | undefined) => events?.map((e) => e.kv.modRevision);

describe("EventLog", () => {
  it("answers 'events after r' for every r at or above its floor, filtered by prefix", () => {
    const log = new EventLog(1);
    log.append([put("/a/1", 2), put("/b/1", 3), put("/a/2", 4)]);
    expect(revs(log.since(1, ""))).toEqual([2, 3, 4]);
    expect(revs(log.since(2, "/a/"))).toEqual([4]);
    expect(revs(log.since(4, ""))).toEqual([]);
    expect(log.since(0, "")).toBeUndefined();
  });

  it("drops the oldest events beyond its capacity and raises the floor", () => {
    const log = new EventLog(10, 3);
    for (let r = 11; r <= 2100; r++) log.append([put("/k", r)]);
    expect(log.size).toBe(3);
    expect(log.floor).toBe(2097);
    expect(log.since(2096, "")).toBeUndefined();
    expect(revs(log.since(2097, ""))).toEqual([2098, 2099, 2100]);
  });

  it("drops the oldest events beyond its byte budget, counting both values of an update", () => {
    const update = (key: string, rev: number, value: string, prev: string): WatchEvent => ({
      type: "PUT",
      kv: { key, value, createRevision: 2, modRevision: rev },
      prevKv: { key, value: prev, createRevision: 2, modRevision: rev - 1 },
      isCreate: false,
    });
    const log = new EventLog(1, Number.POSITIVE_INFINITY, 25);
    log.append([update("/a", 2, "x".repeat(10), "y".repeat(5))]);
    log.append([update("/a", 3, "x".repeat(5), "x".repeat(10))]);
    expect(log.valueBytes).toBe(30 - 15);
    expect(revs(log.since(2, ""))).toEqual([3]);
    expect(log.since(1, "")).toBeUndefined();
    // A DELETE's prevKv is the same value: counted once.
    const value = "z".repeat(8);
    log.append([{ type: "DELETE", kv: { key: "/a", value, createRevision: 2, modRevision: 4 }, prevKv: { key: "/a", value, createRevision: 2, modRevision: 3 }, isCreate: false }]);
    expect(log.valueBytes).toBe(15 + 8);
    expect(revs(log.since(2, ""))).toEqual([3, 4]);
    // One event over the whole budget leaves the log empty, floor at its revision.
    log.append([put("/b", 5), update("/b", 6, "w".repeat(40), "v")]);
    expect(log.size).toBe(0);
    expect(log.floor).toBe(6);
    expect(log.valueBytes).toBe(0);
  });

  it("forgets events through a revision (compaction)", () => {
    const log = new EventLog(1);
    log.append([put("/a", 2), put("/b", 3), put("/c", 4)]);
    log.dropThrough(3);
    expect(log.floor).toBe(3);
    expect(revs(log.since(3, ""))).toEqual([4]);
    log.dropThrough(2);
    expect(log.floor).toBe(3);
  });

  it("refuses a gap in revisions", () => {
    const log = new EventLog(1);
    expect(() => log.append([put("/a", 3)])).toThrow(/gap/);
  });
});
