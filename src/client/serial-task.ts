// An async job run one at a time: a request while it runs is remembered, and the job runs once
// more afterwards (any number of requests meanwhile make one more run, not many). For syncs that
// must see every change but never overlap (the node route watcher, the service proxy).
export class SerialTask {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly job: () => Promise<void>) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.job().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.request();
      }
    });
  }

  /** The run in progress, if any. */
  get current(): Promise<void> | undefined {
    return this.running;
  }
}
