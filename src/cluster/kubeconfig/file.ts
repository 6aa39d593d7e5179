// Reading and writing kubeconfig files. Writes are atomic (temp file + rename) with mode 0600,
// since the file holds a private key; a symlinked kubeconfig is written through to its target so
// the link survives.
import { promises as fs } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { readOptional, writeFileAtomic } from "../../controlplane/pki/files.js";
import { emptyKubeconfig, type Kubeconfig } from "./types.js";

/**
 * Parses kubeconfig text. Empty text is an empty config (kubectl treats an empty file so); missing
 * lists or `null` lists become empty arrays; unknown fields are kept.
 */
export function parseKubeconfig(text: string, source = "kubeconfig"): Kubeconfig {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (cause) {
    throw new Error(`parsing ${source}`, { cause });
  }
  if (doc === null || doc === undefined) return emptyKubeconfig();
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${source}: not a kubeconfig (top level is not a mapping)`);
  const raw = doc as Record<string, unknown>;
  const list = (key: "clusters" | "users" | "contexts") => {
    const value = raw[key];
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw new Error(`${source}: "${key}" is not a list`);
    return value;
  };
  const current = raw["current-context"];
  return {
    ...emptyKubeconfig(),
    ...raw,
    apiVersion: "v1",
    kind: "Config",
    clusters: list("clusters"),
    users: list("users"),
    contexts: list("contexts"),
    "current-context": typeof current === "string" ? current : "",
    preferences: (raw.preferences as Record<string, unknown> | null | undefined) ?? {},
  };
}

export function stringifyKubeconfig(cfg: Kubeconfig): string {
  // lineWidth 0: never fold the long base64 strings across lines (valid YAML, but hard to read/grep).
  return YAML.stringify(cfg, { lineWidth: 0 });
}

/** The kubeconfig at `file`, or an empty one when the file does not exist. */
export async function readKubeconfig(file: string): Promise<Kubeconfig> {
  const text = await readOptional(file);
  return text === undefined ? emptyKubeconfig() : parseKubeconfig(text, file);
}

/** Where writes to `file` must land: the final target if it is a symlink, else the path itself. */
async function writeTarget(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return file;
    throw err;
  }
}

export async function writeKubeconfig(file: string, cfg: Kubeconfig): Promise<void> {
  const target = await writeTarget(file);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  await writeFileAtomic(target, stringifyKubeconfig(cfg), 0o600);
}
