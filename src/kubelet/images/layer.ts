// Extracting one image layer into a directory that overlayfs can use as a lower layer. The layer
// tar streams unchanged into GNU tar (owners, modes, set-uid bits, hard links, devices and
// security.capability xattrs need root and mknod, which Node's fs cannot do), while the same bytes
// are hashed (the diff ID: sha256 of the uncompressed tar) and their headers read (tar-stream,
// bodies skipped) to note the entries overlayfs needs in another form. Once GNU tar is done, those
// are converted in place:
//   - whiteouts `.wh.NAME` become character devices 0:0 named NAME (overlayfs' whiteout), unless
//     the layer itself holds NAME (a whiteout hides only lower layers' files),
//   - an opaque marker `DIR/.wh..wh..opq` becomes the xattr trusted.overlay.opaque=y on DIR,
//   - other `.wh..wh.*` entries (AUFS bookkeeping) are removed.
// The devices and the xattr are made by a second, tiny GNU tar run (only for layers that have
// such entries). gzip layers are recognised by their magic bytes.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract as tarExtract, pack as tarPack, type Header } from "tar-stream";

type Headers = Partial<Header> & { name: string; pax?: Record<string, string> };

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";
export const OPAQUE_XATTR = "trusted.overlay.opaque";

export interface LayerExtractResult {
  /** "sha256:<hex>" of the uncompressed layer tar. */
  diffId: string;
  /** Bytes of regular file content in the layer. */
  size: number;
}

/** What becomes of one layer tar entry: kept, turned into a whiteout device, or an opaque marker. */
export type WhiteoutAction = { kind: "keep" } | { kind: "whiteout"; target: string } | { kind: "opaque"; dir: string } | { kind: "drop" };

/** Classifies an entry by its name (normalised: no leading "./" or "/"). */
export function whiteoutAction(name: string): WhiteoutAction {
  const clean = name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
  const base = path.posix.basename(clean);
  const dir = path.posix.dirname(clean);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "keep" };
  if (base === OPAQUE_MARKER) return { kind: "opaque", dir: dir === "." ? "" : dir };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "drop" };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === "" || target === "." || target === "..") return { kind: "drop" };
  return { kind: "whiteout", target: dir === "." ? target : `${dir}/${target}` };
}

/** Reads the first `n` bytes (or fewer at the end) and gives back a stream of the whole input. */
export async function peek(input: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    chunks.push(b);
    len += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
  }
  return { head: head.subarray(0, n), stream: Readable.from(all(), { objectMode: false }) };
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function isZstd(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528;
}

/** Whether a block looks like the start of a tar archive (ustar magic, or an old-style header checksum). */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  const magic = head.subarray(257, 262).toString("latin1");
  if (magic === "ustar") return true;
  // V7 tar: the checksum field holds the sum of the header bytes with the field as spaces.
  const field = head.subarray(148, 156).toString("latin1").replace(/\0.*$/, "").trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : head[i]!;
  return sum === parseInt(field, 8);
}

/** What a layer holds that overlayfs needs in another form, and its content size. */
export interface LayerScan {
  /** Entries named `.wh.NAME`: the entry and the path it hides (both clean, relative). */
  whiteouts: Array<{ entry: string; target: string }>;
  /** Opaque markers: the marker entry and its directory ("" for the root). */
  opaque: Array<{ entry: string; dir: string }>;
  /** Other `.wh..wh.*` entries, to remove. */
  drops: string[];
  /** Bytes of regular file content. */
  size: number;
}

function cleanName(name: string): string {
  return name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
}

/**
 * A writable that reads the headers of a tar stream (bodies are skipped) and notes whiteouts,
 * opaque markers and the content size; `result` settles once the stream has ended.
 */
export function scanLayer(): { sink: Writable; result: Promise<LayerScan> } {
  const ex = tarExtract();
  const scan: LayerScan = { whiteouts: [], opaque: [], drops: [], size: 0 };
  const result = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const action = whiteoutAction(h.name);
      const entryName = cleanName(h.name);
      if (action.kind === "whiteout") scan.whiteouts.push({ entry: entryName, target: action.target });
      else if (action.kind === "opaque") scan.opaque.push({ entry: entryName, dir: action.dir });
      else if (action.kind === "drop") scan.drops.push(entryName);
      if (h.type === "file" || h.type === "contiguous-file") scan.size += h.size ?? 0;
      entry.resume();
    }
    return scan;
  })();
  return { sink: ex as unknown as Writable, result };
}

/** The GNU tar invocation that unpacks a layer into `dest` as root would. */
export function tarArgs(dest: string): string[] {
  return [
    "-x",
    "-f",
    "-",
    "-C",
    dest,
    "--numeric-owner",
    "--same-owner",
    "--same-permissions",
    "--xattrs",
    "--xattrs-include=trusted.overlay.*",
    "--xattrs-include=security.capability",
    "--xattrs-include=user.*",
    "--no-overwrite-dir",
    "--warning=no-timestamp",
  ];
}

interface TarChild {
  stdin: Writable;
  /** Exit code (128 when killed by a signal); rejects when tar cannot be run. */
  exited: Promise<number>;
  /** The exit code once tar has exited, else undefined. */
  code(): number | undefined;
  failure(code: number): Error;
  kill(): void;
}

function runTar(tar: string, dest: string): TarChild {
  const child = spawn(tar, tarArgs(dest), { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  let code: number | undefined;
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  // Written to after tar has stopped reading (it may stop at the end-of-archive blocks): the exit
  // code decides, not the broken pipe.
  child.stdin.on("error", () => undefined);
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (err) => reject(new Error(`running ${tar}`, { cause: err })));
    child.on("close", (c, signal) => resolve((code = c ?? (signal ? 128 : 1))));
  });
  return {
    stdin: child.stdin,
    exited,
    code: () => code,
    failure: (c) => new Error(`tar failed (exit ${c}): ${stderr.trim().split("\n").slice(-3).join("; ") || "no message"}`),
    kill: () => child.kill("SIGKILL"),
  };
}

/** Resolves when `w` may take more data, or can take none any more (closed, failed). */
function writable(w: Writable): Promise<void> {
  if (w.destroyed || w.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      w.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    w.on("drain", done).on("close", done).on("error", done);
  });
}

/**
 * A path inside `root` whose parent directories are real directories (no symbolic link on the
 * way, nothing outside `root`), or undefined.
 */
async function insideRoot(root: string, rel: string): Promise<string | undefined> {
  const norm = path.posix.normalize(rel);
  if (norm === "" || norm === "." || norm.startsWith("../") || norm === ".." || path.posix.isAbsolute(norm)) return undefined;
  const parts = norm.split("/");
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    dir = path.join(dir, p);
    const st = await fs.lstat(dir).catch(() => undefined);
    if (!st?.isDirectory()) return undefined;
  }
  return path.join(dir, parts.at(-1)!);
}

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** Removes an extracted marker entry (a file, or an empty directory). */
async function removeEntry(root: string, rel: string): Promise<void> {
  const p = await insideRoot(root, rel);
  if (!p) return;
  const st = await lstatOrUndefined(p);
  if (!st) return;
  if (!st.isDirectory()) await fs.unlink(p);
  else await fs.rmdir(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
  });
}

/**
 * Turns the extracted whiteout files and opaque markers of a layer (as `scanLayer` noted them)
 * into overlayfs form; returns the entries written by the second tar run (for tests).
 */
export async function applyWhiteouts(dest: string, scan: LayerScan, tar = "tar"): Promise<Headers[]> {
  if (scan.whiteouts.length === 0 && scan.opaque.length === 0 && scan.drops.length === 0) return [];
  for (const e of [...scan.whiteouts.map((w) => w.entry), ...scan.opaque.map((o) => o.entry), ...scan.drops]) await removeEntry(dest, e);
  const entries: Headers[] = [];
  const devices = new Set<string>();
  for (const w of scan.whiteouts) {
    const p = await insideRoot(dest, w.target);
    if (!p || devices.has(w.target)) continue;
    if (await lstatOrUndefined(p)) continue; // the layer holds NAME itself: the whiteout hides only lower layers
    devices.add(w.target);
    entries.push({ name: w.target, type: "character-device", devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, mtime: new Date(0) });
  }
  const dirs = new Set<string>();
  for (const o of scan.opaque) {
    if (dirs.has(o.dir)) continue;
    let st;
    if (o.dir !== "") {
      const p = await insideRoot(dest, o.dir);
      if (!p) continue;
      st = await lstatOrUndefined(p);
      if (st && !st.isDirectory()) continue;
    } else st = await fs.lstat(dest);
    dirs.add(o.dir);
    // The directory exists (tar made it for the marker): --no-overwrite-dir keeps its owner and
    // mode, the xattr is added.
    entries.push({
      name: o.dir === "" ? "./" : `${o.dir}/`,
      type: "directory",
      mode: st ? st.mode & 0o7777 : 0o755,
      uid: st?.uid ?? 0,
      gid: st?.gid ?? 0,
      mtime: st?.mtime ?? new Date(0),
      pax: { [`SCHILY.xattr.${OPAQUE_XATTR}`]: "y" },
    });
  }
  if (entries.length === 0) return entries;
  const pk = tarPack();
  for (const e of entries) pk.entry(e);
  pk.finalize();
  const child = runTar(tar, dest);
  await pipeline(pk as unknown as Readable, child.stdin).catch(() => undefined);
  const code = await child.exited;
  if (code !== 0) throw child.failure(code);
  return entries;
}

const WRITE_BATCH = 1 << 20;

/**
 * Extracts a layer (tar, or gzip of a tar) into `dest` (an existing, empty directory) in
 * overlayfs form. Returns its diff ID and content size.
 */
export async function extractLayer(input: AsyncIterable<Uint8Array>, dest: string, opts: { tar?: string } = {}): Promise<LayerExtractResult> {
  const tar = opts.tar ?? "tar";
  const { head, stream } = await peek(input, 4);
  if (isZstd(head)) {
    stream.destroy();
    throw new Error("zstd-compressed layers are not supported");
  }
  const hash = createHash("sha256");
  const scanner = scanLayer();
  const child = runTar(tar, dest);
  const abort = new AbortController();
  // tar failing (or not starting) stops the copy at once; its exit code is checked below.
  child.exited.then(
    (code) => code !== 0 && abort.abort(child.failure(code)),
    (err: unknown) => abort.abort(err),
  );
  scanner.result.catch((err: unknown) => abort.abort(err));
  // Chunks are gathered into writes of about 1 MB: a write to the pipe costs far more per call
  // than per byte (64 KB pipe reads would double this process's CPU time).
  let batch: Buffer[] = [];
  let batched = 0;
  async function flush(): Promise<void> {
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    const toScanner = scanner.sink.write(data);
    const toTar = child.code() !== undefined || child.stdin.write(data);
    if (!toScanner || !toTar) await Promise.all([toScanner || writable(scanner.sink), toTar || writable(child.stdin)]);
    if (abort.signal.aborted) throw abort.signal.reason;
  }
  async function copy(source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) {
      hash.update(chunk);
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= WRITE_BATCH) await flush();
    }
    if (batched > 0) await flush();
    scanner.sink.end();
    child.stdin.end();
  }
  try {
    await (isGzip(head) ? pipeline(stream, createGunzip(), copy, { signal: abort.signal }) : pipeline(stream, copy, { signal: abort.signal }));
    const [scan, code] = await Promise.all([scanner.result, child.exited]);
    if (code !== 0) throw child.failure(code);
    await applyWhiteouts(dest, scan, tar);
    return { diffId: `sha256:${hash.digest("hex")}`, size: scan.size };
  } catch (err) {
    // If tar died first, its message says why (the copy only saw the abort or a broken pipe).
    const code = child.code() ?? (await Promise.race([child.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]).catch(() => undefined));
    if (code === undefined) child.kill();
    scanner.sink.destroy();
    stream.destroy();
    if (code !== undefined && code !== 0) throw child.failure(code);
    throw abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason : err;
  }
}
