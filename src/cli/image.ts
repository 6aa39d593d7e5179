// `minicluster image import [-|FILE]` and `minicluster image list [--json]` (hidden): the node side
// of `minicluster load`, run inside a node container through `docker exec`. Import reads a
// `docker save` archive and prints what it imported as JSON on stdout.

import fs from "node:fs";
import path from "node:path";
import yargs, { type Argv } from "yargs";
import { ImageStore, NotAnArchiveError, type ImageRecord } from "../kubelet/images/index.js";
import { defaultRoot, nodePaths } from "../node/paths.js";
import { describeError, exitCodeOf, UsageError } from "./errors.js";

type Out = (text: string) => void;
const stdout: Out = (t) => process.stdout.write(t);

interface CommonArgs {
  root?: string;
}

export interface ImageImportArgs extends CommonArgs {
  file: string;
}

export interface ImageListArgs extends CommonArgs {
  json: boolean;
}

/** What `image import` and `image list --json` print per image. */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  size: number;
}

const rootOption = { type: "string", hidden: true, describe: "Root of var/lib/minicluster (default $MINICLUSTER_ROOT or /)" } as const;

function storeOf(args: CommonArgs): ImageStore {
  return new ImageStore({ root: path.join(nodePaths(args.root ?? defaultRoot()).stateDir, "images") });
}

function summary(r: ImageRecord): ImageSummary {
  return { id: r.id, repoTags: r.repoTags, size: r.size };
}

export function imageCommand(y: Argv): Argv {
  return y
    .command<ImageImportArgs>(
      "import [file]",
      "Import a docker save archive (from FILE, or stdin with -) into this node's image store",
      (yy) => yy.positional("file", { type: "string", default: "-" }).option("root", rootOption) as unknown as Argv<ImageImportArgs>,
      async (a) => {
        await runImageImport(a);
      },
    )
    .command<ImageListArgs>(
      "list",
      "List this node's images",
      (yy) => yy.option("json", { type: "boolean", default: false, describe: "As JSON" }).option("root", rootOption) as unknown as Argv<ImageListArgs>,
      async (a) => {
        await runImageList(a);
      },
    )
    .demandCommand(1, "image what? import or list");
}

export async function runImageImport(args: ImageImportArgs, out: Out = stdout): Promise<void> {
  let input: NodeJS.ReadableStream;
  if (args.file === "-") input = process.stdin;
  else {
    if (!fs.existsSync(args.file)) throw new UsageError(`${args.file}: no such file`);
    input = fs.createReadStream(args.file);
  }
  try {
    const records = await storeOf(args).importArchive(input);
    out(`${JSON.stringify(records.map(summary))}\n`);
  } catch (err) {
    if (err instanceof NotAnArchiveError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runImageList(args: ImageListArgs, out: Out = stdout): Promise<void> {
  const images = await storeOf(args).list();
  if (args.json) {
    out(`${JSON.stringify(images.map(summary))}\n`);
    return;
  }
  const rows = [["IMAGE", "ID", "SIZE"]];
  for (const i of images) {
    const id = i.id.replace(/^sha256:/, "").slice(0, 12);
    const size = `${(i.size / 1e6).toFixed(1)}MB`;
    if (i.repoTags.length === 0) rows.push(["<none>", id, size]);
    for (const t of i.repoTags) rows.push([t, id, size]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  out(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 3)).join("").trimEnd()).join("\n") + "\n");
}

/**
 * `minicluster image ...` without the rest of the CLI: src/main.ts runs it directly, so the node
 * side of `load` (one process per node and load) does not load the cluster commands first.
 */
export async function runImageCli(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  try {
    await yargs(argv)
      .scriptName("minicluster")
      .option("verbose", { alias: "v", type: "boolean", hidden: true })
      .command("image", false, imageCommand)
      .demandCommand(1)
      .strict()
      .help()
      .fail((msg, err) => {
        if (err) throw err;
        throw new UsageError(msg);
      })
      .parseAsync();
    return 0;
  } catch (err) {
    process.stderr.write(`minicluster: ${describeError(err, verbose)}\n`);
    return exitCodeOf(err);
  }
}
