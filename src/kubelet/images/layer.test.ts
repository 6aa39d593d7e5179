import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { extract } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tarOf } from "./fixtures.js";
import { applyWhiteouts, extractLayer, isGzip, looksLikeTar, peek, scanLayer, whiteoutAction } from "./layer.js";

describe("whiteoutAction", () => {
  it.each([
    ["etc/passwd", { kind: "keep" }],
    ["./etc/", { kind: "keep" }],
    ["etc/.wh.removed.txt", { kind: "whiteout", target: "etc/removed.txt" }],
    ["./.wh.top", { kind: "whiteout", target: "top" }],
    ["/a/b/.wh.c", { kind: "whiteout", target: "a/b/c" }],
    ["app/data/.wh..wh..opq", { kind: "opaque", dir: "app/data" }],
    [".wh..wh..opq", { kind: "opaque", dir: "" }],
    [".wh..wh.plnk/123", { kind: "keep" }],
    ["x/.wh..wh.aufs", { kind: "drop" }],
    ["x/.wh.", { kind: "drop" }],
    ["x/.wh...", { kind: "drop" }],
    ["x/not.wh.file", { kind: "keep" }],
  ])("%s", (name, want) => expect(whiteoutAction(name)).toEqual(want));
});

describe("format sniffing", () => {
  it("recognises tar, gzip and rejects other bytes", async () => {
    const tar = await tarOf([{ name: "a", body: "x" }]);
    expect(looksLikeTar(tar.subarray(0, 512))).toBe(true);
    expect(looksLikeTar(Buffer.alloc(512))).toBe(false);
    expect(looksLikeTar(Buffer.from("root:x:0:0:root:/root:/bin/sh\n".repeat(40)))).toBe(false);
    expect(looksLikeTar(tar.subarray(0, 100))).toBe(false);
    expect(isGzip(gzipSync(tar))).toBe(true);
    expect(isGzip(tar)).toBe(false);
  });

  it("peek gives the head and a stream of everything", async () => {
    const src = Readable.from([Buffer.from("ab"), Buffer.from("cdef"), Buffer.from("g")]);
    const { head, stream } = await peek(src, 3);
    expect(head.toString()).toBe("abc");
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("abcdefg");
    const short = await peek(Readable.from([Buffer.from("x")]), 10);
    expect(short.head.toString()).toBe("x");
  });
});

async function entriesOf(tar: Buffer): Promise<Array<{ name: string; type: string; devmajor: number; devminor: number; pax: Record<string, string> | null; body: string }>> {
  const out: Array<{ name: string; type: string; devmajor: number; devminor: number; pax: Record<string, string> | null; body: string }> = [];
  const ex = extract();
  const done = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e as unknown as AsyncIterable<Buffer>) chunks.push(c);
      const h = e.header;
      out.push({ name: h.name, type: h.type, devmajor: h.devmajor, devminor: h.devminor, pax: (h.pax as Record<string, string> | null) ?? null, body: Buffer.concat(chunks).toString() });
    }
  })();
  ex.end(tar);
  await done;
  return out;
}

async function scanOf(tar: Buffer, chunk = 700) {
  const { sink, result } = scanLayer();
  for (let i = 0; i < tar.length; i += chunk) sink.write(tar.subarray(i, i + chunk));
  sink.end();
  return result;
}

describe("scanLayer", () => {
  it("notes whiteouts, opaque markers, AUFS entries and the content size, in chunks of any size", async () => {
    const layer = await tarOf([
      { name: "app/", type: "directory", mode: 0o750, uid: 7 },
      { name: "app/data/", type: "directory" },
      { name: "app/data/.wh..wh..opq", body: "" },
      { name: "app/data/new.txt", body: "new" },
      { name: "./etc/.wh.removed.txt", body: "" },
      { name: "x/.wh..wh.aufs", body: "" },
      { name: "bin/sh", type: "symlink", linkname: "busybox" },
      { name: `${"long/".repeat(30)}.wh.gone`, body: "" },
      { name: ".wh..wh..opq", body: "" },
      { name: "big", body: Buffer.alloc(5000, 1) },
    ]);
    for (const chunk of [1, 511, 700, 1 << 20]) {
      expect(await scanOf(layer, chunk)).toEqual({
        whiteouts: [
          { entry: "etc/.wh.removed.txt", target: "etc/removed.txt" },
          { entry: `${"long/".repeat(30)}.wh.gone`, target: `${"long/".repeat(30)}gone` },
        ],
        opaque: [
          { entry: "app/data/.wh..wh..opq", dir: "app/data" },
          { entry: ".wh..wh..opq", dir: "" },
        ],
        drops: ["x/.wh..wh.aufs"],
        size: 5003,
      });
    }
  });

  it("fails on what is not a tar stream", async () => {
    await expect(scanOf(Buffer.alloc(1024, 7))).rejects.toThrow();
  });
});

const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)("extractLayer (as root, GNU tar)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "mc-layer-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const layerEntries = [
    { name: "app/", type: "directory" as const, mode: 0o755 },
    { name: "app/data/", type: "directory" as const, mode: 0o700, uid: 1000, gid: 1000 },
    { name: "app/data/.wh..wh..opq", body: "" },
    { name: "app/data/f", body: "hello", mode: 0o4755, uid: 1000, gid: 1001 },
    { name: "app/hard", type: "link" as const, linkname: "app/data/f" },
    { name: "app/sym", type: "symlink" as const, linkname: "data/f" },
    { name: "etc/", type: "directory" as const },
    { name: "etc/.wh.gone", body: "" },
    { name: "dev/", type: "directory" as const },
    { name: "dev/null", type: "character-device" as const, devmajor: 1, devminor: 3, mode: 0o666 },
  ];

  it("extracts owners, modes, links and devices, whiteouts and opaque directories in overlayfs form", async () => {
    const layer = await tarOf(layerEntries);
    const r = await extractLayer(Readable.from([layer]), dir);
    expect(r.diffId).toBe(`sha256:${(await import("node:crypto")).createHash("sha256").update(layer).digest("hex")}`);
    expect(r.size).toBe(5);
    const f = await fs.stat(path.join(dir, "app/data/f"));
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1000, 1001, 0o4755]);
    expect((await fs.stat(path.join(dir, "app/hard"))).ino).toBe(f.ino);
    expect(await fs.readlink(path.join(dir, "app/sym"))).toBe("data/f");
    const d = await fs.stat(path.join(dir, "app/data"));
    expect([d.uid, d.mode & 0o7777]).toEqual([1000, 0o700]);
    const wh = await fs.lstat(path.join(dir, "etc/gone"));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    await expect(fs.lstat(path.join(dir, "etc/.wh.gone"))).rejects.toThrow(/ENOENT/);
    await expect(fs.lstat(path.join(dir, "app/data/.wh..wh..opq"))).rejects.toThrow(/ENOENT/);
    expect((await fs.lstat(path.join(dir, "dev/null"))).isCharacterDevice()).toBe(true);
    // Read the xattrs back with GNU tar.
    const listed = execFileSync("tar", ["--xattrs", "--xattrs-include=trusted.*", "-cf", "-", "-C", dir, "--no-recursion", "app/data", "app"]);
    const entries = await entriesOf(listed);
    expect(entries.find((e) => e.name === "app/data/")?.pax).toMatchObject({ "SCHILY.xattr.trusted.overlay.opaque": "y" });
    expect(entries.find((e) => e.name === "app/")?.pax?.["SCHILY.xattr.trusted.overlay.opaque"]).toBeUndefined();
  });

  it("keeps a file the layer holds beside its own whiteout, converts whiteouts under long names, removes AUFS entries", async () => {
    const long = "deep/".repeat(30);
    const layer = await tarOf([
      { name: "etc/", type: "directory" },
      { name: "etc/.wh.same", body: "" },
      { name: "etc/same", body: "kept" },
      { name: `${long}.wh.gone`, body: "" },
      { name: ".wh..wh.plnk/", type: "directory" },
      { name: ".wh..wh.plnk/1", body: "aufs" },
      { name: ".wh..wh..opq", body: "" },
      { name: "x/.wh..wh.aufs", body: "" },
    ]);
    const r = await extractLayer(Readable.from([layer]), dir);
    expect(r.size).toBe(8);
    expect(await fs.readFile(path.join(dir, "etc/same"), "utf8")).toBe("kept");
    await expect(fs.lstat(path.join(dir, "etc/.wh.same"))).rejects.toThrow(/ENOENT/);
    expect((await fs.lstat(path.join(dir, long, "gone"))).isCharacterDevice()).toBe(true);
    await expect(fs.lstat(path.join(dir, long, ".wh.gone"))).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(path.join(dir, "x"))).toEqual([]);
    expect(await fs.readFile(path.join(dir, ".wh..wh.plnk/1"), "utf8")).toBe("aufs");
    await expect(fs.lstat(path.join(dir, ".wh..wh..opq"))).rejects.toThrow(/ENOENT/);
    const listed = execFileSync("tar", ["--xattrs", "--xattrs-include=trusted.*", "-cf", "-", "-C", dir, "--no-recursion", "."]);
    expect((await entriesOf(listed))[0]?.pax).toMatchObject({ "SCHILY.xattr.trusted.overlay.opaque": "y" });
  });

  it("does not follow a symbolic link out of the layer when converting whiteouts", async () => {
    const outside = path.join(dir, "outside");
    const dest = path.join(dir, "layer");
    await fs.mkdir(outside);
    await fs.mkdir(dest);
    await fs.writeFile(path.join(outside, ".wh.victim"), "");
    await fs.symlink(outside, path.join(dest, "lnk"));
    await applyWhiteouts(dest, { whiteouts: [{ entry: "lnk/.wh.victim", target: "lnk/victim" }, { entry: "../outside/.wh.victim", target: "../outside/victim" }], opaque: [], drops: [], size: 0 });
    expect(await fs.readdir(outside)).toEqual([".wh.victim"]);
  });

  it("hashes the uncompressed tar of a gzipped layer", async () => {
    const layer = await tarOf([{ name: "a", body: "x" }]);
    const plain = await extractLayer(Readable.from([layer]), dir);
    const dir2 = path.join(dir, "2");
    await fs.mkdir(dir2);
    const gz = await extractLayer(Readable.from([gzipSync(layer)]), dir2);
    expect(gz.diffId).toBe(plain.diffId);
    expect(await fs.readFile(path.join(dir2, "a"), "utf8")).toBe("x");
  });

  it("fails on a corrupt layer", async () => {
    await expect(extractLayer(Readable.from([Buffer.alloc(1024, 7)]), dir)).rejects.toThrow();
  });
});
