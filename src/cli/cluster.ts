// Cluster commands: create, delete, get (clusters | nodes | kubeconfig), export (kubeconfig | logs).
// Each is flag parsing plus one call into src/cluster.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Argv } from "yargs";
import { createCluster } from "../cluster/create/index.js";
import { deleteAllClusters, deleteCluster, type DeleteOutcome } from "../cluster/delete.js";
import { clusterKubeconfig, contextName, defaultKubeconfigPath } from "../cluster/access/kubeconfig.js";
import { mergeKubeconfig, stringifyKubeconfig } from "../cluster/kubeconfig/index.js";
import { DEFAULT_CLUSTER_NAME, parseClusterConfig, resolveClusterSpec, validateClusterName, type ClusterConfig } from "../cluster/config/index.js";
import { connectDocker } from "../provision/docker/engine.js";
import { DockerProvider } from "../provision/docker/provider.js";
import { ensureNodeImage } from "../nodeimage/index.js";
import { resolveMiniclusterExecutable } from "../nodeimage/executable.js";
import { UsageError } from "./errors.js";

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

function checkedName(name: string | undefined): string {
  const n = name ?? DEFAULT_CLUSTER_NAME;
  const problem = validateClusterName(n);
  if (problem) throw new UsageError(`--name ${JSON.stringify(n)}: ${problem}`);
  return n;
}

const nameOption = { type: "string", describe: `Cluster name (default "${DEFAULT_CLUSTER_NAME}")` } as const;

export interface CreateArgs {
  name?: string;
  nodes?: number;
  image?: string;
  wait?: string;
  kubeconfig?: string;
  retain: boolean;
  config?: string;
}

export function createCommand(y: Argv): Argv<CreateArgs> {
  return y
    .option("name", nameOption)
    .option("nodes", { type: "number", describe: "Total number of nodes: one control plane plus N-1 workers (default 1, or the config file's nodes)" })
    .option("image", { type: "string", describe: "Node image to use (default: built on demand for this executable)" })
    .option("wait", { type: "string", describe: 'How long to wait for every node to be Ready, e.g. "60s" ("0" returns once the API answers; default 5m)' })
    .option("kubeconfig", { type: "string", describe: "Write the kubeconfig only to this file (default: merged into $KUBECONFIG or ~/.kube/config)" })
    .option("retain", { type: "boolean", default: false, describe: "Keep the node containers when create fails (for debugging)" })
    .option("config", { type: "string", describe: "Cluster file (YAML, kind: Cluster); flags override it" }) as unknown as Argv<CreateArgs>;
}

export async function runCreate(args: CreateArgs, out: Out = stdout): Promise<void> {
  let config: ClusterConfig | undefined;
  if (args.config !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(args.config, "utf8");
    } catch (err) {
      throw new UsageError(`--config ${args.config}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    config = parseClusterConfig(text, args.config);
  }
  const spec = resolveClusterSpec({ name: args.name, nodes: args.nodes, image: args.image, wait: args.wait }, config);
  const docker = await connectDocker();
  const result = await createCluster(
    spec,
    { kubeconfig: args.kubeconfig, retain: args.retain },
    {
      docker,
      renderer: process.stdout.isTTY ? "default" : "simple",
      ensureImage: async (onProgress) => (await ensureNodeImage({ docker, executable: resolveMiniclusterExecutable(), onProgress })).tag,
    },
  );
  out(
    `Cluster "${result.name}" is ready: ${result.nodes.length} node${result.nodes.length === 1 ? "" : "s"}, API at ${result.server}, ` +
      `${(result.ms / 1000).toFixed(1)} s. kubectl context "${result.context}" is in ${result.kubeconfig}.`,
  );
  out(`Try: kubectl${args.kubeconfig ? ` --kubeconfig ${args.kubeconfig}` : ""} get nodes`);
}

export interface DeleteArgs {
  name?: string;
  all: boolean;
  kubeconfig?: string;
}

export function deleteCommand(y: Argv): Argv<DeleteArgs> {
  return y
    .option("name", nameOption)
    .option("all", { type: "boolean", default: false, describe: "Delete every minicluster cluster" })
    .option("kubeconfig", { type: "string", describe: "Kubeconfig file to remove the entries from (default: $KUBECONFIG or ~/.kube/config)" })
    .check((a) => {
      if (a.all && a.name !== undefined) throw new UsageError("--all and --name do not go together");
      return true;
    }) as unknown as Argv<DeleteArgs>;
}

export async function runDelete(args: DeleteArgs, out: Out = stdout): Promise<void> {
  const name = args.all ? undefined : checkedName(args.name);
  const docker = await connectDocker();
  const outcomes: DeleteOutcome[] = name ? [await deleteCluster(docker, name, { kubeconfig: args.kubeconfig })] : await deleteAllClusters(docker, { kubeconfig: args.kubeconfig });
  if (outcomes.length === 0) out("No clusters to delete.");
  for (const o of outcomes) {
    if (o.containers + o.volumes + o.networks === 0 && !o.kubeconfigChanged) out(`Cluster "${o.name}" does not exist; nothing to delete.`);
    else out(`Deleted cluster "${o.name}" (${o.containers} containers, ${o.volumes} volumes, ${o.networks} networks${o.kubeconfigChanged ? ", kubeconfig entries" : ""}).`);
  }
}

export function getCommand(y: Argv): Argv {
  return y
    .command("clusters", "List clusters", {}, async () => {
      const names = await new DockerProvider(await connectDocker()).listClusters();
      if (names.length === 0) process.stderr.write("No clusters found.\n");
      for (const n of names) stdout(n);
    })
    .command<{ name?: string }>(
      "nodes",
      "List a cluster's node containers",
      (yy) => yy.option("name", nameOption) as unknown as Argv<{ name?: string }>,
      async (a) => {
        const name = checkedName(a.name);
        const nodes = await new DockerProvider(await connectDocker()).listNodes(name);
        if (nodes.length === 0) throw new Error(`no cluster named "${name}" (see \`minicluster get clusters\`)`);
        const rows = [["NAME", "ROLE", "STATE", "IP"], ...nodes.map((n) => [n.name, n.role, n.state, n.ip ?? "-"])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows) stdout(r.map((c, i) => c.padEnd(widths[i]! + 3)).join("").trimEnd());
      },
    )
    .command<{ name?: string; internal: boolean }>(
      "kubeconfig",
      "Print a cluster's admin kubeconfig",
      (yy) =>
        yy
          .option("name", nameOption)
          .option("internal", { type: "boolean", default: false, describe: "Address the API server by its container name (for containers on the cluster's network)" }) as unknown as Argv<{
          name?: string;
          internal: boolean;
        }>,
      async (a) => {
        const cfg = await clusterKubeconfig(new DockerProvider(await connectDocker()), checkedName(a.name), a.internal);
        process.stdout.write(stringifyKubeconfig(cfg));
      },
    )
    .demandCommand(1, "get what? clusters, nodes or kubeconfig");
}

export function exportCommand(y: Argv): Argv {
  return y
    .command<{ name?: string; kubeconfig?: string }>(
      "kubeconfig",
      "Merge a cluster's kubeconfig into $KUBECONFIG or ~/.kube/config again",
      (yy) => yy.option("name", nameOption).option("kubeconfig", { type: "string", describe: "File to merge into" }) as unknown as Argv<{ name?: string; kubeconfig?: string }>,
      async (a) => {
        const name = checkedName(a.name);
        const cfg = await clusterKubeconfig(new DockerProvider(await connectDocker()), name);
        const file = a.kubeconfig ?? defaultKubeconfigPath();
        await mergeKubeconfig(file, cfg);
        stdout(`Set kubectl context "${contextName(name)}" in ${file}.`);
      },
    )
    .command<{ name?: string; dir?: string }>(
      "logs [dir]",
      "Copy every node's component logs into DIR (default: a new temporary directory)",
      (yy) => yy.positional("dir", { type: "string" }).option("name", nameOption) as unknown as Argv<{ name?: string; dir?: string }>,
      async (a) => {
        const name = checkedName(a.name);
        const provider = new DockerProvider(await connectDocker());
        const dir = a.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), `minicluster-logs-${name}-`)));
        if ((await provider.listNodes(name)).length === 0) throw new Error(`no cluster named "${name}" (see \`minicluster get clusters\`)`);
        const files = await provider.collectLogs(name, dir);
        stdout(`Exported ${files.length} files of cluster "${name}" to ${dir}`);
      },
    )
    .demandCommand(1, "export what? kubeconfig or logs");
}
