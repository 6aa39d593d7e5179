// Test helpers (not used by the product): tar archives, layers and `docker save` archives in
// both layouts, made in memory.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { pack as tarPack, type Header } from "tar-stream";

export type TarEntry = Partial<Header> & { name: string; body?: string | Buffer; pax?: Record<string, string> };

export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const { body, ...h } = e;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body !== undefined) p.entry({ mode: 0o644, mtime: new Date(0), ...h }, body, cb);
      else p.entry({ mode: h.type === "directory" ? 0o755 : 0o644, mtime: new Date(0), ...h }, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

export interface FixtureImage {
  tags: string[];
  layers: Buffer[];
  config?: Record<string, unknown>;
}

function configOf(img: FixtureImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: "2024-01-01T00:00:00Z",
      config: img.config ?? { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: img.layers.map((l) => `sha256:${sha256(l)}`) },
    }),
  );
}

/** A Docker ≤ 24 style archive: <v1id>/layer.tar, <config digest>.json, manifest.json, repositories. */
export async function legacyArchive(images: FixtureImage[], opts: { linkDuplicates?: boolean } = {}): Promise<Buffer> {
  const entries: TarEntry[] = [];
  const manifest: unknown[] = [];
  const seen = new Map<string, string>();
  for (const img of images) {
    const config = configOf(img);
    const configName = `${sha256(config)}.json`;
    const layerPaths: string[] = [];
    img.layers.forEach((layer, i) => {
      const v1 = sha256(`${sha256(config)}-${i}`);
      entries.push({ name: `${v1}/`, type: "directory" }, { name: `${v1}/VERSION`, body: "1.0" }, { name: `${v1}/json`, body: "{}" });
      const diff = sha256(layer);
      if (opts.linkDuplicates && seen.has(diff)) entries.push({ name: `${v1}/layer.tar`, type: "symlink", linkname: `../${seen.get(diff)}/layer.tar` });
      else {
        entries.push({ name: `${v1}/layer.tar`, body: layer });
        seen.set(diff, v1);
      }
      layerPaths.push(`${v1}/layer.tar`);
    });
    entries.push({ name: configName, body: config });
    manifest.push({ Config: configName, RepoTags: img.tags, Layers: layerPaths });
  }
  entries.push({ name: "manifest.json", body: JSON.stringify(manifest) }, { name: "repositories", body: "{}" });
  return tarOf(entries);
}

/**
 * An OCI image layout archive: blobs/sha256/*, index.json, oci-layout, and (as Docker ≥ 25
 * writes it) manifest.json, unless `withManifestJson` is false. `gzip` compresses the layers.
 */
export async function ociArchive(images: FixtureImage[], opts: { gzip?: boolean; withManifestJson?: boolean } = {}): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => {
    const d = sha256(b);
    blobs.set(d, b);
    return d;
  };
  const index: Array<Record<string, unknown>> = [];
  const manifest: unknown[] = [];
  for (const img of images) {
    const config = configOf(img);
    const configDigest = put(config);
    const layers = img.layers.map((l) => (opts.gzip ? gzipSync(l) : l));
    const layerDigests = layers.map(put);
    const m = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${configDigest}`, size: config.length },
        layers: layers.map((l, i) => ({
          mediaType: opts.gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar",
          digest: `sha256:${layerDigests[i]}`,
          size: l.length,
        })),
      }),
    );
    const md = put(m);
    for (const t of img.tags.length ? img.tags : [undefined]) {
      index.push({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: `sha256:${md}`,
        size: m.length,
        ...(t ? { annotations: { "io.containerd.image.name": t, "org.opencontainers.image.ref.name": t.split(":").at(-1) } } : {}),
      });
    }
    manifest.push({ Config: `blobs/sha256/${configDigest}`, RepoTags: img.tags, Layers: layerDigests.map((d) => `blobs/sha256/${d}`) });
  }
  const entries: TarEntry[] = [{ name: "blobs/", type: "directory" }, { name: "blobs/sha256/", type: "directory" }];
  for (const [d, b] of blobs) entries.push({ name: `blobs/sha256/${d}`, body: b });
  entries.push({ name: "index.json", body: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: index }) });
  if (opts.withManifestJson !== false) entries.push({ name: "manifest.json", body: JSON.stringify(manifest) });
  entries.push({ name: "oci-layout", body: JSON.stringify({ imageLayoutVersion: "1.0.0" }) });
  return tarOf(entries);
}
