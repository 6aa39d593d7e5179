// Store write benchmark: sustained put throughput and latency of our SQLite backend (with the
// durability we ship: WAL + synchronous=FULL) next to etcd 3.4 doing the same puts, sequential
// and with N writes in flight.
//
//   npx tsx scripts/bench/store.ts [--seconds 10] [--concurrency 16] [--value-bytes 1024] [--no-etcd]
//
// etcd is Debian's `etcd-server`, installed with apt-get when `etcd` is not on PATH, started on
// 127.0.0.1 with a temporary data dir and free ports, driven through its v3 HTTP/JSON gateway
// with undici (one keep-alive connection per in-flight request), and stopped by pid at the end.
// Note the asymmetry: our backend is called in-process while etcd pays HTTP + JSON + gRPC
// gateway per put. Both fsync per commit batch.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { SqliteBackend } from "../../src/controlplane/store/sqlite/sqlite-backend.js";
import { freePort } from "../../test/test-utils/ports.js";

interface Result {
  backend: string;
  mode: string;
  ops: number;
  seconds: number;
  latenciesMs: number[];
}

type Put = (key: string, value: string) => Promise<void>;

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "16" },
    "value-bytes": { type: "string", default: "1024" },
    "no-etcd": { type: "boolean", default: false },
  },
});
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const value = JSON.stringify({ kind: "Pod", apiVersion: "v1", spec: { pad: "x".repeat(Math.max(0, Number(args["value-bytes"]) - 50)) } });

/** Runs `workers` loops of puts on distinct keys until the time is up. */
async function measure(backend: string, workers: number, put: Put): Promise<Result> {
  const latenciesMs: number[] = [];
  let seq = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const key = `/registry/bench/${backend}/${seq++}`;
      const t0 = performance.now();
      await put(key, value);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsed = (performance.now() - start) / 1000;
  return { backend, mode: workers === 1 ? "sequential" : `${workers} in flight`, ops: latenciesMs.length, seconds: elapsed, latenciesMs };
}

async function benchSqlite(dir: string): Promise<Result[]> {
  const results: Result[] = [];
  for (const workers of [1, concurrency]) {
    const b = new SqliteBackend({ path: join(dir, `bench-${workers}.sqlite`) });
    await b.start();
    try {
      results.push(
        await measure("sqlite (FULL)", workers, async (key, v) => {
          const r = await b.create(key, v);
          if (!r.ok) throw new Error(`create ${key}: ${r.reason}`);
        }),
      );
    } finally {
      await b.close();
    }
  }
  return results;
}

function ensureEtcd(): void {
  const has = () => spawnSync("sh", ["-c", "command -v etcd"], { stdio: "ignore" }).status === 0;
  if (has()) return;
  const install = () => spawnSync("apt-get", ["install", "-y", "etcd-server", "etcd-client"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
  if (!install()) {
    spawnSync("apt-get", ["update"], { stdio: "inherit" });
    if (!install()) throw new Error("could not install etcd-server with apt-get");
  }
  if (!has()) throw new Error("etcd-server installed but `etcd` is not on PATH");
}

async function startEtcd(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn(
    "etcd",
    [
      "--name=bench",
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=bench=${peerUrl}`,
      "--log-level=error",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  // etcd logs raft chatter on stderr even at --log-level=error; keep only the tail for errors.
  let stderrTail = "";
  proc.stderr!.on("data", (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`etcd exited with code ${proc.exitCode}:\n${stderrTail}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && ((await res.json()) as { health?: string }).health === "true") return { proc, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`etcd did not become healthy within 15 s:\n${stderrTail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopEtcd(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.pid === undefined) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  process.kill(proc.pid, "SIGTERM");
  const timer = setTimeout(() => proc.pid !== undefined && proc.exitCode === null && process.kill(proc.pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function benchEtcd(dir: string): Promise<Result[]> {
  ensureEtcd();
  const version = spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
  console.error(`using ${version}`);
  const { proc, url } = await startEtcd(join(dir, "etcd"));
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const put: Put = async (key, v) => {
    const res = await pool.request({ path: "/v3/kv/put", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: b64(key), value: b64(v) }) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`etcd put ${key}: ${res.statusCode} ${text}`);
  };
  try {
    return [await measure("etcd 3.4 (HTTP)", 1, put), await measure("etcd 3.4 (HTTP)", concurrency, put)];
  } finally {
    await pool.close();
    await stopEtcd(proc);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function printTable(results: Result[]): void {
  const rows = results.map((r) => {
    const sorted = Float64Array.from(r.latenciesMs).sort();
    const lat = Array.from(sorted);
    return [r.backend, r.mode, Math.round(r.ops / r.seconds).toLocaleString("en-US"), percentile(lat, 50).toFixed(2), percentile(lat, 99).toFixed(2)];
  });
  const header = ["backend", "mode", "writes/s", "p50 ms", "p99 ms"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

const dir = mkdtempSync(join(tmpdir(), "bench-store-"));
try {
  console.error(`store bench: ${seconds} s per case, ${concurrency} in flight, ${value.length}-byte values`);
  const results = await benchSqlite(dir);
  if (!args["no-etcd"]) results.push(...(await benchEtcd(dir)));
  printTable(results);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
