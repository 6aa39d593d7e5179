import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { archivePath, imagesInArchive } from "./archive.js";
import { legacyArchive, ociArchive, sha256 } from "./fixtures.js";

async function jsonFiles(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  const done = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e as unknown as AsyncIterable<Buffer>) chunks.push(c);
      const body = Buffer.concat(chunks);
      if (body[0] === 0x7b || e.header.name === "manifest.json") files.set(archivePath(e.header.name), body);
    }
  })();
  ex.end(archive);
  await done;
  return files;
}

const layerA = Buffer.from("layer a");
const layerB = Buffer.from("layer b");

describe("imagesInArchive", () => {
  it("reads a legacy (Docker ≤ 24) manifest.json and normalises the tags", async () => {
    const files = await jsonFiles(await legacyArchive([{ tags: ["busybox:1", "user/app"], layers: [layerA, layerB] }]));
    const [img, ...rest] = imagesInArchive(files);
    expect(rest).toEqual([]);
    expect(img!.repoTags).toEqual(["docker.io/library/busybox:1", "docker.io/user/app:latest"]);
    expect(img!.configPath).toMatch(/^[a-f0-9]{64}\.json$/);
    expect(img!.layerPaths).toHaveLength(2);
    expect(img!.layerPaths.every((p) => p.endsWith("/layer.tar"))).toBe(true);
  });

  it("reads a Docker ≥ 25 archive through manifest.json into blobs/", async () => {
    const files = await jsonFiles(await ociArchive([{ tags: ["registry:5000/app:v1"], layers: [layerA, layerB] }]));
    const [img] = imagesInArchive(files);
    expect(img!.repoTags).toEqual(["registry:5000/app:v1"]);
    expect(img!.layerPaths).toEqual([`blobs/sha256/${sha256(layerA)}`, `blobs/sha256/${sha256(layerB)}`]);
    expect(img!.configPath).toMatch(/^blobs\/sha256\/[a-f0-9]{64}$/);
  });

  it("follows index.json when there is no manifest.json, tags from the annotations", async () => {
    const files = await jsonFiles(await ociArchive([{ tags: ["app:2"], layers: [layerA] }, { tags: [], layers: [layerB] }], { withManifestJson: false }));
    expect(files.has("manifest.json")).toBe(false);
    const imgs = imagesInArchive(files);
    expect(imgs.map((i) => i.repoTags)).toEqual([["docker.io/library/app:2"], []]);
    expect(imgs[1]!.layerPaths).toEqual([`blobs/sha256/${sha256(layerB)}`]);
  });

  it("follows a nested index and skips manifests that are not in the archive", () => {
    const manifest = Buffer.from(JSON.stringify({ mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: `sha256:${"c".repeat(64)}` }, layers: [{ digest: `sha256:${"d".repeat(64)}` }] }));
    const md = sha256(manifest);
    const nested = Buffer.from(
      JSON.stringify({
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${md}` },
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"e".repeat(64)}` },
        ],
      }),
    );
    const nd = sha256(nested);
    const files = new Map<string, Buffer>([
      ["index.json", Buffer.from(JSON.stringify({ manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${nd}`, annotations: { "io.containerd.image.name": "docker.io/x/y:z" } }] }))],
      [`blobs/sha256/${nd}`, nested],
      [`blobs/sha256/${md}`, manifest],
    ]);
    expect(imagesInArchive(files)).toEqual([{ configPath: `blobs/sha256/${"c".repeat(64)}`, repoTags: ["docker.io/x/y:z"], layerPaths: [`blobs/sha256/${"d".repeat(64)}`] }]);
  });

  it("rejects archives without manifest.json or index.json, and bad manifests", () => {
    expect(() => imagesInArchive(new Map())).toThrow(/neither manifest.json nor index.json/);
    expect(() => imagesInArchive(new Map([["manifest.json", Buffer.from("{")]]))).toThrow(/not JSON/);
    expect(() => imagesInArchive(new Map([["manifest.json", Buffer.from("{}")]]))).toThrow(/not a list/);
    expect(() => imagesInArchive(new Map([["manifest.json", Buffer.from('[{"RepoTags":[]}]')]]))).toThrow(/lacks Config or Layers/);
    expect(() => imagesInArchive(new Map([["manifest.json", Buffer.from('[{"Config":"c.json","Layers":[],"RepoTags":["Bad"]}]')]]))).toThrow(/lowercase/);
  });
});

describe("archivePath", () => {
  it.each([
    ["./manifest.json", "manifest.json"],
    ["/blobs/sha256/x", "blobs/sha256/x"],
    ["abc/", "abc"],
  ])("%s -> %s", (a, b) => expect(archivePath(a)).toBe(b));
});
