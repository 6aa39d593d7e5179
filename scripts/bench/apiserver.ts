// API server benchmark: a real `minicluster server` child process (SQLite store, HTTPS), loaded
// from this process with undici over keep-alive connections. Prints creates/s and GETs/s with
// 16 concurrent clients (p50/p99), the latency of one update to 100 watchers, the server's RSS
// holding 10,000 ConfigMaps, and the time to /readyz when restarted on that data dir.
// Run: npm run bench -- apiserver

import { spawn, type ChildProcess } from "node:child_process";
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

async function startServer(dataDir: string): Promise<Server> {
  const exe = path.join(ROOT, "dist/minicluster");
  const [cmd, args] = fs.existsSync(exe)
    ? [exe, ["server", "--data-dir", dataDir, "--port", "0"]]
    : [process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts"), "server", "--data-dir", dataDir, "--port", "0"]];
  const t0 = performance.now();
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
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

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-bench-"));
  let server = await startServer(dataDir);
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
  rows.push(`rss with ${OBJECTS} configmaps: ${rssMb(server.proc.pid!).toFixed(0)} MB`);

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
  server = await startServer(dataDir);
  const anon = new Agent({ connect: { ca: pki("ca.crt") } });
  const t1 = performance.now();
  const ready2 = await request(`${server.url}/readyz`, { dispatcher: anon });
  await ready2.body.dump();
  rows.push(`restart with ${OBJECTS} objects: ready in ${server.startedMs.toFixed(0)} ms (process start to listening), /readyz ${ready2.statusCode} after ${(performance.now() - t1).toFixed(1)} ms more`);
  await anon.close();
  server.proc.kill("SIGTERM");
  await new Promise((r) => server.proc.once("exit", r));
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`apiserver benchmark (${os.cpus().length} cores, ${CONCURRENCY} concurrent HTTPS clients, ${new Date().toISOString().slice(0, 10)})`);
  for (const r of rows) console.log(`  ${r}`);
}

await main();
