// Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): a volume dir whose content is
// replaced in one step. Files live in a timestamped dir `..2006_01_02_15_04_05.<random>`, the
// symlink `..data` points at it, and each top-level name the user sees is a symlink through
// `..data`. An update writes a new timestamped dir, renames a fresh symlink over `..data` (atomic),
// adds/removes the visible links and deletes the old dir. An unchanged payload is a no-op.

import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";

export interface FileProjection {
  data: Buffer | string;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

const DATA = "..data";
const DATA_TMP = "..data_tmp";

/** Payload paths are relative, without ".." components and not starting with "..". */
export function validatePayloadPath(p: string): void {
  if (p === "") throw new Error("invalid path: must not be empty");
  if (p.startsWith("/")) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.length > 4096) throw new Error(`invalid path: must be less than or equal to 4096 characters`);
  const parts = p.split("/");
  if (parts.some((s) => s === "..")) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith("..")) throw new Error(`invalid path: must not start with '..': ${p}`);
}

const clean = (p: string): string => posix.normalize(p).replace(/^\.\//, "").replace(/\/+$/, "");

function tsName(now: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** True when `dir` holds exactly the payload (content and mode). */
async function sameContent(dir: string, payload: Payload): Promise<boolean> {
  const found: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else found.push(r);
    }
  };
  try {
    await walk(dir, "");
  } catch {
    return false;
  }
  if (found.length !== payload.size) return false;
  for (const rel of found) {
    const want = payload.get(rel);
    if (!want) return false;
    const p = join(dir, rel);
    const [st, data] = await Promise.all([stat(p), readFile(p)]);
    if ((st.mode & 0o7777) !== want.mode) return false;
    if (!data.equals(Buffer.isBuffer(want.data) ? want.data : Buffer.from(want.data))) return false;
  }
  return true;
}

export interface WriteOptions {
  /** Group owner of the files and dirs (pod securityContext.fsGroup); files also get group read. */
  fsGroup?: number;
  now?: Date;
}

/** Writes `payload` into `target` atomically; returns false when nothing changed. */
export async function writeAtomic(target: string, input: Payload, opts: WriteOptions = {}): Promise<boolean> {
  const payload: Payload = new Map();
  for (const [p, f] of input) {
    validatePayloadPath(p);
    payload.set(clean(p), { data: f.data, mode: opts.fsGroup !== undefined ? f.mode | 0o440 : f.mode });
  }
  await mkdir(target, { recursive: true });
  const dataLink = join(target, DATA);
  let oldTs: string | undefined;
  try {
    oldTs = await readlink(dataLink);
  } catch {
    oldTs = undefined;
  }
  if (oldTs !== undefined && (await sameContent(join(target, oldTs), payload))) return false;

  const tsDir = await mkdtemp(join(target, tsName(opts.now ?? new Date())));
  const tsBase = tsDir.slice(target.length + 1);
  for (const [rel, f] of payload) {
    const p = join(tsDir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.data);
    await chmod(p, f.mode);
    if (opts.fsGroup !== undefined) await chown(p, -1, opts.fsGroup);
  }
  await chmod(tsDir, 0o755);
  if (opts.fsGroup !== undefined) await chown(tsDir, -1, opts.fsGroup);

  const tmpLink = join(target, DATA_TMP);
  await rm(tmpLink, { force: true });
  await symlink(tsBase, tmpLink);
  await rename(tmpLink, dataLink);

  const visible = new Set([...payload.keys()].map((p) => p.split("/")[0]));
  for (const name of visible) {
    const link = join(target, name);
    if (!(await exists(link))) await symlink(posix.join(DATA, name), link);
  }
  for (const name of await readdir(target)) {
    if (name.startsWith("..") || visible.has(name)) continue;
    // Only the links we made: anything else in the dir is not ours to remove.
    const st = await lstat(join(target, name));
    if (st.isSymbolicLink() && (await readlink(join(target, name))).startsWith(DATA + "/")) await unlink(join(target, name));
  }
  if (oldTs !== undefined && oldTs.startsWith("..") && oldTs !== tsBase) await rm(join(target, oldTs), { recursive: true, force: true });
  return true;
}
