// The node's image store on archives from the real `docker save` of the test images (legacy
// layout, as this engine writes it, and the same rewritten into the OCI layout of Docker ≥ 25):
// the layers mounted with overlayfs show the image's files, whiteouts and opaque directories.
import { execFileSync, spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageStore, type ImageRecord } from "../../src/kubelet/images/index.js";
import { docker } from "../test-utils/e2e.js";
import { ensureTestImage, toOciLayout, type TestImages } from "../test-utils/images.js";

let images: TestImages;
let tmp: string;
let legacy: Buffer;

async function save(name: string): Promise<Buffer> {
  const stream = await docker.getImage(name).get();
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  images = await ensureTestImage(docker);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "mctest-images-"));
  legacy = await save(images.app);
});

afterAll(async () => {
  if (tmp) {
    for (const m of await fs.readdir(tmp).catch(() => [])) spawnSync("umount", [path.join(tmp, m, "rootfs")], { stdio: "ignore" });
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

/** Mounts the layers read-only with overlayfs (as the kubelet's rootfs will) and returns the mount point. */
async function mount(rec: ImageRecord, name: string): Promise<string> {
  const dir = path.join(tmp, name, "rootfs");
  await fs.mkdir(dir, { recursive: true });
  const lower = [...rec.layers].reverse().join(":");
  execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${lower}`, dir]);
  return dir;
}

describe.each(["legacy", "oci"] as const)("docker save archive, %s layout", (layout) => {
  let rec: ImageRecord;
  let rootfs: string;

  beforeAll(async () => {
    const archive = layout === "legacy" ? legacy : await toOciLayout(legacy);
    const store = new ImageStore({ root: path.join(tmp, `store-${layout}`) });
    const recs = await store.importArchive(Readable.from([archive]));
    expect(recs).toHaveLength(1);
    rec = recs[0]!;
    rootfs = await mount(rec, layout);
  });

  afterAll(() => {
    if (rootfs) spawnSync("umount", [rootfs]);
  });

  it("records the image as Docker knows it", async () => {
    const info = await docker.getImage(images.app).inspect();
    expect(rec.id).toBe(info.Id);
    expect(rec.repoTags).toEqual(["docker.io/mctest/app:1"]);
    expect(rec.diffIds).toEqual(info.RootFS.Layers);
    expect(rec.config).toEqual({
      entrypoint: ["/bin/sh", "-c"],
      cmd: ["echo $GREETING from $(pwd)"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello", "APP_MODE=test"],
      workingDir: "/app",
      user: "1000:1000",
    });
    expect(rec.size).toBeGreaterThan(1_900_000);
  });

  it("gives the image's file system through overlayfs: whiteouts hide, opaque directories replace", async () => {
    const ls = async (p: string) => (await fs.readdir(path.join(rootfs, p))).sort();
    expect(await fs.readFile(path.join(rootfs, "app/hello.txt"), "utf8")).toBe("hello from mctest/app\n");
    expect(await ls("app/data")).toEqual(["new.txt"]); // old.txt of the lower layer is hidden
    await expect(fs.lstat(path.join(rootfs, "etc/removed.txt"))).rejects.toThrow(/ENOENT/);
    await expect(fs.lstat(path.join(rootfs, "usr/bin/wc"))).rejects.toThrow(/ENOENT/); // from the base layer
    expect(await fs.readlink(path.join(rootfs, "usr/bin/head"))).toBe("/bin/busybox");
    expect(await fs.readFile(path.join(rootfs, "opt/keep/k.txt"), "utf8")).toBe("kept\n");
    const hello = await fs.stat(path.join(rootfs, "app/hello.txt"));
    expect(hello.mode & 0o7777).toBe(0o4755);
    expect((await fs.stat(path.join(rootfs, "app/hello-hard.txt"))).ino).toBe(hello.ino);
    expect(await fs.readlink(path.join(rootfs, "app/hello-sym.txt"))).toBe("hello.txt");
    const data = await fs.stat(path.join(rootfs, "app/data"));
    expect([data.uid, data.gid]).toEqual([1000, 1000]);
    expect(execFileSync(path.join(rootfs, "bin/busybox"), ["cat", path.join(rootfs, "app/data/new.txt")], { encoding: "utf8" })).toBe("new\n");
  });
});
