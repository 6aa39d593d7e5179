// Extracting one image layer into a directory that overlayfs can use as a lower layer. The layer
// tar is rewritten on the fly and unpacked by GNU tar (owners, modes, set-uid bits, hard links,
// devices and security.capability xattrs need root and mknod, which Node's fs cannot do):
//   - whiteouts `.wh.NAME` become character devices 0:0 named NAME (overlayfs' whiteout),
//   - an opaque marker `DIR/.wh..wh..opq` becomes the xattr trusted.overlay.opaque=y on DIR
//     (directory entries repeated at the end of the stream with that xattr in a PAX header),
//   - other `.wh..wh.*` entries (AUFS bookkeeping) are dropped.
// The diff ID is the sha256 of the uncompressed tar, computed while it streams; gzip layers are
// recognised by their magic bytes.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { PassThrough, Readable, Transform, type TransformCallback } from "node:stream";
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

class Hasher extends Transform {
  readonly hash = createHash("sha256");
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

const PAX_NAME_KEYS = new Set(["path", "linkpath"]);

/** Rewrites a layer tar (uncompressed) into overlayfs form, written to `out`; returns the content size. */
export async function rewriteLayer(input: Readable, out: NodeJS.WritableStream): Promise<number> {
  const ex = tarExtract();
  const pk = tarPack();
  const dirs = new Map<string, Headers>();
  const opaque = new Set<string>();
  let size = 0;
  const packed = pipeline(pk, out as NodeJS.WritableStream);
  const read = pipeline(input, ex);
  const consume = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const action = whiteoutAction(h.name);
      if (action.kind !== "keep") {
        entry.resume();
        await new Promise<void>((r) => entry.on("end", r));
        if (action.kind === "whiteout") {
          await packEntry(pk, { name: action.target, type: "character-device", devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, mtime: h.mtime ?? new Date(0) });
        } else if (action.kind === "opaque") {
          opaque.add(action.dir);
        }
        continue;
      }
      const header: Headers = { ...h, pax: undefined };
      if (h.pax && typeof h.pax === "object") {
        const pax = Object.fromEntries(Object.entries(h.pax as Record<string, string>).filter(([k]) => !PAX_NAME_KEYS.has(k)));
        if (Object.keys(pax).length) header.pax = pax;
        else delete header.pax;
      }
      if (h.type === "directory") dirs.set(h.name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, ""), header);
      if (h.type === "file" || h.type === "contiguous-file") size += h.size ?? 0;
      await new Promise<void>((resolve, reject) => {
        const sink = pk.entry(header, (err) => (err ? reject(err) : resolve()));
        entry.on("error", reject);
        entry.pipe(sink);
      });
    }
    for (const dir of opaque) {
      const seen = dirs.get(dir);
      await packEntry(pk, {
        name: dir === "" ? "./" : `${dir}/`,
        type: "directory",
        mode: seen?.mode ?? 0o755,
        uid: seen?.uid ?? 0,
        gid: seen?.gid ?? 0,
        mtime: seen?.mtime ?? new Date(0),
        pax: { ...seen?.pax, [`SCHILY.xattr.${OPAQUE_XATTR}`]: "y" },
      });
    }
    pk.finalize();
  })();
  // A failure anywhere stops the rest (else the packer would wait for entries forever).
  const stop = (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    ex.destroy(e);
    pk.destroy(e);
  };
  read.catch(stop);
  consume.catch(stop);
  packed.catch(stop);
  await Promise.all([read, consume, packed]);
  return size;
}

function packEntry(pk: ReturnType<typeof tarPack>, header: Headers): Promise<void> {
  return new Promise((resolve, reject) => {
    pk.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

/** The GNU tar invocation that unpacks a rewritten layer into `dest` as root would. */
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

/**
 * Extracts a layer (tar, or gzip of a tar) into `dest` (an existing, empty directory) in
 * overlayfs form. Returns its diff ID and content size.
 */
export async function extractLayer(input: AsyncIterable<Uint8Array>, dest: string, opts: { tar?: string } = {}): Promise<LayerExtractResult> {
  const { head, stream } = await peek(input, 4);
  if (isZstd(head)) throw new Error("zstd-compressed layers are not supported");
  const hasher = new Hasher();
  const raw = new PassThrough();
  const decoded = isGzip(head) ? pipeline(stream, createGunzip(), hasher, raw) : pipeline(stream, hasher, raw);
  const child = spawn(opts.tar ?? "tar", tarArgs(dest), { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (err) => reject(new Error(`running ${opts.tar ?? "tar"}`, { cause: err })));
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const tarFailed = (code: number) => new Error(`tar failed (exit ${code}): ${stderr.trim().split("\n").slice(-3).join("; ") || "no message"}`);
  let size = 0;
  try {
    await Promise.all([decoded, rewriteLayer(raw, child.stdin).then((s) => (size = s))]);
  } catch (err) {
    // If tar died first, its message says why (the stream only saw a broken pipe).
    const code = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]).catch(() => undefined);
    if (code === undefined) child.kill("SIGKILL");
    raw.destroy();
    if (code !== undefined && code !== 0 && stderr.trim()) throw tarFailed(code);
    throw err;
  }
  const code = await exited;
  if (code !== 0) throw tarFailed(code);
  return { diffId: `sha256:${hasher.hash.digest("hex")}`, size };
}
