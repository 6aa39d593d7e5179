// Container output in the CRI log format that kubectl logs and every log shipper read:
// `<RFC3339Nano time> <stdout|stderr> <F|P> <text>\n`, one record per line. A line longer than
// the buffer limit is cut into partial records (P) followed by the final piece (F), as
// containerd does; output that ends without a newline is flushed as a final record.

export type LogStream = "stdout" | "stderr";

/** Longest piece of a line kept before a partial record is written (containerd: 16 KiB). */
export const MAX_LINE_BYTES = 16 * 1024;

/** RFC 3339 with nanoseconds (the JavaScript clock has milliseconds; the rest is zero-padded). */
export function rfc3339Nano(d: Date, extraNanos = 0): string {
  const iso = d.toISOString(); // 2024-01-01T00:00:00.123Z
  const nanos = String(Math.max(0, Math.min(999_999, Math.floor(extraNanos)))).padStart(6, "0");
  return `${iso.slice(0, -1)}${nanos}Z`;
}

export function criRecord(time: string, stream: LogStream, partial: boolean, text: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${time} ${stream} ${partial ? "P" : "F"} `), text, Buffer.from("\n")]);
}

/** Splits one stream's chunks into records; `write` gets each encoded record. */
export class CriLineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly stream: LogStream,
    private readonly write: (record: Buffer) => void,
    private readonly now: () => string,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.append(chunk.subarray(start, nl));
      this.emit(false);
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /** The stream ended: what is left is a final record. */
  end(): void {
    if (this.pendingBytes > 0) this.emit(false);
  }

  private append(piece: Buffer): void {
    while (this.pendingBytes + piece.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.pendingBytes;
      this.pending.push(piece.subarray(0, room));
      this.pendingBytes += room;
      this.emit(true);
      piece = piece.subarray(room);
    }
    if (piece.length) {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
    }
  }

  private emit(partial: boolean): void {
    const text = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.write(criRecord(this.now(), this.stream, partial, text));
  }
}
