// The recent event history used to start watches from a past revision. Every revision above
// the store's initial one is exactly one event, so the log is a dense array: the event for
// revision r sits at index r - floor - 1, and "events after r" is a slice, not a search.

import type { WatchEvent } from "./backend.js";

export class EventLog {
  private events: WatchEvent[] = [];
  private head = 0;
  private floorRev: number;

  /**
   * @param floor the revision the log starts after (it can answer "events after r" for r >= floor)
   * @param capacity how many events to keep; older ones are dropped and the floor moves up
   */
  constructor(floor: number, private readonly capacity = Number.POSITIVE_INFINITY) {
    this.floorRev = floor;
  }

  /** Events after this revision are all in the log. */
  get floor(): number {
    return this.floorRev;
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Appends events whose revisions continue the log without gaps. */
  append(events: readonly WatchEvent[]): void {
    for (const ev of events) {
      const want = this.floorRev + this.size + 1;
      if (ev.kv.modRevision !== want) throw new Error(`event log gap: got revision ${ev.kv.modRevision}, want ${want}`);
      this.events.push(ev);
    }
    if (this.size > this.capacity) this.dropThrough(this.floorRev + this.size - this.capacity);
  }

  /**
   * Events with revision > `revision` whose key starts with `prefix`, or undefined when the
   * log no longer holds all of them (revision < floor).
   */
  since(revision: number, prefix: string): WatchEvent[] | undefined {
    if (revision < this.floorRev) return undefined;
    const out: WatchEvent[] = [];
    for (let i = this.head + (revision - this.floorRev); i < this.events.length; i++) {
      const ev = this.events[i];
      if (ev.kv.key.startsWith(prefix)) out.push(ev);
    }
    return out;
  }

  /** Forgets events with revision <= `revision`. */
  dropThrough(revision: number): void {
    const n = Math.min(revision - this.floorRev, this.size);
    if (n <= 0) return;
    this.head += n;
    this.floorRev += n;
    // Reclaim the dropped prefix once it dominates, so trimming stays amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
