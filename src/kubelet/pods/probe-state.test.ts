import { describe, expect, it } from "vitest";
import { ProbeState, probeTiming } from "./probe-state.js";

describe("ProbeState", () => {
  it("starts as Kubernetes does per kind", () => {
    const t = { successThreshold: 1, failureThreshold: 3 };
    expect(new ProbeState("liveness", t).result).toBe("success");
    expect(new ProbeState("readiness", t).result).toBe("failure");
    expect(new ProbeState("startup", t).result).toBe("unknown");
  });

  it("fails after failureThreshold failures in a row; a success in between starts over", () => {
    const s = new ProbeState("liveness", { successThreshold: 1, failureThreshold: 3 });
    expect([s.record(false), s.record(false), s.record(true), s.record(false), s.record(false)]).toEqual([false, false, false, false, false]);
    expect(s.result).toBe("success");
    expect(s.record(false)).toBe(true);
    expect(s.result).toBe("failure");
    expect(s.record(false)).toBe(false);
  });

  it("becomes ready after successThreshold successes", () => {
    const s = new ProbeState("readiness", { successThreshold: 2, failureThreshold: 1 });
    expect(s.record(true)).toBe(false);
    expect(s.record(true)).toBe(true);
    expect(s.result).toBe("success");
    expect(s.record(false)).toBe(true);
    expect(s.result).toBe("failure");
  });

  it("defaults timings and forces successThreshold 1 except for readiness", () => {
    expect(probeTiming({}, "liveness")).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
    expect(probeTiming({ successThreshold: 3, periodSeconds: 2, initialDelaySeconds: 5 }, "startup").successThreshold).toBe(1);
    expect(probeTiming({ successThreshold: 3 }, "readiness").successThreshold).toBe(3);
  });
});
