// Kills a writing process with SIGKILL and checks that every write it saw acknowledged is in
// the database afterwards: acknowledgement must mean "committed", never "queued".

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { SqliteBackend } from "./sqlite-backend.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "../../../..");
const dir = mkdtempSync(join(tmpdir(), "store-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("keeps every acknowledged write after kill -9 of the writer", async () => {
  const path = join(dir, "crash.sqlite");
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "crash-writer.fixture.ts"), path], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const acked: string[] = [];
  let stderr = "";
  let buffered = "";
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === "ready") killTimer ??= setTimeout(() => child.kill("SIGKILL"), 1000);
      else acked.push(line);
    }
  });
  const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  clearTimeout(killTimer);
  expect(exit, `writer ended without being killed: ${stderr}`).toBe("SIGKILL");
  expect(acked.length).toBeGreaterThan(100);

  const b = new SqliteBackend({ path });
  await b.start();
  try {
    const { items } = await b.list("/crash/");
    const stored = new Set(items.map((kv) => kv.key));
    const missing = acked.filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    expect(b.currentRevision()).toBeGreaterThanOrEqual(acked.length + 1);
    expect(JSON.parse(items[0].value)).toMatchObject({ key: items[0].key });
  } finally {
    await b.close();
  }
}, 15_000);
