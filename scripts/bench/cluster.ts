// `npm run bench -- cluster`: `minicluster create --nodes 3` to all nodes Ready (median of 5),
// `delete`, and the memory of an idle 3-node cluster (sum over the node containers, as `docker
// stats` counts it: cgroup usage minus inactive file cache). Uses the built dist/minicluster and
// an isolated KUBECONFIG.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exe = path.join(repo, "dist/minicluster");
const runs = Number(process.env.RUNS ?? 5);
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 30);
const home = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-bench-"));
const env = { ...process.env, KUBECONFIG: path.join(home, "config"), HOME: home };
const docker = new Docker();
const name = "bench";

function mc(args: string[]): number {
  const t = process.hrtime.bigint();
  execFileSync(exe, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface MemStats {
  memory_stats: { usage?: number; stats?: Record<string, number> };
}

async function clusterMemory(): Promise<{ perNode: Record<string, number>; total: number }> {
  const cs = await docker.listContainers({ filters: { label: [`io.minicluster.cluster=${name}`] } });
  const perNode: Record<string, number> = {};
  for (const c of cs) {
    const s = (await docker.getContainer(c.Id).stats({ stream: false })) as unknown as MemStats;
    const st = s.memory_stats.stats ?? {};
    const cache = st.total_inactive_file ?? st.inactive_file ?? 0;
    perNode[c.Names[0]!.replace(/^\//, "")] = ((s.memory_stats.usage ?? 0) - cache) / (1024 * 1024);
  }
  return { perNode, total: Object.values(perNode).reduce((a, b) => a + b, 0) };
}

mc(["delete", "--name", name]);
const t0 = Date.now();
execFileSync(exe, ["build", "node-image"], { env, stdio: ["ignore", "ignore", "inherit"] });
console.log(`node image present (ensure took ${fmt(Date.now() - t0)})`);

const creates: number[] = [];
const deletes: number[] = [];
let memory: Awaited<ReturnType<typeof clusterMemory>> | undefined;
for (let i = 0; i < runs; i++) {
  const c = mc(["create", "--name", name, "--nodes", "3"]);
  creates.push(c);
  if (i === 0) {
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    memory = await clusterMemory();
  }
  const d = mc(["delete", "--name", name]);
  deletes.push(d);
  console.log(`run ${i + 1}: create --nodes 3 to all Ready ${fmt(c)}, delete ${fmt(d)}`);
}
console.log(`create --nodes 3 (to all nodes Ready): median ${fmt(median(creates))}, min ${fmt(Math.min(...creates))}, max ${fmt(Math.max(...creates))}`);
console.log(`delete: median ${fmt(median(deletes))}, max ${fmt(Math.max(...deletes))}`);
if (memory) {
  const parts = Object.entries(memory.perNode)
    .sort()
    .map(([n, m]) => `${n} ${m.toFixed(1)} MiB`)
    .join(", ");
  console.log(`idle 3-node cluster after ${idleSeconds} s: ${memory.total.toFixed(1)} MiB in all (${parts})`);
}
const img = execFileSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", "minicluster/node"], { encoding: "utf8" }).trim();
console.log(`node images: ${img.replace(/\n/g, "; ")}`);
fs.rmSync(home, { recursive: true, force: true });
