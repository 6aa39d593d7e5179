// Entry point of the `minicluster` executable (CLI, control plane and node agent alike).

// First, before other modules allocate: V8 heap settings when the command is `server`.
import "./controlplane/heap-tuning.js";
import { nodeMain, parseNodeArgs } from "./node/main.js";

// `minicluster node` (a node container's process) loads only what a node runs (src/node/main.ts);
// every other command loads the CLI. Dynamic imports: the bundle initialises a module on first use.
const argv = process.argv.slice(2);
const nodeArgs = parseNodeArgs(argv);
// `minicluster image ...` (the node side of `load`, one process per node) and `minicluster relay`
// (port-forward into a pod's network namespace, one process per connection) skip the CLI too.
const run = nodeArgs
  ? nodeMain(nodeArgs)
  : argv[0] === "image"
    ? import("./cli/image.js").then((m) => m.runImageCli(argv))
    : argv[0] === "relay"
      ? import("./kubelet/server/pod-dial.js").then((m) => m.runRelay(argv.slice(1)))
      : import("./cli/index.js").then((m) => m.runCli(argv));
void run.then((code) => {
  if (code !== 0) process.exitCode = code;
});
