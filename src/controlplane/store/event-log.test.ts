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
