// GET /containerLogs/{namespace}/{pod}/{container}: a container's CRI log file as kubectl shows it
// (prefix stripped, or only the timestamp kept), with follow (tail -f until the container stops or
// the client leaves), previous, tailLines, sinceSeconds/sinceTime, timestamps and limitBytes.

import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LineBuffer, LogOptionsError, formatEntry, parseCriLine, parseLogOptions, selectEntries, sinceMs, type LogOptions } from "./cri-log.js";
import type { ContainerHandle, PodLocator } from "./types.js";
import { HttpError } from "./http-error.js";

export interface LogDeps {
  locator: PodLocator;
  now?: () => Date;
  /** How often a follower looks for new lines (ms). */
  pollMs?: number;
}

export async function serveContainerLogs(deps: LogDeps, req: IncomingMessage, res: ServerResponse, ns: string, pod: string, container: string, query: URLSearchParams): Promise<void> {
  let opts: LogOptions;
  try {
    opts = parseLogOptions(query);
  } catch (err) {
    if (err instanceof LogOptionsError) throw new HttpError(400, err.message);
    throw err;
  }
  const handle = deps.locator.container(ns, pod, container);
  if (!handle) {
    if (!deps.locator.podNetwork(ns, pod)) throw new HttpError(404, `pod "${pod}" in namespace "${ns}" not found`, "NotFound");
    throw new HttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  }
  const path = opts.previous ? handle.previousLogPath : handle.logPath;
  if (opts.previous && !path) throw new HttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path!, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    if (opts.previous) throw new HttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    if (!handle.running) throw new HttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ${handle.waitingReason ?? "ContainerCreating"}`);
    // Running but nothing written yet: an empty file for our purposes.
    fh = await fs.open("/dev/null", "r");
  }

  res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
  res.flushHeaders();
  let budget = opts.limitBytes ?? Infinity;
  const write = (s: string): boolean => {
    if (budget <= 0) return false;
    let buf = Buffer.from(s, "utf8");
    if (buf.length > budget) buf = buf.subarray(0, budget);
    budget -= buf.length;
    res.write(buf);
    return budget > 0;
  };
  let closed = false;
  req.on("close", () => (closed = true));
  res.on("close", () => (closed = true));

  try {
    const now = deps.now?.() ?? new Date();
    const text = (await fh.readFile()).toString("utf8");
    const { entries, consumed } = selectEntries(text, opts, now);
    for (const e of entries) if (!write(formatEntry(e, opts.timestamps))) break;
    if (opts.follow && !opts.previous && budget > 0) await follow(deps, handle, fh, consumed, opts, write, () => closed);
  } finally {
    await fh.close();
    res.end();
  }
}

async function follow(
  deps: LogDeps,
  handle: ContainerHandle,
  fh: fs.FileHandle,
  start: number,
  opts: LogOptions,
  write: (s: string) => boolean,
  isClosed: () => boolean,
): Promise<void> {
  const lines = new LineBuffer();
  let pos = start;
  const buf = Buffer.alloc(64 * 1024);
  const since = sinceMs(opts, deps.now?.() ?? new Date());
  for (;;) {
    if (isClosed()) return;
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead > 0) {
      pos += bytesRead;
      for (const line of lines.push(buf.toString("utf8", 0, bytesRead))) {
        const e = parseCriLine(line);
        if (!e || (since !== undefined && e.ms < since)) continue;
        if (!write(formatEntry(e, opts.timestamps))) return;
      }
      continue;
    }
    // Nothing new: stop once this container instance no longer runs (a restart is a new instance).
    const current = deps.locator.container(handle.namespace, handle.pod, handle.container);
    if (!current || !current.running || current.runcId !== handle.runcId || current.logPath !== handle.logPath) {
      const { bytesRead: more } = await fh.read(buf, 0, 1, pos);
      if (more === 0) return;
      continue;
    }
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 200));
  }
}
