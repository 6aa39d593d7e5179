// runc, driven as Kubernetes' container runtimes drive it but without a daemon: each container is
// a foreground `runc run` child of the kubelet (its exit status is the container's, and its
// stdout/stderr pipes are the container's), `runc exec` runs probes and hooks, `runc kill` sends
// signals, `runc list`/`delete --force` clean up after a restart. State lives in --root (tmpfs).

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { underPty } from "../server/exec.js";

export { ptyResizer } from "../server/exec.js";

export interface ExecResult {
  code: number;
  output: string;
  timedOut: boolean;
}

export class Runc {
  readonly binary: string;
  readonly root: string;

  constructor(opts: { binary?: string; root?: string } = {}) {
    this.binary = opts.binary ?? "runc";
    this.root = opts.root ?? "/run/minicluster/runc";
  }

  private args(...rest: string[]): string[] {
    return ["--root", this.root, ...rest];
  }

  /**
   * Starts a container in the foreground; runc's own log (JSON) goes to `logFile`; `pidFile` appears once it runs.
   * With `tty` (the bundle's process.terminal), runc needs a terminal as its own stdio: it runs under
   * script(1) as `kubectl exec -it` does (../server/exec.ts), whose stdout then carries the
   * container's terminal and whose exit code is runc's; resize with ptyResizer(child).
   */
  run(id: string, bundle: string, opts: { stdin: boolean; tty?: boolean; logFile: string; pidFile: string }): ChildProcess {
    const argv = ["--root", this.root, "--log", opts.logFile, "--log-format", "json", "run", "--pid-file", opts.pidFile, "--bundle", bundle, id];
    if (opts.tty) {
      const full = underPty([this.binary, ...argv], undefined, true);
      // stdin stays an open pipe even without `stdin: true`: at the end of its input script(1) sends EOF to the terminal.
      return spawn(full[0]!, full.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, SHELL: "/bin/sh" } });
    }
    return spawn(this.binary, argv, {
      stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
  }

  /** Runs a command in a running container and collects its output (both streams, capped at 10 KiB). */
  exec(id: string, argv: string[], timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn(this.binary, this.args("exec", id, ...argv), { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      const take = (b: Buffer) => {
        if (output.length < 10_240) output += b.toString();
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
      let timedOut = false;
      const t = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      child.on("error", (err) => {
        clearTimeout(t);
        resolve({ code: -1, output: err.message, timedOut: false });
      });
      child.on("close", (code, signal) => {
        clearTimeout(t);
        resolve({ code: code ?? (signal ? 128 : -1), output: output.slice(0, 10_240), timedOut });
      });
    });
  }

  /** The interactive form (kubectl exec): the caller wires the streams. */
  spawnExec(id: string, argv: string[], opts: { tty?: boolean } = {}): ChildProcess {
    return spawn(this.binary, this.args("exec", ...(opts.tty ? ["--tty"] : []), id, ...argv), { stdio: ["pipe", "pipe", "pipe"] });
  }

  kill(id: string, signal: "TERM" | "KILL" | string): Promise<boolean> {
    return this.quiet("kill", id, signal);
  }

  delete(id: string): Promise<boolean> {
    return this.quiet("delete", "--force", id);
  }

  /** Ids of the containers runc knows (none when its root does not exist yet). */
  list(): Promise<string[]> {
    return new Promise((resolve) => {
      execFile(this.binary, this.args("list", "-q"), { timeout: 10_000 }, (err, stdout) => {
        resolve(err ? [] : stdout.split("\n").map((s) => s.trim()).filter(Boolean));
      });
    });
  }

  private quiet(...args: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      execFile(this.binary, this.args(...args), { timeout: 10_000 }, (err) => resolve(!err));
    });
  }
}
