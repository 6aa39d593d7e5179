// The node image recipe and the pure parts of building it: tags and hashes, the debootstrap
// command line, which paths the trim removes, and the Dockerfile of the node layer.
//
// The recipe lives in images/node/recipe.json and is bundled into the executable (the single
// executable has no repository beside it), so `minicluster build node-image` works anywhere.

import { createHash } from "node:crypto";
import recipeJson from "../../images/node/recipe.json" with { type: "json" };

export interface NodeImageRecipe {
  version: number;
  suite: string;
  variant: string;
  components: string[];
  packages: string[];
  /** Paths (relative to the root filesystem, `*` = one path segment) removed from the base. */
  trim: string[];
  /** Paths under a trimmed one that stay. */
  keep: string[];
  /** Files truncated to empty (Docker provides their content at run time). */
  empty: string[];
}

export const NODE_RECIPE: NodeImageRecipe = {
  version: recipeJson.version,
  suite: recipeJson.suite,
  variant: recipeJson.variant,
  components: recipeJson.components,
  packages: recipeJson.packages,
  trim: recipeJson.trim,
  keep: recipeJson.keep,
  empty: recipeJson.empty,
};

export const NODE_IMAGE_REPO = "minicluster/node";
export const NODE_BASE_REPO = "minicluster/node-base";
export const NODE_EXECUTABLE_PATH = "/usr/local/bin/minicluster";
export const LABEL_IMAGE = "io.minicluster.image";
export const LABEL_RECIPE_HASH = "io.minicluster.recipe-hash";
const HASH_LEN = 12;

/** Debian's name for a Node.js architecture (what debootstrap installs). */
export function debianArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "armhf", ia32: "i386", ppc64: "ppc64el", s390x: "s390x", riscv64: "riscv64" };
  const arch = map[nodeArch];
  if (!arch) throw new Error(`no Debian architecture for ${nodeArch}`);
  return arch;
}

/** Hash of everything that determines the base root filesystem (not the mirror: any mirror serves the same suite). */
export function baseRecipeHash(recipe: NodeImageRecipe = NODE_RECIPE, arch: string = debianArch()): string {
  const canonical = JSON.stringify({ ...canonicalRecipe(recipe), arch });
  return createHash("sha256").update(canonical).digest("hex").slice(0, HASH_LEN);
}

function canonicalRecipe(r: NodeImageRecipe): NodeImageRecipe {
  return {
    version: r.version,
    suite: r.suite,
    variant: r.variant,
    components: [...r.components],
    packages: [...r.packages].sort(),
    trim: [...r.trim],
    keep: [...r.keep],
    empty: [...r.empty],
  };
}

export function baseImageTag(recipe: NodeImageRecipe = NODE_RECIPE, arch: string = debianArch()): string {
  return `${NODE_BASE_REPO}:${baseRecipeHash(recipe, arch)}`;
}

/**
 * glibc's malloc, by default, raises its trim threshold to twice the largest block it has freed
 * back from mmap: after start-up (reading and compiling the bundled script) it then keeps ~23 MB
 * of freed memory in the process for good. Fixed thresholds (glibc's own defaults, 128 KiB) give
 * that back; a worker's kubelet goes from ~45 to ~22 MiB of anonymous memory (`npm run bench -- pods`).
 */
export const NODE_GLIBC_TUNABLES = "glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072";

/** The Dockerfile of the node layer: the base plus the executable, the entrypoint and the labels. */
export function nodeDockerfile(baseTag: string, hash: string): string {
  return [
    `FROM ${baseTag}`,
    `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    `ENV GLIBC_TUNABLES=${NODE_GLIBC_TUNABLES}`,
    `COPY minicluster ${NODE_EXECUTABLE_PATH}`,
    `LABEL ${LABEL_IMAGE}=node ${LABEL_RECIPE_HASH}=${hash}`,
    `STOPSIGNAL SIGTERM`,
    `ENTRYPOINT ["${NODE_EXECUTABLE_PATH}", "node"]`,
    ``,
  ].join("\n");
}

/**
 * Starts the node image hash: the base tag and the Dockerfile (rendered with a placeholder, as
 * the hash goes into its own label). The caller feeds the executable's bytes into the result
 * and calls `nodeImageHashDigest`.
 */
export function nodeImageHasher(baseTag: string): ReturnType<typeof createHash> {
  return createHash("sha256").update(`minicluster node image\n${baseTag}\n${nodeDockerfile(baseTag, "HASH")}\n`);
}

export function nodeImageHashDigest(h: ReturnType<typeof createHash>): string {
  return h.digest("hex").slice(0, HASH_LEN);
}

/** The node image hash for in-memory executable bytes (tests; the builder streams the file). */
export function nodeImageHash(baseTag: string, executable: Uint8Array): string {
  return nodeImageHashDigest(nodeImageHasher(baseTag).update(executable));
}

export function nodeImageTag(hash: string): string {
  return `${NODE_IMAGE_REPO}:${hash}`;
}

/** Splits `repo[:tag]` (a registry host with a port stays in the repo); the tag defaults to latest. */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: "latest" };
}

/** Whether `ref` is a valid image reference to tag with (name[:tag], no digest). */
export function isValidImageRef(ref: string): boolean {
  const { repo, tag } = splitImageRef(ref);
  const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  const host = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?";
  const repoRe = new RegExp(`^${host}${component}(?:/${component})*$`);
  return repoRe.test(repo) && repo.length <= 255 && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

/** debootstrap's arguments for a root filesystem in `target`. */
export function debootstrapArgs(recipe: NodeImageRecipe, target: string, mirror: { uri: string; keyring?: string }, arch: string = debianArch()): string[] {
  return [
    `--variant=${recipe.variant}`,
    `--arch=${arch}`,
    `--components=${recipe.components.join(",")}`,
    `--include=${recipe.packages.join(",")}`,
    ...(mirror.keyring ? [`--keyring=${mirror.keyring}`] : []),
    recipe.suite,
    target,
    mirror.uri,
  ];
}

function segmentMatches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);
  return re.test(name);
}

/** Whether relative path `rel` matches a glob pattern (`*` = within one segment). */
export function pathMatches(pattern: string, rel: string): boolean {
  const ps = pattern.split("/");
  const rs = rel.split("/");
  return ps.length === rs.length && ps.every((p, i) => segmentMatches(p, rs[i]));
}

/** Whether some keep pattern may match `rel` or something below it (so `rel` must not go wholesale). */
export function keepsBelow(keep: string[], rel: string): boolean {
  const rs = rel.split("/");
  return keep.some((k) => {
    const ks = k.split("/");
    return ks.length >= rs.length && rs.every((r, i) => segmentMatches(ks[i], r));
  });
}
