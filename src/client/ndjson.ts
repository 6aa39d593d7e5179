// Splitting a watch stream into JSON values: the API server writes one event per line, but the
// network cuts the stream anywhere (inside a line, inside a multi-byte character).

import { StringDecoder } from "node:string_decoder";

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private rest = "";

  /** The complete lines in this chunk (without newlines; blank lines dropped). */
  push(chunk: Buffer | string): string[] {
    this.rest += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const parts = this.rest.split("\n");
    this.rest = parts.pop() ?? "";
    return parts.filter((l) => l.trim() !== "");
  }

  /** What is left once the stream has ended (a last line without a newline). */
  end(): string[] {
    const last = this.rest + this.decoder.end();
    this.rest = "";
    return last.trim() ? [last] : [];
  }
}
