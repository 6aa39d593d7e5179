import { describe, expect, it } from "vitest";
import { SerialTask } from "./serial-task.js";

describe("SerialTask", () => {
  it("never overlaps runs, and requests during a run make exactly one more run", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const task = new SerialTask(async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    task.request();
    task.request();
    task.request();
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    release();
    await task.current;
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
    expect(task.current).toBeUndefined();
  });
});
