// `npm run bench -- cluster`: `minicluster create --nodes 3` to all nodes Ready (median of 5),
// `delete`, and the memory of an idle 3-node cluster (sum over the node containers, as `docker
// stats` counts it: cgroup usage minus inactive file cache). Uses the built dist/minicluster and
// an isolated KUBECONFIG (MINICLUSTER_BENCH_EXE runs another build).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import Docker from "dockerode";
import { benchEnv, containerMemory, median, seconds as fmt } from "./common.js";

const runs = Number(process.env.RUNS ?? 5);
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 30);
const { home, mc } = benchEnv("cluster");
const docker = new Docker();
const name = "bench";

async function clusterMemory(): Promise<{ perNode: Record<string, number>; total: number }> {
  const cs = await docker.listContainers({ filters: { label: [`io.minicluster.cluster=${name}`] } });
  const perNode: Record<string, number> = {};
  for (const c of cs) perNode[c.Names[0]!.replace(/^\//, "")] = await containerMemory(docker, c.Id);
  return { perNode, total: Object.values(perNode).reduce((a, b) => a + b, 0) };
}

mc(["delete", "--name", name]);
console.log(`node image present (ensure took ${fmt(mc(["build", "node-image"]))})`);

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
