// `minicluster build node-image [--image TAG]`: builds the node image into the local Docker engine
// (no registry). Progress goes to stderr as plain lines; the image tag is printed on stdout.

import type { Argv } from "yargs";
import { ensureNodeImage, isValidImageRef, resolveMiniclusterExecutable } from "../nodeimage/index.js";
import { connectDocker } from "../provision/docker/engine.js";
import { UsageError } from "./errors.js";

export interface BuildNodeImageArgs {
  image?: string;
}

export function nodeImageCommand(y: Argv): Argv<BuildNodeImageArgs> {
  return y
    .option("image", { type: "string", describe: "Also tag the image as TAG (default: minicluster/node:<hash of recipe and executable>)" })
    .check((a) => {
      if (a.image !== undefined && !isValidImageRef(a.image)) throw new UsageError(`--image: ${JSON.stringify(a.image)} is not a valid image name (repo[:tag])`);
      return true;
    }) as unknown as Argv<BuildNodeImageArgs>;
}

/** The `build` command's builder: its subcommands. */
export function buildCommand(y: Argv): Argv {
  return y
    .command<BuildNodeImageArgs>(
      "node-image",
      "Build the node image (Debian + runc, iptables, iproute2 and this executable) into the local Docker engine; a no-op when it is up to date",
      nodeImageCommand,
      async (a) => {
        await runBuildNodeImage(a);
      },
    )
    .demandCommand(1, "Tell me what to build: `minicluster build node-image`.");
}

export async function runBuildNodeImage(
  args: BuildNodeImageArgs,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const executable = resolveMiniclusterExecutable();
  const docker = await connectDocker();
  const r = await ensureNodeImage({ docker, executable, tag: args.image, onProgress: progress });
  const size = `${(r.size / 1e6).toFixed(0)} MB`;
  progress(r.built ? `node image ${r.tag} built in ${(r.ms / 1000).toFixed(1)} s (${size})` : `node image ${r.tag} is up to date (${size}, checked in ${(r.ms / 1000).toFixed(1)} s)`);
  out(r.tag);
}
