import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withFileLock } from "./lock.js";

let dir: string;
let target: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "kcfg-lock-"));
  target = path.join(dir, "config");
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withFileLock", () => {
  it("holds <file>.lock during the callback and removes it afterwards", async () => {
    const seen = await withFileLock(target, async () => (await fs.readFile(`${target}.lock`, "utf8")).split(" ")[0]);
    expect(seen).toBe(String(process.pid));
    await expect(fs.access(`${target}.lock`)).rejects.toThrow();
  });

  it("releases the lock when the callback throws", async () => {
    await expect(withFileLock(target, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(fs.access(`${target}.lock`)).rejects.toThrow();
  });

  it("never lets two callbacks overlap", async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(target, async () => {
          maxInside = Math.max(maxInside, ++inside);
          await sleep(5);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it("breaks a lock whose owner process on this host is gone", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    await fs.writeFile(`${target}.lock`, `${dead} ${os.hostname()} abc\n`);
    const t0 = Date.now();
    await withFileLock(target, async () => {}, { staleMs: 60_000, timeoutMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("breaks an old ownerless lock (as kubectl leaves) once it is older than staleMs", async () => {
    await fs.writeFile(`${target}.lock`, "");
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(`${target}.lock`, old, old);
    await withFileLock(target, async () => {}, { staleMs: 30_000, timeoutMs: 2_000 });
  });

  it("waits for a live lock and times out with a clear message", async () => {
    await fs.writeFile(`${target}.lock`, "");
    await expect(withFileLock(target, async () => {}, { staleMs: 60_000, timeoutMs: 150 })).rejects.toThrow(/timed out .* waiting for lock/);
    // The foreign lock is left alone.
    expect(await fs.readFile(`${target}.lock`, "utf8")).toBe("");
  });

  it("proceeds as soon as a live holder releases", async () => {
    await fs.writeFile(`${target}.lock`, `${process.pid} ${os.hostname()} other\n`);
    setTimeout(() => void fs.rm(`${target}.lock`), 100);
    await withFileLock(target, async () => {}, { staleMs: 60_000, timeoutMs: 3_000 });
  });
});
