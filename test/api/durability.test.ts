// `minicluster server` on the SQLite store, killed with SIGKILL in the middle of a stream of
// writes: after a restart on the same data dir every acknowledged write is there, the
// certificates are the same, and the old kubeconfig still works.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { runKubectl } from "../test-utils/control-plane.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-durability-"));
let child: ChildProcess | undefined;

function startServer(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts"), "server", "--data-dir", dataDir, "--port", "0"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready at (https:\/\/[^ ]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
    proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

afterAll(() => {
  child?.kill("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("durability of the SQLite store", () => {
  it("keeps every acknowledged write across kill -9", async () => {
    const first = await startServer();
    const pki = (f: string) => fs.readFileSync(path.join(dataDir, "pki", f), "utf8");
    const caBefore = pki("ca.crt");
    const agent = new Agent({ connect: { ca: pki("ca.crt"), cert: pki("admin.crt"), key: pki("admin.key") }, connections: 8 });
    const acked: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        try {
          const res = await request(`${first.url}/api/v1/namespaces/default/configmaps`, {
            method: "POST",
            dispatcher: agent,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { i: String(i) } }),
          });
          await res.body.text();
          if (res.statusCode === 201) acked.push(name);
        } catch {
          return; // the server died under us
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    first.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    await agent.close();
    expect(acked.length).toBeGreaterThan(50);

    const second = await startServer();
    expect(pki("ca.crt")).toBe(caBefore);
    // The kubeconfig written on first start still works (same CA and admin certificate).
    const kubeconfig = path.join(dataDir, "kubeconfig");
    const cfg = fs.readFileSync(kubeconfig, "utf8").replace(/server: .*/, `server: ${second.url}`);
    fs.writeFileSync(kubeconfig, cfg);
    const out = await runKubectl(kubeconfig, ["get", "configmaps", "-n", "default", "-o", "name"], { timeoutMs: 60_000 });
    expect(out.code).toBe(0);
    const present = new Set(out.stdout.trim().split("\n").map((l) => l.replace("configmap/", "")));
    const missing = acked.filter((n) => !present.has(n));
    expect(missing).toEqual([]);
    second.proc.kill("SIGTERM");
  });
});
