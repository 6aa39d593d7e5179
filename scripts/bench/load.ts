// `npm run bench -- load`: `minicluster load docker-image` of a ~100 MB image (mctest/big:1, built
// locally on demand) into a fresh 3-node cluster: the time to all three nodes (median of RUNS,
// each into empty nodes: the image store is wiped between runs) and of a second load that skips.
// Uses dist/minicluster (MINICLUSTER_EXE or MINICLUSTER_BENCH_EXE overrides) and an isolated KUBECONFIG.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import Docker from "dockerode";
import { ensureBigTestImage } from "../../test/test-utils/images.js";
import { benchEnv, median, seconds as fmt } from "./common.js";

const runs = Number(process.env.RUNS ?? 5);
const { home, mc, nodes: nodesOf } = benchEnv("load");
const name = "bench-load";
const docker = new Docker();

const image = await ensureBigTestImage(docker);
const size = (await docker.getImage(image).inspect()).Size;
mc(["delete", "--name", name]);
mc(["create", "--name", name, "--nodes", "3"]);
const nodes = nodesOf(name);
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
