// The command line: yargs commands, each a thin layer over a library function.

import yargs, { type Argv } from "yargs";
import { describeError, exitCodeOf, UsageError } from "./errors.js";

export const VERSION = "0.1.0";

/**
 * Every command, with the module that defines it loaded only when that command runs: the bundle
 * initialises a module on first import, so `minicluster server` never loads the Docker client
 * and `minicluster create` never loads the control plane.
 */
interface CommandEntry {
  name: string;
  /** false hides it from --help (internal commands). */
  describe: string | false;
  /** Loads the command's module and adds the command's full definition. */
  define: (y: Argv, describe: string | false) => Promise<Argv>;
}

const COMMANDS: CommandEntry[] = [
  {
    name: "create",
    describe: "Create a cluster of Docker containers (one per node) and merge its kubeconfig",
    define: async (y, d) => {
      const m = await import("./cluster.js");
      return y.command<import("./cluster.js").CreateArgs>("create", d as string, m.createCommand, (a) => m.runCreate(a));
    },
  },
  {
    name: "delete",
    describe: "Delete a cluster: its containers, volumes, network and kubeconfig entries",
    define: async (y, d) => {
      const m = await import("./cluster.js");
      return y.command<import("./cluster.js").DeleteArgs>("delete", d as string, m.deleteCommand, (a) => m.runDelete(a));
    },
  },
  { name: "get", describe: "Show clusters, nodes or a kubeconfig", define: async (y, d) => y.command("get", d as string, (await import("./cluster.js")).getCommand) },
  { name: "export", describe: "Export a cluster's kubeconfig or logs", define: async (y, d) => y.command("export", d as string, (await import("./cluster.js")).exportCommand) },
  { name: "build", describe: "Build the node image into the local Docker engine", define: async (y, d) => y.command("build", d as string, (await import("./build.js")).buildCommand) },
  {
    name: "load",
    describe: "Load images into a cluster's nodes (from the local Docker engine or a docker save archive)",
    define: async (y, d) => y.command("load", d as string, (await import("./load.js")).loadCommand),
  },
  {
    name: "server",
    describe: "Run the control plane (store + API server) in the foreground",
    define: async (y, d) => {
      const m = await import("./server.js");
      return y.command<import("./server.js").ServerArgs>("server", d as string, m.serverCommand, (a) => m.runServer(a));
    },
  },
  // Hidden: the node side of `load` (run through docker exec).
  { name: "image", describe: false, define: async (y) => y.command("image", false, (await import("./image.js")).imageCommand) },
  // Hidden: the node container's entrypoint.
  {
    name: "node",
    describe: false,
    define: async (y) => {
      const m = await import("./node.js");
      return y.command<import("./node.js").NodeArgs>("node", false, m.nodeCommand, (a) => m.runNodeCommand(a));
    },
  },
];

export async function runCli(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  let code = 0;
  try {
    let y: Argv = yargs(argv)
      .scriptName("minicluster")
      .usage("$0 <command> [options]\n\nA real multi-node Kubernetes-style cluster on your machine, in seconds.")
      .option("verbose", { alias: "v", type: "boolean", describe: "Show stack traces and debug output" });
    const wanted = argv.find((a) => !a.startsWith("-"));
    for (const c of COMMANDS) {
      // The command being run gets its real definition; the others only a line in --help.
      y = c.name === wanted ? await c.define(y, c.describe) : y.command(c.name, c.describe as string);
    }
    await y
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
