// A container's root filesystem: an overlay of the image's layers (read-only, shared by every
// container of the image) with the container's own upper and work dirs in `dir`. Always an
// overlay, even for one layer: the extracted layers must stay pristine. `dir` must be on a
// filesystem that can hold an overlay's upper dir — in a node container that is the /var volume,
// not the container's own overlay root.

import { mkdir, rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { isMountPoint, mount, unmount } from "./mounts.js";

/** The kernel copies mount data into one page; leave room for the rest of the options. */
const MAX_OPTIONS = 4000;

/** The overlay options: lowerdir lists the TOP layer first, so the layers (lowest first) are reversed. */
export function overlayOptions(layers: readonly string[], upper: string, work: string): string {
  return `lowerdir=${[...layers].reverse().join(":")},upperdir=${upper},workdir=${work}`;
}

function commonParent(paths: readonly string[]): string {
  let parent = dirname(paths[0]);
  while (!paths.every((p) => p.startsWith(parent === "/" ? "/" : parent + "/"))) parent = dirname(parent);
  return parent;
}

/** Mounts the overlay at `dir`/rootfs (idempotent) and returns that path. */
export async function mountRootfs(layers: readonly string[], dir: string): Promise<string> {
  const rootfs = join(dir, "rootfs");
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  if (await isMountPoint(rootfs)) return rootfs;
  await Promise.all([rootfs, upper, work].map((d) => mkdir(d, { recursive: true })));
  let lowers = [...layers];
  if (lowers.length === 0) {
    // overlayfs needs a lower dir; an image without layers is an empty one.
    const empty = join(dir, "empty");
    await mkdir(empty, { recursive: true });
    lowers = [empty];
  }
  const opts = overlayOptions(lowers, upper, work);
  if (opts.length <= MAX_OPTIONS) {
    await mount("overlay", "overlay", rootfs, [opts]);
  } else {
    // Many layers: relative paths from their common parent keep the options short.
    const cwd = commonParent([...lowers, upper, work]);
    const rel = (p: string): string => relative(cwd, p) || ".";
    const short = overlayOptions(lowers.map(rel), rel(upper), rel(work));
    if (short.length > MAX_OPTIONS) throw new Error(`mounting rootfs of ${dir}: ${lowers.length} layers are too many for one overlay mount`);
    await mount("overlay", "overlay", rootfs, [short], cwd);
  }
  return rootfs;
}

/** Unmounts the overlay and removes rootfs, upper and work (the rest of `dir` stays). Idempotent. */
export async function unmountRootfs(dir: string): Promise<void> {
  const rootfs = join(dir, "rootfs");
  await unmount(rootfs);
  await Promise.all(["rootfs", "upper", "work", "empty"].map((d) => rm(join(dir, d), { recursive: true, force: true })));
}
