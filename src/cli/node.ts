// `minicluster node` (hidden): the process a node container runs (its ENTRYPOINT). Reads
// /etc/minicluster/node.json, runs the control plane and/or the kubelet, stops cleanly on
// SIGTERM/SIGINT (exit 0).

import type { Argv } from "yargs";
import { defaultRoot, nodePaths } from "../node/paths.js";
import { runNode } from "../node/run.js";

export interface NodeArgs {
  config?: string;
  root?: string;
}

export function nodeCommand(y: Argv): Argv<NodeArgs> {
  return y
    .option("config", { type: "string", describe: "The node configuration (default /etc/minicluster/node.json)" })
    .option("root", { type: "string", hidden: true, describe: "Root of etc/minicluster, var/lib/minicluster and var/log/minicluster (default $MINICLUSTER_ROOT or /)" }) as unknown as Argv<NodeArgs>;
}

export async function runNodeCommand(args: NodeArgs): Promise<void> {
  // Listen before starting, so a stop request during startup is not lost (or fatal).
  const stopRequested = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  const root = args.root ?? defaultRoot();
  const node = await runNode({ root, configFile: args.config ?? nodePaths(root).configFile });
  await stopRequested;
  await node.stop();
}
