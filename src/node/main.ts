// The fast path of `minicluster node` (a node container's one process), taken by src/main.ts
// before anything else loads. The process then loads only what a node runs: not yargs, the
// CLI's Docker client (dockerode and ssh2, whose WebAssembly alone reserves 16 MiB) or the
// cluster commands, and on a worker not the control plane either (src/node/run.ts imports it
// only for a control-plane node). Measured with `npm run bench -- pods` (docs/benchmarks.md).
//
// On a worker the process is a kubelet only, and V8's defaults trade memory for throughput it
// does not need: the young generation may grow to 2 × 16 MiB, and the old generation to several
// times its live size between full collections. The same two run-time settings as the control
// plane's (src/controlplane/heap-tuning.ts, which explains why they must be set this early and
// at run time): semi-spaces stay at their initial 1 MiB, and a full collection runs once the old
// generation has grown 50% over what the last one left. Flags given in NODE_OPTIONS win.

import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { describeError, exitCodeOf } from "../cli/errors.js";
import { defaultRoot, nodePaths } from "./paths.js";

export const WORKER_V8_FLAGS: readonly { flag: string; unless: RegExp }[] = [
  { flag: "--semi-space-growth-factor=1", unless: /semi[-_]space/ },
  { flag: "--heap-growing-percent=50", unless: /heap[-_]growing[-_]percent/ },
];

export interface NodeMainArgs {
  config?: string;
  root?: string;
}

/** `node [--config F] [--root D]` (either as `--x v` or `--x=v`); undefined for anything else (yargs then handles it). */
export function parseNodeArgs(argv: readonly string[]): NodeMainArgs | undefined {
  if (argv[0] !== "node") return undefined;
  const out: NodeMainArgs = {};
  for (let i = 1; i < argv.length; i++) {
    const m = /^--(config|root)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) return undefined;
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === "") return undefined;
    out[m[1] as "config" | "root"] = value;
  }
  return out;
}

/** The flags to set for a node whose configuration says `role` (none unless a worker). */
export function workerV8Flags(role: string | undefined, nodeOptions: string): string[] {
  if (role !== "worker") return [];
  return WORKER_V8_FLAGS.filter((f) => !f.unless.test(nodeOptions)).map((f) => f.flag);
}

function roleOf(args: NodeMainArgs): string | undefined {
  const file = args.config ?? nodePaths(args.root ?? defaultRoot()).configFile;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { role?: string }).role;
  } catch {
    return undefined; // runNode reports a missing or broken configuration
  }
}

/** Runs `minicluster node` until SIGTERM/SIGINT; the exit code. */
export async function nodeMain(args: NodeMainArgs): Promise<number> {
  for (const flag of workerV8Flags(roleOf(args), [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" "))) v8.setFlagsFromString(flag);
  const { runNodeCommand } = await import("../cli/node.js");
  try {
    await runNodeCommand(args);
    return 0;
  } catch (err) {
    process.stderr.write(`minicluster: ${describeError(err, false)}\n`);
    return exitCodeOf(err);
  }
}
