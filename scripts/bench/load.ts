// `npm run bench -- load`: `minicluster load docker-image` of a ~100 MB image (mctest/big:1, built
// locally on demand) into a fresh 3-node cluster: the time to all three nodes (median of RUNS,
// each into empty nodes: the image store is wiped between runs) and of a second load that skips.
// Uses dist/minicluster (MINICLUSTER_EXE overrides) and an isolated KUBECONFIG.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { ensureBigTestImage } from "../../test/test-utils/images.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exe = process.env.MINICLUSTER_EXE ?? path.join(repo, "dist/minicluster");
const runs = Number(process.env.RUNS ?? 5);
const home = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-bench-load-"));
const env = { ...process.env, KUBECONFIG: path.join(home, "config"), HOME: home };
const name = "bench-load";
const docker = new Docker();

function mc(args: string[]): number {
  const t = process.hrtime.bigint();
  execFileSync(exe, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const image = await ensureBigTestImage(docker);
const size = (await docker.getImage(image).inspect()).Size;
mc(["delete", "--name", name]);
mc(["create", "--name", name, "--nodes", "3"]);
const nodes = execFileSync(exe, ["get", "nodes", "--name", name], { env, encoding: "utf8" })
  .split("\n")
  .slice(1)
  .map((l) => l.split(/\s+/)[0]!)
  .filter(Boolean);
try {
  const loads: number[] = [];
  const skips: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const n of nodes) execFileSync("docker", ["exec", n, "rm", "-rf", "/var/lib/minicluster/images"]);
    const l = mc(["load", "docker-image", image, "--name", name]);
    const s = mc(["load", "docker-image", image, "--name", name]);
    loads.push(l);
    skips.push(s);
    console.log(`run ${i + 1}: load into ${nodes.length} nodes ${fmt(l)}, again (skipped) ${fmt(s)}`);
  }
  console.log(
    `load docker-image ${image} (${(size / 1e6).toFixed(0)} MB) into ${nodes.length} nodes: median ${fmt(median(loads))}, ` +
      `min ${fmt(Math.min(...loads))}, max ${fmt(Math.max(...loads))} (target ≤ 5 s); a load that skips: median ${fmt(median(skips))}`,
  );
} finally {
  mc(["delete", "--name", name]);
  fs.rmSync(home, { recursive: true, force: true });
}
