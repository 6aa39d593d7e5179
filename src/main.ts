// Entry point of the `minicluster` executable (CLI, control plane and node agent alike).

import { runCli } from "./cli/index.js";

void runCli(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exitCode = code;
});
