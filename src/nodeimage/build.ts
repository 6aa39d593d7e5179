// Building the node image into the local Docker engine, with no registry, in two layers:
//  1. minicluster/node-base:<recipe hash> — a debootstrap'ed, trimmed Debian root filesystem,
//     imported as a tar stream (about a minute; only when that tag is missing);
//  2. minicluster/node:<hash of base tag + Dockerfile + executable> — the base plus the
//     minicluster executable, built with a tiny Dockerfile (a few seconds).
// When the node tag already exists the whole call only hashes the executable.

import { createReadStream } from "node:fs";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { execa } from "execa";
import tarfs from "tar-fs";
import { statusOf } from "../provision/docker/errors.js";
import { hostDebianMirror, type DebianMirror } from "./mirror.js";
import {
  LABEL_IMAGE,
  NODE_IMAGE_REPO,
  LABEL_RECIPE_HASH,
  NODE_RECIPE,
  baseImageTag,
  debootstrapArgs,
  keepsBelow,
  nodeDockerfile,
  nodeImageHashDigest,
  nodeImageHasher,
  nodeImageTag,
  pathMatches,
  splitImageRef,
  type NodeImageRecipe,
} from "./recipe.js";

export interface EnsureNodeImageOptions {
  docker: Docker;
  /** The minicluster executable to put into the image (see resolveMiniclusterExecutable). */
  executable: string;
  /** An extra tag for the image (`--image`); the result is then that tag. */
  tag?: string;
  onProgress?: (line: string) => void;
  recipe?: NodeImageRecipe;
  mirror?: DebianMirror;
}

export interface EnsureNodeImageResult {
  /** The tag to run: `tag` when given, else minicluster/node:<hash>. */
  tag: string;
  hash: string;
  /** Whether the node image was built by this call (false: it already existed). */
  built: boolean;
  baseTag: string;
  baseBuilt: boolean;
  /** The node image's size in bytes. */
  size: number;
  ms: number;
}

/** Makes sure the node image for `executable` exists in the engine; a no-op when it does. */
export async function ensureNodeImage(opts: EnsureNodeImageOptions): Promise<EnsureNodeImageResult> {
  const started = Date.now();
  const { docker } = opts;
  const progress = opts.onProgress ?? (() => {});
  const recipe = opts.recipe ?? NODE_RECIPE;
  const baseTag = baseImageTag(recipe);
  const hash = await hashNodeImage(baseTag, opts.executable);
  const hashTag = nodeImageTag(hash);
  const want = opts.tag ?? hashTag;
  const result = (built: boolean, baseBuilt: boolean, size: number): EnsureNodeImageResult => ({ tag: want, hash, built, baseTag, baseBuilt, size, ms: Date.now() - started });

  const existing = async (): Promise<number | undefined> => {
    const mine = await inspectImage(docker, want);
    if (mine && mine.Config?.Labels?.[LABEL_RECIPE_HASH] === hash) return mine.Size;
    if (want !== hashTag) {
      const byHash = await inspectImage(docker, hashTag);
      if (byHash && byHash.Config?.Labels?.[LABEL_RECIPE_HASH] === hash) {
        await docker.getImage(hashTag).tag(splitImageRef(want));
        return byHash.Size;
      }
    }
    return undefined;
  };

  const size = await existing();
  if (size !== undefined) return result(false, false, size);

  return await withLock(path.join(os.tmpdir(), "minicluster-node-image.lock"), progress, async () => {
    const sizeNow = await existing(); // another process may have built it while we waited
    if (sizeNow !== undefined) return result(false, false, sizeNow);
    let baseBuilt = false;
    if (!(await inspectImage(docker, baseTag))) {
      await buildBaseImage({ docker, recipe, tag: baseTag, mirror: opts.mirror ?? hostDebianMirror(), onProgress: progress });
      baseBuilt = true;
    }
    const t0 = Date.now();
    progress(`building node image ${hashTag} (base ${baseTag} + ${opts.executable})`);
    await buildNodeLayer(docker, baseTag, hash, opts.executable, hashTag, progress);
    if (want !== hashTag) await docker.getImage(hashTag).tag(splitImageRef(want));
    const info = await inspectImage(docker, want);
    progress(`node layer built in ${seconds(Date.now() - t0)}`);
    const pruned = await pruneOldNodeImages(docker, hashTag);
    if (pruned > 0) progress(`removed ${pruned} unused older node image${pruned === 1 ? "" : "s"}`);
    return result(true, baseBuilt, info?.Size ?? 0);
  });
}

/**
 * Each build of the executable makes a new node image (~106 MB layer): remove the older ones
 * that nothing uses — only images tagged solely `minicluster/node:<hash>` (a user's `--image`
 * tag keeps an image), and never one a container was made from (the engine refuses those).
 */
export async function pruneOldNodeImages(docker: Docker, keep: string): Promise<number> {
  const images = await docker.listImages({ filters: { label: [`${LABEL_IMAGE}=node`] } });
  let removed = 0;
  for (const img of images) {
    const tags = img.RepoTags ?? [];
    if (tags.length === 0 || tags.includes(keep) || !tags.every((t) => t.startsWith(`${NODE_IMAGE_REPO}:`))) continue;
    try {
      await docker.getImage(img.Id).remove();
      removed++;
    } catch (err) {
      if (statusOf(err) !== 409 && statusOf(err) !== 404) throw err; // in use, or gone meanwhile
    }
  }
  return removed;
}

/** The node image hash: base tag and Dockerfile, then the executable's bytes (streamed). */
export async function hashNodeImage(baseTag: string, executable: string): Promise<string> {
  const h = nodeImageHasher(baseTag);
  for await (const chunk of createReadStream(executable, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return nodeImageHashDigest(h);
}

async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Layer 1: the base root filesystem.

export interface BuildBaseOptions {
  docker: Docker;
  recipe: NodeImageRecipe;
  tag: string;
  mirror: DebianMirror;
  onProgress: (line: string) => void;
}

export async function buildBaseImage(opts: BuildBaseOptions): Promise<void> {
  const { recipe, mirror, onProgress: progress } = opts;
  const debootstrap = findExecutable("debootstrap");
  if (!debootstrap) throw new Error("debootstrap is not installed: it builds the node image's Debian root filesystem (install the `debootstrap` package: apt-get install debootstrap)");
  if (process.getuid && process.getuid() !== 0) {
    throw new Error("building the node base image runs debootstrap, which needs root: run `minicluster build node-image` once as root (e.g. with sudo)");
  }
  const work = fs.mkdtempSync(path.join(buildTmpDir(), "minicluster-rootfs-"));
  const rootfs = path.join(work, "rootfs");
  const t0 = Date.now();
  try {
    progress(`building base image ${opts.tag}: debootstrap ${recipe.suite} (${recipe.variant} + ${recipe.packages.join(", ")}) from ${mirror.uri} — about a minute, once`);
    await runDebootstrap(debootstrap, debootstrapArgs(recipe, rootfs, mirror), progress);
    await assertNoMountsUnder(rootfs, true);
    const before = duBytes(rootfs);
    trimRootfs(rootfs, recipe);
    progress(`trimmed the root filesystem from ${mb(before)} to ${mb(duBytes(rootfs))}`);
    progress(`importing ${opts.tag} into the Docker engine`);
    const { repo, tag } = splitImageRef(opts.tag);
    const stream = await opts.docker.importImage(rootfsTar(rootfs), {
      repo,
      tag,
      message: `minicluster node base (debootstrap ${recipe.suite} ${recipe.variant})`,
      changes: [`LABEL ${LABEL_IMAGE}=node-base`, `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, `CMD ["/bin/bash"]`],
    });
    await consumeJsonStream(stream as Readable, () => {});
    progress(`base image ${opts.tag} built in ${seconds(Date.now() - t0)}`);
  } finally {
    await removeTree(work);
  }
}

function buildTmpDir(): string {
  // A directory on disk where chroot'ed programs may run: /tmp is sometimes a small noexec tmpfs.
  const env = process.env.TMPDIR;
  if (env) return env;
  return fs.existsSync("/var/tmp") ? "/var/tmp" : os.tmpdir();
}

export function findExecutable(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  const dirs = [...envPath.split(":").filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Whether a debootstrap output line is worth showing (not one of the per-package lines). */
export function isDebootstrapPhaseLine(line: string): boolean {
  if (!line.trim()) return false;
  if (/^[WE]: /.test(line)) return true;
  if (!line.startsWith("I: ")) return false;
  if (/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.test(line) && !/(packages|Packages|Release)\b/.test(line)) return false;
  return true;
}

async function runDebootstrap(exe: string, args: string[], progress: (line: string) => void): Promise<void> {
  const tail: string[] = [];
  const child = execa(exe, args, {
    all: true,
    reject: false,
    stdin: "ignore",
    env: { LC_ALL: "C", DEBIAN_FRONTEND: "noninteractive", PATH: `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin` },
  });
  for await (const line of child.iterable({ from: "all" })) {
    const l = String(line);
    tail.push(l);
    if (tail.length > 20) tail.shift();
    if (isDebootstrapPhaseLine(l)) progress(`debootstrap: ${l.replace(/^I: /, "")}`);
  }
  const res = await child;
  if (res.exitCode !== 0) {
    const err = tail.filter((l) => l.startsWith("E: ")).pop() ?? tail.pop() ?? "(no output)";
    throw new Error(`debootstrap failed (exit ${res.exitCode ?? res.signal}): ${err}`);
  }
}

/** Removes the recipe's trim paths (keeping `keep` matches) and empties the `empty` files. */
export function trimRootfs(rootfs: string, recipe: Pick<NodeImageRecipe, "trim" | "keep" | "empty">): void {
  for (const pattern of recipe.trim) {
    for (const rel of expandPattern(rootfs, pattern)) removeExcept(rootfs, rel, recipe.keep);
  }
  for (const rel of recipe.empty) {
    const p = path.join(rootfs, rel);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) fs.rmSync(p);
    if (!st || st.isSymbolicLink() || st.isFile()) fs.writeFileSync(p, "");
  }
}

/** The paths matching `pattern`, never descending through a symbolic link (it may point out of the root). */
function expandPattern(root: string, pattern: string): string[] {
  let rels = [""];
  for (const seg of pattern.split("/")) {
    const next: string[] = [];
    for (const rel of rels) {
      if (rel && !fs.lstatSync(path.join(root, rel), { throwIfNoEntry: false })?.isDirectory()) continue;
      if (!seg.includes("*")) {
        const child = rel ? `${rel}/${seg}` : seg;
        if (fs.lstatSync(path.join(root, child), { throwIfNoEntry: false })) next.push(child);
        continue;
      }
      let names: string[];
      try {
        names = fs.readdirSync(path.join(root, rel));
      } catch {
        continue;
      }
      for (const n of names) {
        const child = rel ? `${rel}/${n}` : n;
        if (pathMatches(pattern.split("/").slice(0, child.split("/").length).join("/"), child)) next.push(child);
      }
    }
    rels = next;
  }
  return rels;
}

function removeExcept(root: string, rel: string, keep: string[]): void {
  const abs = path.join(root, rel);
  if (!keepsBelow(keep, rel)) {
    fs.rmSync(abs, { recursive: true, force: true });
    return;
  }
  if (keep.some((k) => pathMatches(k, rel))) return;
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    fs.rmSync(abs, { force: true });
    return;
  }
  for (const n of fs.readdirSync(abs)) removeExcept(root, `${rel}/${n}`, keep);
  if (fs.readdirSync(abs).length === 0) fs.rmdirSync(abs);
}

/** The root filesystem as a tar stream; device nodes and the contents of /dev, /proc and /sys stay out (Docker provides them). */
function rootfsTar(rootfs: string): Readable {
  const skip = ["dev", "proc", "sys"].map((d) => path.join(rootfs, d) + path.sep);
  const opts: tarfs.PackOptions & { umask: number } = {
    umask: 0, // keep modes exactly (e.g. /tmp 1777); tar-fs applies the process umask by default
    strict: false, // skip device nodes, fifos
    ignore: (name: string) => skip.some((s) => name.startsWith(s)),
  };
  return tarfs.pack(rootfs, opts) as unknown as Readable;
}

function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.lstatSync(p).size;
    }
  };
  walk(dir);
  return total;
}

/** Mount points at or below `dir` (from /proc/self/mountinfo, octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const prefix = path.resolve(dir);
  return text
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === prefix || m.startsWith(prefix + "/"))
    .sort((a, b) => b.length - a.length);
}

/** debootstrap unmounts what it mounted in the target (/proc, /sys, maybe a bind of /dev), unless it was killed: make sure. */
async function assertNoMountsUnder(dir: string, unmount: boolean): Promise<void> {
  let mounts = mountsUnder(dir);
  if (mounts.length && unmount) {
    for (const m of mounts) await execa("umount", ["-l", m], { reject: false });
    mounts = mountsUnder(dir);
  }
  if (mounts.length) throw new Error(`file systems are still mounted under ${dir} (${mounts.join(", ")}): unmount them, then remove ${dir}`);
}

/** Removes a build directory, never following a mount (a bind of the host's /dev must not be emptied). */
async function removeTree(dir: string): Promise<void> {
  try {
    await assertNoMountsUnder(dir, true);
  } catch {
    return; // leave it: the error above already names it, or the build failed for this reason
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Layer 2: the executable on top.

async function buildNodeLayer(docker: Docker, baseTag: string, hash: string, executable: string, tag: string, progress: (line: string) => void): Promise<void> {
  const dockerfile = nodeDockerfile(baseTag, hash);
  const context = tarfs.pack(path.dirname(executable), {
    entries: [path.basename(executable)],
    dereference: true,
    map: (h) => {
      h.name = "minicluster";
      h.mode = 0o755;
      h.uid = 0;
      h.gid = 0;
      return h;
    },
    finalize: false,
    finish: (pack) => {
      pack.entry({ name: "Dockerfile", mode: 0o644, uid: 0, gid: 0 }, dockerfile);
      pack.finalize();
    },
  });
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  await consumeJsonStream(stream as Readable, (ev) => {
    const s = typeof ev.stream === "string" ? ev.stream.trim() : "";
    if (s.startsWith("Step ")) progress(`docker build: ${s}`);
  });
}

/** Reads the engine's newline-delimited JSON progress; rejects on an `error` event. */
function consumeJsonStream(stream: Readable, onEvent: (ev: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let failed: Error | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof ev.error === "string" || ev.errorDetail) {
        const detail = ev.errorDetail as { message?: string } | undefined;
        failed ??= new Error(`Docker engine: ${String(ev.error ?? detail?.message).trim()}`);
        return;
      }
      onEvent(ev);
    };
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        handle(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream.on("error", reject);
    stream.on("end", () => {
      handle(buf);
      if (failed) reject(failed);
      else resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn` holding an exclusive lock file (parallel builds on one machine wait for each other). */
async function withLock<T>(file: string, progress: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(fs.readFileSync(file, { encoding: "utf8", flag: "a+" }).trim());
      const fresh = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000;
      if (pid ? !alive(pid) : !fresh) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!told && pid) progress(`waiting for another node image build (pid ${pid})`);
      told = !!pid;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}
