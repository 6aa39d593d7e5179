// `minicluster load docker-image IMAGE... [--name] [--nodes n1,n2]` and
// `minicluster load image-archive FILE [--name] [--nodes n1,n2]`: images into a cluster's nodes.
// One line per node on stdout; any failure ends in one line on stderr and exit code 1.

import type { Argv } from "yargs";
import { DEFAULT_CLUSTER_NAME, validateClusterName } from "../cluster/config/index.js";
import { describeNodeLoad, loadDockerImages, loadImageArchive, type NodeLoadResult } from "../cluster/load.js";
import { connectDocker } from "../provision/docker/engine.js";
import { UsageError } from "./errors.js";

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

interface CommonArgs {
  name?: string;
  nodes?: string | string[];
}

export interface LoadDockerImageArgs extends CommonArgs {
  images: string[];
}

export interface LoadImageArchiveArgs extends CommonArgs {
  file: string;
}

function checkedName(name: string | undefined): string {
  const n = name ?? DEFAULT_CLUSTER_NAME;
  const problem = validateClusterName(n);
  if (problem) throw new UsageError(`--name ${JSON.stringify(n)}: ${problem}`);
  return n;
}

/** "--nodes a,b --nodes c" -> [a, b, c]. */
export function parseNodesOption(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(",")).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError("--nodes: name at least one node");
  return [...new Set(list)];
}

function common<T>(y: Argv): Argv<T> {
  return y
    .option("name", { type: "string", describe: `Cluster name (default "${DEFAULT_CLUSTER_NAME}")` })
    .option("nodes", { type: "string", describe: "Only these nodes, comma-separated (default: every node of the cluster)" }) as unknown as Argv<T>;
}

export function loadCommand(y: Argv): Argv {
  return y
    .command<LoadDockerImageArgs>(
      "docker-image <images..>",
      "Copy images from the local Docker engine into the cluster's nodes (nodes that have the same image ID are skipped)",
      (yy) => common<LoadDockerImageArgs>(yy.positional("images", { type: "string", array: true, demandOption: true })),
      async (a) => {
        await runLoadDockerImage(a);
      },
    )
    .command<LoadImageArchiveArgs>(
      "image-archive <file>",
      "Load a `docker save` archive into the cluster's nodes",
      (yy) => common<LoadImageArchiveArgs>(yy.positional("file", { type: "string", demandOption: true })),
      async (a) => {
        await runLoadImageArchive(a);
      },
    )
    .demandCommand(1, "load what? docker-image or image-archive");
}

function report(results: NodeLoadResult[], out: Out): void {
  for (const r of results) if (!r.error) out(describeNodeLoad(r));
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) throw new Error(failed.map((r) => r.error).join("; "));
}

export async function runLoadDockerImage(args: LoadDockerImageArgs, out: Out = stdout): Promise<void> {
  const cluster = checkedName(args.name);
  const nodes = parseNodesOption(args.nodes);
  const docker = await connectDocker();
  report(await loadDockerImages(docker, { cluster, images: args.images.map(String), ...(nodes ? { nodes } : {}) }), out);
}

export async function runLoadImageArchive(args: LoadImageArchiveArgs, out: Out = stdout): Promise<void> {
  const cluster = checkedName(args.name);
  const nodes = parseNodesOption(args.nodes);
  const docker = await connectDocker();
  report(await loadImageArchive(docker, { cluster, file: args.file, ...(nodes ? { nodes } : {}) }), out);
}
