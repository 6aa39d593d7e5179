// What the benchmarks on real clusters share (not a benchmark itself): the executable, the CLI
// run with an isolated HOME and KUBECONFIG, a cluster's node names, a container's memory as
// `docker stats` counts it, and the statistics they print.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** dist/minicluster; MINICLUSTER_BENCH_EXE (or MINICLUSTER_EXE) runs another build. */
export const EXE = process.env.MINICLUSTER_BENCH_EXE ?? process.env.MINICLUSTER_EXE ?? path.join(REPO, "dist/minicluster");

export interface BenchEnv {
  /** A new temporary directory, HOME of every command; the caller removes it. */
  home: string;
  /** HOME/config, the KUBECONFIG of every command. */
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  /** Runs the CLI, throwing if it fails; its stderr is shown (`quiet`: dropped too). Returns the time it took in ms. */
  mc(args: string[], opts?: { quiet?: boolean }): number;
  /** The node container names of cluster `name`, as `minicluster get nodes` lists them. */
  nodes(name: string): string[];
}

export function benchEnv(prefix: string): BenchEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `minicluster-bench-${prefix}-`));
  const kubeconfig = path.join(home, "config");
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home };
  return {
    home,
    kubeconfig,
    env,
    mc(args, opts = {}) {
      const t = process.hrtime.bigint();
      execFileSync(EXE, args, { env, stdio: ["ignore", "ignore", opts.quiet ? "ignore" : "inherit"] });
      return Number(process.hrtime.bigint() - t) / 1e6;
    },
    nodes: (name) =>
      execFileSync(EXE, ["get", "nodes", "--name", name], { env, encoding: "utf8" })
        .split("\n")
        .slice(1)
        .map((l) => l.split(/\s+/)[0]!)
        .filter(Boolean),
  };
}

/** A container's memory in MiB as `docker stats` counts it: cgroup usage minus inactive file cache. */
export async function containerMemory(docker: Docker, container: string): Promise<number> {
  const s = (await docker.getContainer(container).stats({ stream: false })) as unknown as { memory_stats: { usage?: number; stats?: Record<string, number> } };
  const st = s.memory_stats.stats ?? {};
  const cache = st.total_inactive_file ?? st.inactive_file ?? 0;
  return ((s.memory_stats.usage ?? 0) - cache) / (1024 * 1024);
}

/** Nearest rank: the smallest value with at least q of the (sorted) samples at or below it. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The middle value (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Milliseconds as seconds with two decimals: "1.23 s". */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
