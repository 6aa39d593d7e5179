import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { legacyArchive, ociArchive, sha256, tarOf } from "./fixtures.js";
import { ImageStore, NotAnArchiveError, RECORDS_FILE, summarizeRecords } from "./store.js";

const asRoot = process.getuid?.() === 0;

const base = await tarOf([
  { name: "bin/", type: "directory" },
  { name: "bin/sh", body: "#!sh", mode: 0o755 },
  { name: "etc/", type: "directory" },
  { name: "etc/removed", body: "x" },
  { name: "data/", type: "directory" },
  { name: "data/old", body: "old" },
]);
const top = await tarOf([
  { name: "etc/", type: "directory" },
  { name: "etc/.wh.removed", body: "" },
  { name: "data/", type: "directory" },
  { name: "data/.wh..wh..opq", body: "" },
  { name: "data/new", body: "new!" },
]);
const config = { Entrypoint: ["/bin/sh"], Cmd: ["-c", "true"], Env: ["A=1"], WorkingDir: "/data", User: "1000" };

describe.skipIf(!asRoot)("ImageStore (as root, GNU tar)", () => {
  let root: string;
  let store: ImageStore;
  let tarCalls: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "mc-images-"));
    // A tar that notes the directory of each run (`-x -f - -C DIR ...`), to see which layers were
    // extracted (a layer with whiteouts has a second run into the same directory).
    tarCalls = path.join(root, "tar-calls");
    const wrapper = path.join(root, "tar.sh");
    await fs.writeFile(wrapper, `#!/bin/sh\necho "$5" >> ${tarCalls}\nexec tar "$@"\n`, { mode: 0o755 });
    store = new ImageStore({ root: path.join(root, "store"), tar: wrapper });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const extractions = async () => new Set((await fs.readFile(tarCalls, "utf8").catch(() => "")).split("\n").filter(Boolean)).size;

  it("imports a legacy archive: record, layers lowest first, overlay whiteouts", async () => {
    const [rec, ...rest] = await store.importArchive(Readable.from([await legacyArchive([{ tags: ["app:1"], layers: [base, top], config }])]));
    expect(rest).toEqual([]);
    expect(rec!.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(rec!.repoTags).toEqual(["docker.io/library/app:1"]);
    expect(rec!.config).toEqual({ entrypoint: ["/bin/sh"], cmd: ["-c", "true"], env: ["A=1"], workingDir: "/data", user: "1000" });
    expect(rec!.diffIds).toEqual([`sha256:${sha256(base)}`, `sha256:${sha256(top)}`]);
    expect(rec!.layers).toEqual([path.join(store.root, "layers", sha256(base)), path.join(store.root, "layers", sha256(top))]);
    expect(rec!.size).toBe(4 + 1 + 3 + 4);
    expect(await fs.readFile(path.join(rec!.layers[0]!, "bin/sh"), "utf8")).toBe("#!sh");
    expect((await fs.lstat(path.join(rec!.layers[1]!, "etc/removed"))).isCharacterDevice()).toBe(true);
    expect(await fs.readFile(path.join(rec!.layers[1]!, "data/new"), "utf8")).toBe("new!");
    expect(await fs.readdir(path.join(store.root, "tmp"))).toEqual([]);
    expect(await store.list()).toEqual([rec]);
    expect(await store.resolve("app:1")).toEqual(rec);
    expect(await store.resolve("docker.io/library/app:1")).toEqual(rec);
    expect(await store.resolve(rec!.id)).toEqual(rec);
    expect(await store.resolve(rec!.id.slice(7, 19))).toEqual(rec);
    expect(await store.resolve("app:2")).toBeUndefined();
    // A second store object on the same root sees the records (they are on disk).
    expect(await new ImageStore({ root: store.root }).resolve("app:1")).toEqual(rec);
  });

  it("imports the OCI layout (Docker ≥ 25) and gzipped layers; known blobs are not extracted again", async () => {
    const [plain] = await store.importArchive(Readable.from([await ociArchive([{ tags: ["registry:5000/app:v1"], layers: [base, top], config }])]));
    expect(plain!.repoTags).toEqual(["registry:5000/app:v1"]);
    expect(await extractions()).toBe(2);
    const [again] = await store.importArchive(Readable.from([await ociArchive([{ tags: ["registry:5000/app:v1"], layers: [base, top], config }])]));
    expect(again).toEqual(plain);
    expect(await extractions()).toBe(2);
    // Gzipped blobs have other digests: extracted once (same diff IDs), then known by alias.
    const gz = await ociArchive([{ tags: ["gz:1"], layers: [base, top], config }], { gzip: true, withManifestJson: false });
    const [zipped] = await store.importArchive(Readable.from([gz]));
    expect(zipped!.diffIds).toEqual(plain!.diffIds);
    expect(zipped!.layers).toEqual(plain!.layers);
    expect(await extractions()).toBe(4);
    await store.importArchive(Readable.from([gz]));
    expect(await extractions()).toBe(4);
  });

  it("accepts a gzipped archive and a layer.tar symlinked to another's", async () => {
    const archive = await legacyArchive(
      [
        { tags: ["a:1"], layers: [base], config: { Cmd: ["a"] } },
        { tags: ["b:1"], layers: [base, top], config: { Cmd: ["b"] } },
      ],
      { linkDuplicates: true },
    );
    const recs = await store.importArchive(Readable.from([gzipSync(archive)]));
    expect(recs.map((r) => r.repoTags)).toEqual([["docker.io/library/a:1"], ["docker.io/library/b:1"]]);
    expect(recs[1]!.layers[0]).toBe(recs[0]!.layers[0]);
    expect(await extractions()).toBe(2);
  });

  it("moves a tag to the image imported last, keeps both tags of one image", async () => {
    const [first] = await store.importArchive(Readable.from([await legacyArchive([{ tags: ["app:1", "app:stable"], layers: [base], config: { Cmd: ["v1"] } }])]));
    const [second] = await store.importArchive(Readable.from([await legacyArchive([{ tags: ["app:1"], layers: [base], config: { Cmd: ["v2"] } }])]));
    expect(second!.id).not.toBe(first!.id);
    expect((await store.resolve("app:1"))!.id).toBe(second!.id);
    expect((await store.resolve("app:stable"))!.id).toBe(first!.id);
    const list = await store.list();
    expect(list.map((i) => [i.id, i.repoTags])).toEqual([
      [first!.id, ["docker.io/library/app:stable"]],
      [second!.id, ["docker.io/library/app:1"]],
    ]);
    // Importing the first again under app:1 moves the tag back and keeps app:stable.
    await store.importArchive(Readable.from([await legacyArchive([{ tags: ["app:1"], layers: [base], config: { Cmd: ["v1"] } }])]));
    expect((await store.resolve("app:1"))!.id).toBe(first!.id);
    expect((await store.resolve(first!.id))!.repoTags.sort()).toEqual(["docker.io/library/app:1", "docker.io/library/app:stable"]);
    expect((await store.resolve(second!.id))!.repoTags).toEqual([]);
  });

  it("keeps records consistent under concurrent imports", async () => {
    const archives = await Promise.all([1, 2, 3, 4].map((i) => legacyArchive([{ tags: [`app:${i}`], layers: [base], config: { Cmd: [String(i)] } }])));
    await Promise.all([...archives.map((a) => store.importArchive(Readable.from([a]))), ...archives.map((a) => new ImageStore({ root: store.root }).importArchive(Readable.from([a])))]);
    expect((await store.list()).map((i) => i.repoTags[0]).sort()).toEqual(["app:1", "app:2", "app:3", "app:4"].map((t) => `docker.io/library/${t}`));
  });

  it("its records file, read without the store, says which images it has", async () => {
    const [rec] = await store.importArchive(Readable.from([await legacyArchive([{ tags: ["app:1"], layers: [base], config }])]));
    const text = await fs.readFile(path.join(store.root, RECORDS_FILE), "utf8");
    expect(summarizeRecords(text)).toEqual([{ id: rec!.id, repoTags: ["docker.io/library/app:1"], size: rec!.size }]);
  });

  it("rejects what is not a docker save archive, and lying archives", async () => {
    await expect(store.importArchive(Readable.from([Buffer.from("root:x:0:0::/root:/bin/sh\n".repeat(30))]))).rejects.toThrow(NotAnArchiveError);
    await expect(store.importArchive(Readable.from([]))).rejects.toThrow(/empty/);
    await expect(store.importArchive(Readable.from([await tarOf([{ name: "hello", body: "x" }])]))).rejects.toThrow(/neither manifest.json nor index.json/);
    const good = await legacyArchive([{ tags: ["x:1"], layers: [base], config }]);
    await expect(store.importArchive(Readable.from([good.subarray(0, 5000)]))).rejects.toThrow();
    // A config whose diff ID does not match the layer.
    const lying = await tarOf([
      { name: "l/layer.tar", body: base },
      { name: "c.json", body: JSON.stringify({ config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] } }) },
      { name: "manifest.json", body: JSON.stringify([{ Config: "c.json", RepoTags: ["x:1"], Layers: ["l/layer.tar"] }]) },
    ]);
    await expect(store.importArchive(Readable.from([lying]))).rejects.toThrow(/diff ID/);
    expect(await store.list()).toEqual([]);
  });
});

describe("summarizeRecords", () => {
  it("gives id, tags and size of each image, or undefined for another format", () => {
    const doc = { version: 1, images: [{ id: "sha256:aa", repoTags: ["docker.io/library/a:1"], size: 3, config: {}, diffIds: [], loadedAt: "" }] };
    expect(summarizeRecords(JSON.stringify(doc))).toEqual([{ id: "sha256:aa", repoTags: ["docker.io/library/a:1"], size: 3 }]);
    expect(summarizeRecords(JSON.stringify({ version: 1, images: [] }))).toEqual([]);
    expect(summarizeRecords(JSON.stringify({ ...doc, version: 2 }))).toBeUndefined();
    expect(summarizeRecords(JSON.stringify({ version: 1, images: [{ repoTags: [] }] }))).toBeUndefined();
    expect(summarizeRecords("{not json")).toBeUndefined();
    expect(summarizeRecords("null")).toBeUndefined();
  });
});
