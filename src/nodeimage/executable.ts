// Which minicluster executable goes into the node image: the running one when we are the single
// executable, else (development, tests under tsx/vitest) the repository's dist/minicluster.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export function isSingleExecutable(): boolean {
  try {
    const sea = createRequire(import.meta.url)("node:sea") as { isSea(): boolean };
    return sea.isSea();
  } catch {
    return false;
  }
}

/** The repository's dist/minicluster (this file is src/nodeimage/executable.ts). */
export function repoExecutablePath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/minicluster");
}

export function resolveMiniclusterExecutable(opts: { sea?: boolean; execPath?: string; repoExecutable?: string } = {}): string {
  if (opts.sea ?? isSingleExecutable()) return opts.execPath ?? process.execPath;
  const exe = opts.repoExecutable ?? repoExecutablePath();
  if (!fs.existsSync(exe)) {
    throw new Error(`${exe} does not exist: the node image carries the single executable, run \`npm run build\` first`);
  }
  return exe;
}
