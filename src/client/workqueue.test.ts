import { describe, expect, it } from "vitest";
import { WorkQueue } from "./workqueue.js";

describe("WorkQueue", () => {
  it("de-duplicates keys waiting in the queue", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (k) => {
      seen.push(k);
      if (k === "busy") await gate;
    });
    q.add("busy"); // occupies the only worker, so the next keys wait in the queue
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    release();
    await q.idle();
    expect(seen).toEqual(["busy", "a", "b"]);
  });

  it("never runs one key twice at once and re-runs a key added while it ran", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate;
        running--;
      },
      { workers: 4 },
    );
    q.add("k");
    await new Promise((r) => setTimeout(r, 5));
    q.add("k");
    q.add("k");
    release();
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it("retries failures with back-off until they succeed", async () => {
    let attempts = 0;
    const errors: unknown[] = [];
    const q = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error("not yet");
      },
      { baseDelayMs: 1, onError: (_k, e) => errors.push(e) },
    );
    q.add("x");
    await q.idle();
    expect(attempts).toBe(3);
    expect(errors).toHaveLength(2);
  });
});
