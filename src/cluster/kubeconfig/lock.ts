// A cross-process lock for read-modify-write of a kubeconfig file. It uses the same convention as
// kubectl (client-go's clientcmd): the lock is `<file>.lock`, created with O_CREAT|O_EXCL, so
// minicluster and a concurrent `kubectl config ...` exclude each other. A lock left behind by a
// crashed process is detected (owner pid gone on this host, or older than staleMs: kubectl's lock
// files are empty, so age is the only signal for them) and broken safely, see breakStale.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";

export interface LockOptions {
  /** Give up waiting after this long (default 15 s; must exceed staleMs to outwait a dead foreign lock). */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned (default 10 s; holders need milliseconds). */
  staleMs?: number;
  /** Base delay between attempts; jittered so waiters do not retry in lockstep (default 10 ms). */
  retryMs?: number;
}

interface Observed {
  content: string;
  ino: number;
  mtimeMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function observe(file: string): Promise<Observed | undefined> {
  try {
    const [content, st] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)]);
    return { content, ino: st.ino, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Our lock content: "pid hostname token". Anything else (e.g. kubectl's empty file) has no owner info. */
function isStale(lock: Observed, staleMs: number, now: number): boolean {
  const [pid, host] = lock.content.trim().split(" ");
  // A pid means something only on the host (PID namespace) that wrote it.
  if (host === os.hostname() && /^\d+$/.test(pid ?? "") && !processAlive(Number(pid))) return true;
  return now - lock.mtimeMs > staleMs;
}

/**
 * Removes a stale lock without ever removing a live one. Two waiters may both judge the same lock
 * stale; if one removes it and takes a fresh lock, a plain unlink by the other would delete that
 * fresh lock. So the lock is first renamed aside (atomic: exactly one waiter gets a given file),
 * and only deleted if it is the very file that was judged stale; otherwise it is linked back.
 */
async function breakStale(lockPath: string, stale: Observed): Promise<void> {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else broke it
    throw err;
  }
  const moved = await observe(aside);
  if (moved && (moved.ino !== stale.ino || moved.content !== stale.content)) {
    // We moved a lock that a live process had just taken: put it back unless another took its place.
    await fs.link(aside, lockPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }
  await fs.rm(aside, { force: true });
}

/** Runs `fn` while holding `<target>.lock`. */
export async function withFileLock<T>(target: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const { timeoutMs = 15_000, staleMs = 10_000, retryMs = 10 } = opts;
  const lockPath = `${target}.lock`;
  const content = `${process.pid} ${os.hostname()} ${randomBytes(8).toString("hex")}\n`;
  const deadline = Date.now() + timeoutMs;

  for (;;) {
    try {
      await fs.writeFile(lockPath, content, { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`creating lock ${lockPath}`, { cause: err });
    }
    const held = await observe(lockPath);
    if (held && isStale(held, staleMs, Date.now())) {
      await breakStale(lockPath, held);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${lockPath} (remove it if no minicluster or kubectl is running)`);
    }
    await sleep(retryMs + Math.random() * retryMs * 2);
  }

  try {
    return await fn();
  } finally {
    // Only remove the lock if it is still ours: had we been judged stale and replaced, the file now
    // belongs to another process.
    const current = await observe(lockPath).catch(() => undefined);
    if (current?.content === content) await fs.rm(lockPath, { force: true });
  }
}
