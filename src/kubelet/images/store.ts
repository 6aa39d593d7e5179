// The node's image store, under /var/lib/minicluster/images (on the node volume, so overlayfs can
// use the layers):
//   layers/<hex>/       one extracted layer per diff ID, in overlayfs form (a lowerdir)
//   layers/<hex>.json   { size } of that layer
//   aliases/<hex>       the diff ID of a compressed blob of that digest (to skip known blobs)
//   images.json         the image records, rewritten atomically (tmp + rename) under a lock
//   tmp/                extraction in progress; a finished layer is renamed into layers/
// A layer is extracted once: a second copy (same diff ID) is dropped. Importing an image whose
// tag another image holds moves the tag.
import { randomBytes, createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
import { archivePath, imagesInArchive, isArchiveJson, isArchiveLayer } from "./archive.js";
import { parseImageConfig, type ImageConfig } from "./config.js";
import { extractLayer, isGzip, looksLikeTar, peek, type LayerExtractResult } from "./layer.js";
import { normalizeImageRef } from "./reference.js";

export const DEFAULT_IMAGES_ROOT = "/var/lib/minicluster/images";

export interface ImageRecord {
  /** "sha256:<config digest>", Docker's image ID. */
  id: string;
  /** Normalised references, e.g. docker.io/library/busybox:latest. */
  repoTags: string[];
  config: ImageConfig;
  /** Absolute directories of the extracted layers, lowest first, whiteouts in overlayfs form. */
  layers: string[];
  /** Bytes of file content over all layers. */
  size: number;
  /** The layers' diff IDs, lowest first (same order as layers). */
  diffIds: string[];
}

interface StoredImage {
  id: string;
  repoTags: string[];
  config: ImageConfig;
  diffIds: string[];
  size: number;
  created?: string;
  loadedAt: string;
}

interface StoreFile {
  version: 1;
  images: StoredImage[];
}

/** The file of image records, in the store's root. */
export const RECORDS_FILE = "images.json";

/** Who has which image, as a reader outside the node (the host's `load`) needs it. */
export interface StoredImageSummary {
  id: string;
  repoTags: string[];
  size: number;
}

/**
 * The images a store's records file lists, read without the store (the host reads a node's file
 * through the Docker archive API instead of running a process in the node); undefined when the
 * file is not in this version's format.
 */
export function summarizeRecords(text: string): StoredImageSummary[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const file = doc as Partial<StoreFile> | null;
  if (!file || file.version !== 1 || !Array.isArray(file.images)) return undefined;
  const out: StoredImageSummary[] = [];
  for (const i of file.images as Array<Partial<StoredImage>>) {
    if (typeof i?.id !== "string" || !Array.isArray(i.repoTags)) return undefined;
    out.push({ id: i.id, repoTags: i.repoTags.filter((t) => typeof t === "string"), size: typeof i.size === "number" ? i.size : 0 });
  }
  return out;
}

export class NotAnArchiveError extends Error {
  override readonly name = "NotAnArchiveError";
}

const MAX_JSON_BYTES = 64 << 20;
const LOCK_STALE_MS = 120_000;
const STALE_TMP_MS = 6 * 3600_000;
const HEX64 = /^[a-f0-9]{64}$/;

async function readAll(stream: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let len = 0;
  for await (const c of stream) {
    len += c.length;
    if (len > limit) throw new Error(`${what} is larger than ${limit} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export class ImageStore {
  readonly root: string;
  private readonly tar: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: { root?: string; tar?: string } = {}) {
    this.root = path.resolve(opts.root ?? DEFAULT_IMAGES_ROOT);
    this.tar = opts.tar;
  }

  private get recordsPath(): string {
    return path.join(this.root, RECORDS_FILE);
  }

  layerDir(diffId: string): string {
    return path.join(this.root, "layers", diffId.replace(/^sha256:/, ""));
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.readRecords()).images.map((i) => this.toRecord(i));
  }

  /** An image by normalised name, or by its ID or a unique prefix of it ("sha256:" optional). */
  async resolve(ref: string): Promise<ImageRecord | undefined> {
    const { images } = await this.readRecords();
    let name: string | undefined;
    try {
      name = normalizeImageRef(ref);
    } catch {
      name = undefined;
    }
    if (name) {
      const byName = images.find((i) => i.repoTags.includes(name));
      if (byName) return this.toRecord(byName);
    }
    const m = /^(sha256:)?([a-f0-9]{1,64})$/.exec(ref);
    if (m && (m[1] || m[2]!.length >= 4)) {
      const hits = images.filter((i) => i.id.slice("sha256:".length).startsWith(m[2]!));
      if (hits.length === 1) return this.toRecord(hits[0]!);
    }
    return undefined;
  }

  /** Imports a `docker save` archive (either layout; gzip allowed); returns the images in it. */
  async importArchive(input: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<ImageRecord[]> {
    await Promise.all(["layers", "aliases", "tmp"].map((d) => fs.mkdir(path.join(this.root, d), { recursive: true })));
    await this.sweepTmp();
    const { head, stream } = await peek(input as AsyncIterable<Uint8Array>, 512);
    let src: Readable = stream;
    if (isGzip(head)) src = stream.pipe(createGunzip());
    else if (!looksLikeTar(head)) {
      stream.destroy();
      throw new NotAnArchiveError(head.length === 0 ? "the archive is empty" : "not a docker save archive (not a tar file)");
    }
    const files = new Map<string, Buffer>();
    const layers = new Map<string, LayerExtractResult>();
    const links = new Map<string, string>();
    const ex = tarExtract();
    const reading = pipeline(src, ex).catch((err: unknown) => {
      throw new NotAnArchiveError("not a docker save archive", { cause: err });
    });
    const consuming = (async () => {
      for await (const entry of ex) {
        const h = entry.header;
        const name = archivePath(h.name);
        const body = entry as unknown as AsyncIterable<Uint8Array>;
        if ((h.type === "symlink" || h.type === "link") && h.linkname) {
          links.set(name, h.type === "symlink" ? path.posix.normalize(path.posix.join(path.posix.dirname(name), h.linkname)) : archivePath(h.linkname));
          await drain(body);
        } else if (h.type !== "file" && h.type !== "contiguous-file") {
          await drain(body);
        } else if (isArchiveJson(name)) {
          files.set(name, await readAll(body, MAX_JSON_BYTES, name));
        } else if (isArchiveLayer(name)) {
          const sniff = await peek(body, 1);
          if (sniff.head[0] === 0x7b /* { */) files.set(name, await readAll(sniff.stream, MAX_JSON_BYTES, name));
          else layers.set(name, await this.importLayer(sniff.stream, /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name)?.[1]));
        } else {
          await drain(body);
        }
      }
    })();
    const [r, c] = await Promise.allSettled([reading, consuming]);
    if (r.status === "rejected") throw r.reason;
    if (c.status === "rejected") throw c.reason;

    const follow = (p: string): string => {
      for (let i = 0; i < 8 && links.has(p); i++) p = links.get(p)!;
      return p;
    };
    const imported: StoredImage[] = [];
    for (const img of imagesInArchive(files)) {
      const raw = files.get(follow(img.configPath));
      if (!raw) throw new Error(`the archive lacks the image config ${img.configPath}`);
      const id = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
      const parsed = parseImageConfig(raw);
      if (parsed.diffIds.length !== img.layerPaths.length) {
        throw new Error(`image ${img.repoTags[0] ?? id}: its config lists ${parsed.diffIds.length} layers, the manifest ${img.layerPaths.length}`);
      }
      let size = 0;
      img.layerPaths.forEach((p, i) => {
        const l = layers.get(follow(p));
        if (!l) throw new Error(`image ${img.repoTags[0] ?? id}: the archive lacks layer ${p}`);
        if (l.diffId !== parsed.diffIds[i]) throw new Error(`image ${img.repoTags[0] ?? id}: layer ${p} has diff ID ${l.diffId}, its config says ${parsed.diffIds[i]}`);
        size += l.size;
      });
      imported.push({
        id,
        repoTags: img.repoTags,
        config: parsed.config,
        diffIds: parsed.diffIds,
        size,
        ...(parsed.created ? { created: parsed.created } : {}),
        loadedAt: new Date().toISOString(),
      });
    }
    await this.withLock(async () => {
      const file = await this.readRecords();
      for (const img of imported) {
        for (const other of file.images) if (other.id !== img.id) other.repoTags = other.repoTags.filter((t) => !img.repoTags.includes(t));
        const existing = file.images.find((i) => i.id === img.id);
        if (existing) Object.assign(existing, { ...img, repoTags: [...new Set([...existing.repoTags, ...img.repoTags])] });
        else file.images.push(img);
      }
      await this.writeRecords(file);
    });
    return imported.map((i) => this.toRecord(i));
  }

  /** Removes what imports killed midway left in tmp/ (an import in progress is younger than that). */
  private async sweepTmp(): Promise<void> {
    const tmp = path.join(this.root, "tmp");
    for (const e of await fs.readdir(tmp)) {
      const st = await fs.lstat(path.join(tmp, e)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TMP_MS) await fs.rm(path.join(tmp, e), { recursive: true, force: true });
    }
  }

  /** Extracts one layer blob unless a layer with its diff ID (or a blob of that digest) is present. */
  private async importLayer(stream: Readable, blobHex: string | undefined): Promise<LayerExtractResult> {
    if (blobHex) {
      const known = await this.knownLayer(blobHex);
      if (known) {
        await drain(stream);
        return known;
      }
    }
    const tmp = await fs.mkdtemp(path.join(this.root, "tmp", "layer-"));
    try {
      const dir = path.join(tmp, "root");
      await fs.mkdir(dir);
      const r = await extractLayer(stream, dir, this.tar ? { tar: this.tar } : {});
      const final = this.layerDir(r.diffId);
      await writeAtomic(`${final}.json`, JSON.stringify({ size: r.size }));
      try {
        await fs.rename(dir, final);
      } catch (err) {
        // Another import put the same layer in place first: keep that one.
        if (errno(err) !== "ENOTEMPTY" && errno(err) !== "EEXIST") throw err;
      }
      const hex = r.diffId.slice("sha256:".length);
      if (blobHex && blobHex !== hex) await writeAtomic(path.join(this.root, "aliases", blobHex), r.diffId);
      return r;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  private async knownLayer(blobHex: string): Promise<LayerExtractResult | undefined> {
    let diffId = `sha256:${blobHex}`;
    try {
      diffId = (await fs.readFile(path.join(this.root, "aliases", blobHex), "utf8")).trim();
    } catch (err) {
      if (errno(err) !== "ENOENT") throw err;
    }
    if (!HEX64.test(diffId.slice("sha256:".length))) return undefined;
    try {
      const st = await fs.stat(this.layerDir(diffId));
      if (!st.isDirectory()) return undefined;
      const info = JSON.parse(await fs.readFile(`${this.layerDir(diffId)}.json`, "utf8")) as { size?: number };
      return { diffId, size: info.size ?? 0 };
    } catch (err) {
      if (errno(err) === "ENOENT") return undefined;
      throw err;
    }
  }

  private toRecord(i: StoredImage): ImageRecord {
    return { id: i.id, repoTags: [...i.repoTags], config: i.config, layers: i.diffIds.map((d) => this.layerDir(d)), size: i.size, diffIds: [...i.diffIds] };
  }

  private async readRecords(): Promise<StoreFile> {
    try {
      const doc = JSON.parse(await fs.readFile(this.recordsPath, "utf8")) as StoreFile;
      return { version: 1, images: Array.isArray(doc.images) ? doc.images : [] };
    } catch (err) {
      if (errno(err) === "ENOENT") return { version: 1, images: [] };
      throw new Error(`reading ${this.recordsPath}`, { cause: err });
    }
  }

  private async writeRecords(file: StoreFile): Promise<void> {
    await writeAtomic(this.recordsPath, `${JSON.stringify(file, null, 1)}\n`);
  }

  /** Serialises record updates within this process and, by a lock directory, across processes. */
  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      const lock = path.join(this.root, "images.lock");
      for (let i = 0; ; i++) {
        try {
          await fs.mkdir(lock);
          break;
        } catch (err) {
          if (errno(err) !== "EEXIST") throw err;
          const st = await fs.stat(lock).catch(() => undefined);
          if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await fs.rm(lock, { recursive: true, force: true });
          else await new Promise((r) => setTimeout(r, Math.min(100, 5 + i * 5)));
        }
      }
      try {
        return await fn();
      } finally {
        await fs.rm(lock, { recursive: true, force: true });
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * Replaces a file by rename, so readers see the old or the new content. Not fsync'd: an fsync
 * here makes ext4 write out the whole just-extracted image first (seconds for 100 MB), and a node
 * that loses power loses at worst the images loaded just before (load them again).
 */
async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}
