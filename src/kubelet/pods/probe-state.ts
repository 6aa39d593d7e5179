// The result of a probe as the kubelet's prober keeps it: consecutive successes and failures
// are counted, and the result flips only when successThreshold successes or failureThreshold
// failures in a row are reached. Before the first result, liveness counts as passing (a
// container is not killed before it was probed), readiness as failing (no traffic before the
// first success), startup as unknown (liveness and readiness wait for it). Pure.

import type { Probe } from "kubernetes-types/core/v1.js";

export type ProbeKind = "liveness" | "readiness" | "startup";
export type ProbeResult = "success" | "failure" | "unknown";

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Probe, kind: ProbeKind): ProbeTiming {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds ?? 1) * 1000,
    // Liveness and startup must use 1 (validation enforces it); keep it robust anyway.
    successThreshold: kind === "readiness" ? Math.max(1, p.successThreshold ?? 1) : 1,
    failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

export class ProbeState {
  result: ProbeResult;
  private successes = 0;
  private failures = 0;

  constructor(
    readonly kind: ProbeKind,
    private readonly timing: Pick<ProbeTiming, "successThreshold" | "failureThreshold">,
  ) {
    this.result = kind === "liveness" ? "success" : kind === "readiness" ? "failure" : "unknown";
  }

  /** Records one probe outcome; returns whether the result changed. */
  record(ok: boolean): boolean {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.result !== "success" && this.successes >= this.timing.successThreshold) {
        this.result = "success";
        return true;
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.result !== "failure" && this.failures >= this.timing.failureThreshold) {
        this.result = "failure";
        return true;
      }
    }
    return false;
  }

  /** After an action on failure (a restart), counting starts over. */
  reset(): void {
    this.successes = 0;
    this.failures = 0;
  }
}
