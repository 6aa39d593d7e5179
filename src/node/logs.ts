// Component logs of a node: one line per event, prefixed with the component, to stderr and
// appended to <logDir>/<component>.log (what `minicluster export logs` collects). Writes are
// synchronous appends: log lines are few, and a line is on disk before the next event happens,
// which is what one wants from the log of a process that may be killed.

import fs from "node:fs";
import path from "node:path";

export type Log = (msg: string) => void;

export interface NodeLogs {
  /** The logger of one component ("server", "kubelet", "node"). */
  component(name: string): Log;
  close(): void;
}

export function formatLine(component: string, now: Date, msg: string): string {
  return `[${component}] ${now.toISOString()} ${msg}\n`;
}

export function openNodeLogs(opts: { logDir: string; stderr?: (line: string) => void; now?: () => Date }): NodeLogs {
  const stderr = opts.stderr ?? ((l: string) => void process.stderr.write(l));
  const now = opts.now ?? (() => new Date());
  fs.mkdirSync(opts.logDir, { recursive: true, mode: 0o755 });
  const fds = new Map<string, number>();
  let closed = false;
  return {
    component(name) {
      return (msg) => {
        const line = formatLine(name, now(), msg);
        stderr(line);
        if (closed) return;
        try {
          let fd = fds.get(name);
          if (fd === undefined) fds.set(name, (fd = fs.openSync(path.join(opts.logDir, `${name}.log`), "a", 0o644)));
          fs.writeSync(fd, line);
        } catch (err) {
          stderr(formatLine(name, now(), `cannot write ${name}.log: ${(err as Error).message}`));
        }
      };
    },
    close() {
      closed = true;
      for (const fd of fds.values()) fs.closeSync(fd);
      fds.clear();
    },
  };
}
