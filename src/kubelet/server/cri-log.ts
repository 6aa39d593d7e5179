// CRI container log files (`<RFC3339Nano> stdout|stderr F|P <content>` per line) and the options of
// a log request, turned into what `kubectl logs` prints. Pure, apart from the Date given as now.

export interface CriLogEntry {
  /** Timestamp as written (RFC3339Nano). */
  time: string;
  /** Milliseconds since the epoch, for sinceSeconds/sinceTime. */
  ms: number;
  stream: "stdout" | "stderr";
  /** F: the line ended; P: a partial line continued by the next entry. */
  full: boolean;
  content: string;
}

export function parseCriLine(line: string): CriLogEntry | undefined {
  const a = line.indexOf(" ");
  if (a < 0) return undefined;
  const b = line.indexOf(" ", a + 1);
  if (b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const tag = line.slice(b + 1, b + 2);
  const full = tag !== "P";
  // The tag may be absent in very old files; content follows a single space after it.
  const content = line.length > b + 2 ? line.slice(b + 3) : "";
  const time = line.slice(0, a);
  const ms = Date.parse(time);
  return { time, ms: Number.isNaN(ms) ? 0 : ms, stream, full, content };
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

export class LogOptionsError extends Error {}

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogOptionsError(`${name}: invalid value ${JSON.stringify(v)}: must be an integer`);
  const n = Number(v);
  if (n < min) throw new LogOptionsError(`${name}: Invalid value: ${n}: must be greater than ${min === 0 ? "or equal to 0" : min - 1}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}

export function parseLogOptions(q: URLSearchParams): LogOptions {
  const opts: LogOptions = {
    follow: boolParam(q, "follow"),
    previous: boolParam(q, "previous"),
    timestamps: boolParam(q, "timestamps"),
    tailLines: intParam(q, "tailLines", 0),
    sinceSeconds: intParam(q, "sinceSeconds", 1),
    limitBytes: intParam(q, "limitBytes", 1),
  };
  const sinceTime = q.get("sinceTime");
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime))) throw new LogOptionsError(`sinceTime: invalid value ${JSON.stringify(sinceTime)}`);
    opts.sinceTime = sinceTime;
  }
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) throw new LogOptionsError("at most one of `sinceTime` or `sinceSeconds` may be specified");
  return opts;
}

/** Earliest entry time (ms) a request wants, if it limits by time. */
export function sinceMs(opts: LogOptions, now: Date): number | undefined {
  if (opts.sinceSeconds !== undefined) return now.getTime() - opts.sinceSeconds * 1000;
  if (opts.sinceTime !== undefined) return Date.parse(opts.sinceTime);
  return undefined;
}

export function formatEntry(e: CriLogEntry, timestamps: boolean): string {
  return (timestamps ? `${e.time} ` : "") + e.content + (e.full ? "\n" : "");
}

/**
 * Selects the entries of a whole file's text per since/tail (complete lines only; a trailing
 * unterminated line is left for a follower). Returns the entries and how many bytes were consumed.
 */
export function selectEntries(text: string, opts: LogOptions, now: Date): { entries: CriLogEntry[]; consumed: number } {
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n");
  lines.pop();
  let entries = lines.map(parseCriLine).filter((e): e is CriLogEntry => e !== undefined);
  const since = sinceMs(opts, now);
  if (since !== undefined) entries = entries.filter((e) => e.ms >= since);
  if (opts.tailLines !== undefined) {
    // Count whole lines: a run of P entries and the F that ends it is one line.
    let count = 0;
    let i = entries.length;
    while (i > 0) {
      if (entries[i - 1].full) {
        if (count === opts.tailLines) break;
        count++;
      }
      i--;
    }
    entries = entries.slice(i);
  }
  return { entries, consumed: Buffer.byteLength(text.slice(0, end), "utf8") };
}

/** Splits appended text into complete lines; the rest waits for more. */
export class LineBuffer {
  private rest = "";
  push(text: string): string[] {
    const all = this.rest + text;
    const end = all.lastIndexOf("\n");
    if (end < 0) {
      this.rest = all;
      return [];
    }
    this.rest = all.slice(end + 1);
    return all.slice(0, end).split("\n");
  }
}
