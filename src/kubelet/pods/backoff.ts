// Restart back-off in the manner of the kubelet's (client-go flowcontrol.Backoff keyed by pod UID
// and container name): the first restart is immediate; after that a container that exits again
// waits 10 s, then 20 s, 40 s ... up to 5 min before the next start. A container that ran for
// longer than twice the maximum (10 min) since the last back-off step starts over at 10 s.
// Pure (times are passed in) so it can be tested without waiting.

export interface BackOffOptions {
  initialMs?: number;
  maxMs?: number;
}

interface Entry {
  backoffMs: number;
  lastUpdateMs: number;
}

export class BackOff {
  private readonly entries = new Map<string, Entry>();
  readonly initialMs: number;
  readonly maxMs: number;

  constructor(opts: BackOffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
  }

  private expired(entry: Entry, eventMs: number): boolean {
    return eventMs - entry.lastUpdateMs > 2 * this.maxMs;
  }

  /**
   * How long from `nowMs` a start must still wait when the last run ended at `eventMs`; 0 when
   * a start may go ahead now.
   */
  remainingMs(key: string, eventMs: number, nowMs: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventMs)) return 0;
    return Math.max(0, e.backoffMs - (nowMs - eventMs));
  }

  /** The current step (what `remainingMs` measures against), 0 without one. */
  currentMs(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records a start after a run that ended at `eventMs`: the next wait doubles (first: initial). */
  next(key: string, eventMs: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventMs)) this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: eventMs });
    else this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdateMs: eventMs });
  }

  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
