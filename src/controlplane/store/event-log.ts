// The recent event history used to start watches from a past revision. Every revision above
// the store's initial one is exactly one event, so the log is a dense array: the event for
// revision r sits at index r - floor - 1, and "events after r" is a slice, not a search.

import type { WatchEvent } from "./backend.js";

export class EventLog {
  // Slots before `head` were dropped; they are cleared so the events can be collected at once.
  private events: (WatchEvent | undefined)[] = [];
  private head = 0;
  private floorRev: number;
  private bytes = 0;

  /**
   * @param floor the revision the log starts after (it can answer "events after r" for r >= floor)
   * @param capacity how many events to keep; older ones are dropped and the floor moves up
   * @param maxBytes how many characters of values (see eventBytes) to keep, likewise
   */
  constructor(
    floor: number,
    private readonly capacity = Number.POSITIVE_INFINITY,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.floorRev = floor;
  }

  /** Events after this revision are all in the log. */
  get floor(): number {
    return this.floorRev;
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Characters of values the log holds (an upper bound: values the store's cache shares count too). */
  get valueBytes(): number {
    return this.bytes;
  }

  /** Appends events whose revisions continue the log without gaps. */
  append(events: readonly WatchEvent[]): void {
    for (const ev of events) {
      const want = this.floorRev + this.size + 1;
      if (ev.kv.modRevision !== want) throw new Error(`event log gap: got revision ${ev.kv.modRevision}, want ${want}`);
      this.events.push(ev);
      this.bytes += eventBytes(ev);
    }
    if (this.size > this.capacity) this.dropThrough(this.floorRev + this.size - this.capacity);
    if (this.bytes > this.maxBytes) {
      let n = 0;
      for (let excess = this.bytes - this.maxBytes; excess > 0; n++) excess -= eventBytes(this.events[this.head + n]!);
      this.dropThrough(this.floorRev + n);
    }
  }

  /**
   * Events with revision > `revision` whose key starts with `prefix`, or undefined when the
   * log no longer holds all of them (revision < floor).
   */
  since(revision: number, prefix: string): WatchEvent[] | undefined {
    if (revision < this.floorRev) return undefined;
    const out: WatchEvent[] = [];
    for (let i = this.head + (revision - this.floorRev); i < this.events.length; i++) {
      const ev = this.events[i]!;
      if (ev.kv.key.startsWith(prefix)) out.push(ev);
    }
    return out;
  }

  /** Forgets events with revision <= `revision`. */
  dropThrough(revision: number): void {
    const n = Math.min(revision - this.floorRev, this.size);
    if (n <= 0) return;
    for (let i = this.head; i < this.head + n; i++) {
      this.bytes -= eventBytes(this.events[i]!);
      this.events[i] = undefined;
    }
    this.head += n;
    this.floorRev += n;
    // Reclaim the dropped prefix once it dominates, so trimming stays amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The characters of the values an event holds (≈ bytes: stored JSON is mostly ASCII, which V8
 * keeps at one byte per character). A DELETE's prevKv shares its kv's value.
 */
function eventBytes(ev: WatchEvent): number {
  const prev = ev.prevKv && ev.prevKv.value !== ev.kv.value ? ev.prevKv.value.length : 0;
  return ev.kv.value.length + prev;
}
