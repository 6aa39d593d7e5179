// API server benchmark: a real `minicluster server` child process (SQLite store, HTTPS), loaded
// from this process with undici over keep-alive connections. Prints creates/s and GETs/s with
// 16 concurrent clients (p50/p99), the latency of one update to 100 watchers, the server's RSS
// holding 10,000 ConfigMaps, and the time to /readyz when restarted on that data dir.
// Run: npm run bench -- apiserver
//
// It measures what users run: the single executable dist/minicluster (or MINICLUSTER_DIST's),
// rebuilt first when any source is newer (MINICLUSTER_BIN=path measures another build). The
// RSS is the server process's own (the spawned process is the server, no wrapper), read from
// /proc right after the GET load with no forced garbage collection, next to its peak (VmHWM).

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Agent, request } from "undici";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CONCURRENCY = 16;
const OBJECTS = 10_000;
const GET_SECONDS = 10;
const WATCHERS = 100;

interface Server {
  proc: ChildProcess;
  url: string;
  startedMs: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Newest modification time of the files a build is made from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The executable to measure: MINICLUSTER_BIN, or the build's (see scripts/build.mjs), built when stale. */
function executable(): string {
  if (process.env.MINICLUSTER_BIN) return path.resolve(process.env.MINICLUSTER_BIN);
  const exe = path.join(process.env.MINICLUSTER_DIST ? path.resolve(process.env.MINICLUSTER_DIST) : path.join(ROOT, "dist"), "minicluster");
  const sources = Math.max(newestSource(path.join(ROOT, "src")), ...["package-lock.json", "scripts/build.mjs"].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs));
  if (!fs.existsSync(exe) || fs.statSync(exe).mtimeMs < sources) {
    console.error(`building ${exe} (missing or older than the sources)`);
    try {
      execFileSync(process.execPath, [path.join(ROOT, "scripts/build.mjs")], { stdio: "pipe" });
    } catch (err) {
      process.stderr.write((err as { stderr?: Buffer }).stderr ?? "");
      throw err;
    }
  }
  return exe;
}

async function startServer(exe: string, dataDir: string): Promise<Server> {
  const t0 = performance.now();
  const proc = spawn(exe, ["server", "--data-dir", dataDir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready at (https:\/\/[^ ]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  return { proc, url, startedMs: performance.now() - t0 };
}

/**
 * The process's resident set in MB (/proc/PID/status): now, its anonymous part (heap, stacks:
 * what the process itself allocated), the file-backed part (mostly the executable's own pages,
 * which vary with the page cache: a just-built binary maps more) and the peak so far.
 */
function rssMb(pid: number): { now: number; anon: number; file: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { now: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile"), peak: mb("VmHWM") };
}

async function main(): Promise<void> {
  const exe = executable();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-bench-"));
  let server = await startServer(exe, dataDir);
  const pki = (f: string) => fs.readFileSync(path.join(dataDir, "pki", f), "utf8");
  const agent = new Agent({ connect: { ca: pki("ca.crt"), cert: pki("admin.crt"), key: pki("admin.key") }, connections: CONCURRENCY, pipelining: 1 });
  const base = () => `${server.url}/api/v1/namespaces/default/configmaps`;
  const rows: string[] = [];

  // Creates: 16 workers share OBJECTS names.
  let next = 0;
  const createLat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < OBJECTS; i = next++) {
        const s = performance.now();
        const res = await request(base(), {
          method: "POST",
          dispatcher: agent,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, labels: { app: "bench" } }, data: { key: "value", index: String(i) } }),
        });
        await res.body.dump();
        if (res.statusCode !== 201) throw new Error(`create returned ${res.statusCode}`);
        createLat.push(performance.now() - s);
      }
    }),
  );
  const createS = (performance.now() - t0) / 1000;
  rows.push(`creates      ${(OBJECTS / createS).toFixed(0).padStart(7)}/s  p50 ${pct(createLat, 50).toFixed(2)} ms  p99 ${pct(createLat, 99).toFixed(2)} ms`);

  // GETs for a fixed time.
  const getLat: number[] = [];
  const until = performance.now() + GET_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = w; performance.now() < until; i += CONCURRENCY) {
        const s = performance.now();
        const res = await request(`${base()}/cm-${i % OBJECTS}`, { dispatcher: agent });
        await res.body.dump();
        getLat.push(performance.now() - s);
      }
    }),
  );
  rows.push(`gets         ${(getLat.length / GET_SECONDS).toFixed(0).padStart(7)}/s  p50 ${pct(getLat, 50).toFixed(2)} ms  p99 ${pct(getLat, 99).toFixed(2)} ms`);
  const rss = rssMb(server.proc.pid!);
  rows.push(
    `rss with ${OBJECTS} configmaps: ${rss.now.toFixed(0)} MB right after the GETs (anonymous ${rss.anon.toFixed(0)}, file-backed ${rss.file.toFixed(0)}; peak so far ${rss.peak.toFixed(0)} MB)`,
  );

  // Watch fan-out: 100 watchers, 50 updates, latency from write ack... from write start to each delivery.
  const watchAgent = new Agent({ connect: { ca: pki("ca.crt"), cert: pki("admin.crt"), key: pki("admin.key") }, connections: WATCHERS + 2 });
  const rv = JSON.parse(await (await request(`${base()}/cm-0`, { dispatcher: agent })).body.text()).metadata.resourceVersion;
  const sentAt = new Map<string, number>();
  const fanout: number[] = [];
  const controllers: AbortController[] = [];
  let ready = 0;
  await Promise.all(
    Array.from({ length: WATCHERS }, async () => {
      const ac = new AbortController();
      controllers.push(ac);
      const res = await request(`${base()}?watch=true&fieldSelector=metadata.name%3Dcm-0&resourceVersion=${rv}`, { dispatcher: watchAgent, signal: ac.signal });
      ready++;
      void (async () => {
        let buf = "";
        try {
          for await (const chunk of res.body) {
            buf += chunk.toString();
            let nl;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const ev = JSON.parse(buf.slice(0, nl));
              buf = buf.slice(nl + 1);
              const at = sentAt.get(ev.object?.data?.tick);
              if (at !== undefined) fanout.push(performance.now() - at);
            }
          }
        } catch {
          /* aborted */
        }
      })();
    }),
  );
  while (ready < WATCHERS) await new Promise((r) => setTimeout(r, 10));
  for (let t = 0; t < 50; t++) {
    const tick = String(t);
    sentAt.set(tick, performance.now());
    const res = await request(`${base()}/cm-0`, { method: "PATCH", dispatcher: agent, headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ data: { tick } }) });
    await res.body.dump();
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const ac of controllers) ac.abort();
  rows.push(`watch fan-out to ${WATCHERS} watchers: ${fanout.length} deliveries, p50 ${pct(fanout, 50).toFixed(2)} ms  p99 ${pct(fanout, 99).toFixed(2)} ms`);
  await watchAgent.close().catch(() => undefined);
  await agent.close();

  // Restart on the existing data dir: time until the server reports ready, then /readyz answers.
  server.proc.kill("SIGTERM");
  await new Promise((r) => server.proc.once("exit", r));
  server = await startServer(exe, dataDir);
  const anon = new Agent({ connect: { ca: pki("ca.crt") } });
  const t1 = performance.now();
  const ready2 = await request(`${server.url}/readyz`, { dispatcher: anon });
  await ready2.body.dump();
  rows.push(`restart with ${OBJECTS} objects: ready in ${server.startedMs.toFixed(0)} ms (process start to listening), /readyz ${ready2.statusCode} after ${(performance.now() - t1).toFixed(1)} ms more`);
  await anon.close();
  server.proc.kill("SIGTERM");
  await new Promise((r) => server.proc.once("exit", r));
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`apiserver benchmark of ${path.relative(ROOT, exe) || exe} (${os.cpus().length} cores, ${CONCURRENCY} concurrent HTTPS clients, ${new Date().toISOString().slice(0, 10)})`);
  for (const r of rows) console.log(`  ${r}`);
}

await main();
