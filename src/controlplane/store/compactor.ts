// Periodic compaction, as kube-apiserver asks etcd for it: every interval, compact to the
// revision that was current one retention period ago, so history (and watch resumption) covers
// at least that period while the database stays small.

import type { Backend } from "./backend.js";

export interface CompactorOptions {
  intervalMs?: number;
  retentionMs?: number;
}

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private readonly marks: Array<{ at: number; revision: number }> = [];

  constructor(
    private readonly backend: Backend,
    private readonly log: (m: string) => void = () => {},
    private readonly opts: CompactorOptions = {},
  ) {}

  start(): void {
    const interval = this.opts.intervalMs ?? 60_000;
    this.timer = setInterval(() => void this.tick(Date.now()), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One step: remember the current revision, compact to the newest mark older than retention. */
  async tick(now: number): Promise<void> {
    const retention = this.opts.retentionMs ?? 5 * 60_000;
    this.marks.push({ at: now, revision: this.backend.currentRevision() });
    let target = 0;
    while (this.marks.length && now - this.marks[0].at >= retention) target = this.marks.shift()!.revision;
    if (target > this.backend.compactedRevision()) {
      try {
        await this.backend.compact(target);
      } catch (err) {
        this.log(`compaction at ${target} failed: ${String(err)}`);
      }
    }
  }
}
