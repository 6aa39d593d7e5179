// Fan-out of committed events to watchers. A backend registers a watcher together with its
// backlog (history after the requested revision) in the same synchronous step in which it read
// that history, so no commit can slip between them: that is what makes "no gaps, no
// duplicates" hold while writes race the watch call. Delivery goes through a per-watcher queue
// drained in a microtask, so callbacks never run inside a commit or inside watch() itself,
// yet they run before the committing writes' promises resolve to their awaiters.

import type { WatchCallback, WatchEvent, WatchHandle } from "./backend.js";

interface Watcher {
  readonly prefix: string;
  /** Only events after this revision are wanted (matters for watches from a future revision). */
  readonly after: number;
  readonly onEvents: WatchCallback;
  pending: WatchEvent[];
  pendingRevision: number;
  scheduled: boolean;
  stopped: boolean;
  finish: (err?: unknown) => void;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  /**
   * @param after the watch's fromRevision: live events at or below it are skipped
   * @param backlog history after `after` up to `revision`, already filtered by prefix
   * @param revision the store revision the backlog was read at
   */
  register(prefix: string, after: number, backlog: WatchEvent[], revision: number, onEvents: WatchCallback, signal: AbortSignal): WatchHandle {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const closed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A rejected `closed` nobody awaits must not crash the process: mark it handled here.
    closed.catch(() => {});
    if (signal.aborted) {
      resolve();
      return { closed };
    }
    const onAbort = () => w.finish();
    const w: Watcher = {
      prefix,
      after,
      onEvents,
      pending: [],
      pendingRevision: revision,
      scheduled: false,
      stopped: false,
      finish: (err?: unknown) => {
        if (w.stopped) return;
        w.stopped = true;
        w.pending = [];
        this.watchers.delete(w);
        signal.removeEventListener("abort", onAbort);
        if (err === undefined) resolve();
        else reject(err);
      },
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.watchers.add(w);
    if (backlog.length > 0) this.enqueue(w, backlog, revision);
    return { closed };
  }

  /** Hands the events of one commit (in revision order) to every matching watcher. */
  publish(events: readonly WatchEvent[], revision: number): void {
    for (const w of this.watchers) {
      let matched: WatchEvent[] | undefined;
      for (const ev of events) {
        if (ev.kv.modRevision > w.after && ev.kv.key.startsWith(w.prefix)) (matched ??= []).push(ev);
      }
      if (matched) this.enqueue(w, matched, revision);
    }
  }

  /** Ends every watch (backend closing). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.finish();
  }

  private enqueue(w: Watcher, events: WatchEvent[], revision: number): void {
    if (w.pending.length === 0) w.pending = events;
    else for (const ev of events) w.pending.push(ev);
    w.pendingRevision = revision;
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => this.flush(w));
  }

  private flush(w: Watcher): void {
    w.scheduled = false;
    if (w.stopped || w.pending.length === 0) return;
    const events = w.pending;
    w.pending = [];
    try {
      w.onEvents(events, w.pendingRevision);
    } catch (err) {
      w.finish(err);
    }
  }
}
