// What a `docker save` archive holds, from its small JSON files: which images (config file, tags,
// layer files lowest first). Two layouts exist: Docker ≤ 24 writes manifest.json with
// "<v1 id>/layer.tar" layers and "<config digest>.json"; Docker ≥ 25 writes an OCI image layout
// (index.json, blobs/sha256/<digest>) plus the same manifest.json pointing into blobs/. Archives
// from other tools may have only index.json; then the OCI index is followed.
import { normalizeImageRef } from "./reference.js";

export interface ArchiveImage {
  /** Path of the config blob inside the archive. */
  configPath: string;
  /** Normalised references (docker.io/library/x:tag). */
  repoTags: string[];
  /** Paths of the layer blobs inside the archive, lowest first. */
  layerPaths: string[];
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  annotations?: Record<string, string>;
}

const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);

/** Normalises a path inside an archive: no leading "./" or "/". */
export function archivePath(name: string): string {
  let n = name.replace(/^(\.\/|\/)+/, "");
  if (n.endsWith("/")) n = n.slice(0, -1);
  return n;
}

/** Whether a file of an archive may be one of its JSON documents (config, manifest, index). */
export function isArchiveJson(name: string): boolean {
  return name === "manifest.json" || name === "index.json" || name === "repositories" || name === "oci-layout" || (!name.includes("/") && name.endsWith(".json"));
}

/** Whether a file of an archive is a layer (or, for blobs/, may be one: it is sniffed). */
export function isArchiveLayer(name: string): boolean {
  return name.endsWith("/layer.tar") || name.startsWith("blobs/");
}

function parseJson(files: Map<string, Buffer>, path: string, what: string): unknown {
  const raw = files.get(path);
  if (!raw) throw new Error(`the archive has no ${path} (${what})`);
  try {
    return JSON.parse(raw.toString());
  } catch (err) {
    throw new Error(`${path} in the archive is not JSON`, { cause: err });
  }
}

function blobPath(digest: string): string {
  const m = /^([A-Za-z0-9+._-]+):([A-Za-z0-9=_-]+)$/.exec(digest);
  if (!m) throw new Error(`bad digest ${JSON.stringify(digest)} in the archive's index`);
  return `blobs/${m[1]}/${m[2]}`;
}

function tagsOf(refs: unknown[]): string[] {
  const out: string[] = [];
  for (const r of refs) {
    if (typeof r !== "string") continue;
    const n = normalizeImageRef(r);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The images an archive describes, from its JSON files (keyed by archivePath). */
export function imagesInArchive(files: Map<string, Buffer>): ArchiveImage[] {
  if (files.has("manifest.json")) {
    const doc = parseJson(files, "manifest.json", "manifest");
    if (!Array.isArray(doc)) throw new Error("manifest.json in the archive is not a list");
    return doc.map((m: unknown, i) => {
      const e = m as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
      if (typeof e.Config !== "string" || !Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== "string")) {
        throw new Error(`manifest.json entry ${i} lacks Config or Layers`);
      }
      return {
        configPath: archivePath(e.Config),
        repoTags: tagsOf(Array.isArray(e.RepoTags) ? e.RepoTags : []),
        layerPaths: (e.Layers as string[]).map(archivePath),
      };
    });
  }
  if (files.has("index.json")) {
    const out: ArchiveImage[] = [];
    const walk = (index: unknown, depth: number, inherited: string[]): void => {
      if (depth > 4) throw new Error("the archive's OCI index nests too deeply");
      const manifests = (index as { manifests?: unknown }).manifests;
      if (!Array.isArray(manifests)) throw new Error("the archive's OCI index has no manifests");
      for (const d of manifests as Descriptor[]) {
        if (typeof d.digest !== "string") continue;
        const path = blobPath(d.digest);
        if (!files.has(path)) continue; // e.g. another platform's manifest, not in the archive
        const names: string[] = [...inherited];
        const full = d.annotations?.["io.containerd.image.name"];
        const refName = d.annotations?.["org.opencontainers.image.ref.name"];
        if (full) names.push(full);
        else if (refName && /[/:]/.test(refName)) names.push(refName);
        const doc = parseJson(files, path, "manifest") as { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: unknown };
        if (INDEX_TYPES.has(d.mediaType ?? "") || INDEX_TYPES.has(doc.mediaType ?? "") || Array.isArray(doc.manifests)) {
          walk(doc, depth + 1, names);
          continue;
        }
        if (!doc.config?.digest || !Array.isArray(doc.layers)) throw new Error(`${path} in the archive is not an image manifest`);
        out.push({ configPath: blobPath(doc.config.digest), repoTags: tagsOf(names), layerPaths: doc.layers.map((l) => blobPath(String(l.digest))) });
      }
    };
    walk(parseJson(files, "index.json", "OCI index"), 0, []);
    return out;
  }
  throw new Error("not a docker save archive: it has neither manifest.json nor index.json");
}
