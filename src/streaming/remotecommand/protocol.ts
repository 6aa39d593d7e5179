// Kubernetes' remote command protocols (exec and attach), the pure parts: protocol names and their
// negotiation, WebSocket channel framing, the error-channel Status, terminal-size messages.
//
// WebSocket (kubectl 1.30+ speaks v5): every binary message is one channel byte then payload.
// Channels: 0 stdin, 1 stdout, 2 stderr, 3 error (v4+: a metav1.Status JSON; earlier: text),
// 4 resize (JSON {"Width","Height"}); v5 adds 255 = "close": payload is the channel being closed
// (kubectl sends [255, 0] at stdin EOF).
// SPDY (older kubectl): one SPDY stream per channel, named by the streamType header.

export const STREAM_V5 = "v5.channel.k8s.io";
export const STREAM_V4 = "v4.channel.k8s.io";
export const STREAM_V3 = "v3.channel.k8s.io";
export const STREAM_V2 = "v2.channel.k8s.io";
export const STREAM_V1 = "channel.k8s.io";

/** WebSocket subprotocols we accept, best first. */
export const WS_PROTOCOLS = [STREAM_V5, STREAM_V4, STREAM_V3, STREAM_V2, STREAM_V1];
/** SPDY X-Stream-Protocol-Version values we accept (v5 exists only over WebSocket). */
export const SPDY_PROTOCOLS = [STREAM_V4, STREAM_V3, STREAM_V2, STREAM_V1];

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

export type ProtocolVersion = 1 | 2 | 3 | 4 | 5;

export function protocolVersion(name: string): ProtocolVersion {
  switch (name) {
    case STREAM_V5:
      return 5;
    case STREAM_V4:
      return 4;
    case STREAM_V3:
      return 3;
    case STREAM_V2:
      return 2;
    default:
      return 1;
  }
}

/** Splits comma-separated header values ("a, b" or repeated headers) into protocol names. */
export function splitProtocols(values: string | string[] | undefined): string[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.flatMap((v) => v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The first protocol the client offered that the server supports (the client's order wins, as in Kubernetes). */
export function negotiate(offered: string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

export function encodeChannel(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

export function decodeChannel(message: Buffer): { channel: number; data: Buffer } | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0], data: message.subarray(1) };
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** Parses one {"Width":..,"Height":..} object (Go's encoding/json matches keys case-insensitively). */
export function parseTerminalSize(json: string): TerminalSize | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  let width: number | undefined;
  let height: number | undefined;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "number") continue;
    if (k.toLowerCase() === "width") width = val;
    if (k.toLowerCase() === "height") height = val;
  }
  if (width === undefined || height === undefined) return undefined;
  return { width, height };
}

/** Splits a byte stream of concatenated JSON objects (the SPDY resize stream) into objects. */
export class JsonObjectSplitter {
  private buf = "";
  push(chunk: Buffer | string): string[] {
    this.buf += chunk.toString();
    const out: string[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === "{") {
        if (depth === 0) start = i;
        depth++;
      } else if (c === "}") {
        depth--;
        if (depth === 0 && start >= 0) {
          out.push(this.buf.slice(start, i + 1));
          consumed = i + 1;
          start = -1;
        }
      }
    }
    this.buf = this.buf.slice(consumed);
    return out;
  }
}

export type ExecResult = { exitCode: number; command?: string[] } | { error: string };

/** What goes on the error channel at the end, for a protocol version; undefined = nothing (success before v4). */
export function exitMessage(result: ExecResult, version: ProtocolVersion): string | undefined {
  if (version >= 4) return JSON.stringify(exitStatus(result));
  if ("error" in result) return result.error;
  if (result.exitCode === 0) return undefined;
  return `command terminated with non-zero exit code: ${exitDescription(result)}`;
}

function exitDescription(r: { exitCode: number; command?: string[] }): string {
  const cmd = r.command ? `error executing command [${r.command.join(" ")}], ` : "";
  return `${cmd}exit code ${r.exitCode}`;
}

/** The metav1.Status the v4/v5 error channel carries (reason NonZeroExitCode with an ExitCode cause). */
export function exitStatus(result: ExecResult): Record<string, unknown> {
  if ("error" in result) {
    return { metadata: {}, status: "Failure", message: result.error, reason: "InternalError", details: { causes: [{ message: result.error }] }, code: 500 };
  }
  if (result.exitCode === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: ${exitDescription(result)}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(result.exitCode) }] },
  };
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(q: URLSearchParams, ...names: string[]): boolean {
  return names.some((n) => {
    const v = q.get(n);
    return v === "1" || v === "true";
  });
}

/** Reads stdin/stdout/stderr/tty from a query, in the kubelet's spelling (input/output/error) or the API's. */
export function streamOptions(q: URLSearchParams): StreamOptions {
  const tty = flag(q, "tty");
  return {
    stdin: flag(q, "input", "stdin"),
    stdout: flag(q, "output", "stdout"),
    // With a terminal stderr is merged into stdout, so no stderr stream exists.
    stderr: flag(q, "error", "stderr") && !tty,
    tty,
  };
}
