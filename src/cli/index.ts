// The command line: yargs commands, each a thin layer over a library function.

import yargs from "yargs";
import { describeError, exitCodeOf, UsageError } from "./errors.js";
import { runServer, serverCommand, type ServerArgs } from "./server.js";
import { nodeCommand, runNodeCommand, type NodeArgs } from "./node.js";
import { buildCommand } from "./build.js";
import { loadCommand } from "./load.js";
import { imageCommand } from "./image.js";
import { createCommand, deleteCommand, exportCommand, getCommand, runCreate, runDelete, type CreateArgs, type DeleteArgs } from "./cluster.js";

export const VERSION = "0.1.0";

export async function runCli(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  let code = 0;
  try {
    await yargs(argv)
      .scriptName("minicluster")
      .usage("$0 <command> [options]\n\nA real multi-node Kubernetes-style cluster on your machine, in seconds.")
      .option("verbose", { alias: "v", type: "boolean", describe: "Show stack traces and debug output" })
      .command<CreateArgs>("create", "Create a cluster of Docker containers (one per node) and merge its kubeconfig", createCommand, async (a) => {
        await runCreate(a);
      })
      .command<DeleteArgs>("delete", "Delete a cluster: its containers, volumes, network and kubeconfig entries", deleteCommand, async (a) => {
        await runDelete(a);
      })
      .command("get", "Show clusters, nodes or a kubeconfig", getCommand)
      .command("export", "Export a cluster's kubeconfig or logs", exportCommand)
      .command("build", "Build the node image into the local Docker engine", buildCommand)
      .command("load", "Load images into a cluster's nodes (from the local Docker engine or a docker save archive)", loadCommand)
      .command<ServerArgs>("server", "Run the control plane (store + API server) in the foreground", serverCommand, async (a) => {
        await runServer(a);
      })
      // Hidden: the node side of `load` (run through docker exec), not for users.
      .command("image", false, imageCommand)
      // Hidden: the node container's entrypoint, not for users.
      .command<NodeArgs>("node", false, nodeCommand, async (a) => {
        await runNodeCommand(a);
      })
      .demandCommand(1, "Tell me what to do: run `minicluster --help` for the commands.")
      .strict()
      .version(VERSION)
      .help()
      .fail((msg, err) => {
        if (err) throw err;
        throw new UsageError(msg);
      })
      .parseAsync();
  } catch (err) {
    process.stderr.write(`minicluster: ${describeError(err, verbose)}\n`);
    code = exitCodeOf(err);
  }
  return code;
}
