// Test images built locally, never pulled (recipes in images/test/): `ensureTestImage` gives a
// one-layer busybox image and a multi-layer image built FROM it (whiteouts, an opaque directory,
// hard and symbolic links, a set-uid file, ENTRYPOINT/CMD/ENV/WORKDIR/USER); `ensureBigTestImage`
// a ~100 MB image for the load benchmark. Each is built only when missing or when its recipe
// changed (the label io.minicluster.test-recipe holds the recipe's hash).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import { pack as tarPack } from "tar-stream";
import { pack as packDir } from "tar-fs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RECIPES = path.join(REPO, "images/test");
const RECIPE_LABEL = "io.minicluster.test-recipe";

export interface TestImages {
  /** One layer: busybox and its applet links. */
  busybox: string;
  /** FROM busybox, several layers, whiteouts and an opaque directory, full config. */
  app: string;
}

interface BusyboxRecipe {
  tag: string;
  busybox: string;
  dirs: Record<string, number>;
  files: Record<string, string>;
  cmd: string[];
}

function hashOf(...parts: Array<string | Buffer>): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

function dirHash(dir: string): string {
  const names = fs.readdirSync(dir).sort();
  return hashOf(...names.flatMap((n) => [n, fs.readFileSync(path.join(dir, n))]));
}

async function labelOf(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config.Labels?.[RECIPE_LABEL] ?? "";
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

function busyboxBinary(recipe: BusyboxRecipe): string {
  if (fs.existsSync(recipe.busybox)) return recipe.busybox;
  throw new Error(`${recipe.busybox} is missing: install Debian's busybox-static (scripts/setup.sh does)`);
}

async function rootfsTar(recipe: BusyboxRecipe, bin: string): Promise<Buffer> {
  const p = tarPack();
  const add = (h: Parameters<typeof p.entry>[0], body?: Buffer | string) =>
    new Promise<void>((resolve, reject) => {
      if (body === undefined) p.entry(h, (e) => (e ? reject(e) : resolve()));
      else p.entry(h, body, (e) => (e ? reject(e) : resolve()));
    });
  const applets = execFileSync(bin, ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const dirs = new Map<string, number>(Object.entries(recipe.dirs));
  for (const a of applets) {
    const parts = a.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) if (!dirs.has(parts.slice(0, i).join("/"))) dirs.set(parts.slice(0, i).join("/"), 0o755);
  }
  const mtime = new Date(0);
  const writes: Array<Promise<void>> = [];
  for (const [d, mode] of [...dirs].sort()) writes.push(add({ name: `${d}/`, type: "directory", mode, mtime }));
  writes.push(add({ name: "bin/busybox", mode: 0o755, mtime }, fs.readFileSync(bin)));
  for (const a of applets) if (a !== "bin/busybox") writes.push(add({ name: a, type: "symlink", linkname: "/bin/busybox", mode: 0o777, mtime }));
  for (const [f, content] of Object.entries(recipe.files).sort()) writes.push(add({ name: f, mode: 0o644, mtime }, content));
  p.finalize();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  await Promise.all([...writes, done]);
  return Buffer.concat(chunks);
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = out?.find((m) => m.error || m.errorDetail);
        if (err) reject(new Error(`${what}: ${err.message}`));
        else if (failed) reject(new Error(`${what}: ${failed.error ?? failed.errorDetail?.message}`));
        else resolve();
      },
    );
  });
}

async function ensureBusybox(docker: Docker): Promise<string> {
  const recipe = JSON.parse(fs.readFileSync(path.join(RECIPES, "busybox.json"), "utf8")) as BusyboxRecipe;
  const bin = busyboxBinary(recipe);
  const hash = hashOf(JSON.stringify(recipe), fs.readFileSync(bin));
  if ((await labelOf(docker, recipe.tag)) === hash) return recipe.tag;
  const [repo, tag] = recipe.tag.split(":") as [string, string];
  const tar = await rootfsTar(recipe, bin);
  const stream = await docker.importImage(
    (await import("node:stream")).Readable.from([tar]) as unknown as string,
    { repo, tag, changes: [`CMD ${JSON.stringify(recipe.cmd)}`, `LABEL ${RECIPE_LABEL}=${hash}`] } as unknown as object,
  );
  await follow(docker, stream, `importing ${recipe.tag}`);
  return recipe.tag;
}

async function ensureBuilt(docker: Docker, dir: string, tag: string, base: string): Promise<string> {
  const baseId = (await docker.getImage(base).inspect()).Id;
  const hash = hashOf(dirHash(dir), baseId);
  if ((await labelOf(docker, tag)) === hash) return tag;
  const stream = await docker.buildImage(packDir(dir) as unknown as NodeJS.ReadableStream, {
    t: tag,
    buildargs: { BASE: base },
    labels: { [RECIPE_LABEL]: hash },
    rm: true,
    forcerm: true,
  });
  await follow(docker, stream, `building ${tag}`);
  return tag;
}

/** The busybox and multi-layer app test images, built when missing. */
export async function ensureTestImage(docker: Docker): Promise<TestImages> {
  const busybox = await ensureBusybox(docker);
  const app = await ensureBuilt(docker, path.join(RECIPES, "app"), "mctest/app:1", busybox);
  return { busybox, app };
}

/** A ~100 MB image (busybox + one 100 MB random file layer), built when missing. */
export async function ensureBigTestImage(docker: Docker): Promise<string> {
  const busybox = await ensureBusybox(docker);
  return ensureBuilt(docker, path.join(RECIPES, "big"), "mctest/big:1", busybox);
}

/**
 * Rewrites a legacy `docker save` archive (Docker ≤ 24) into the OCI image layout that Docker ≥ 25
 * writes (blobs/sha256/*, index.json, oci-layout, manifest.json into blobs/), so both layouts can
 * be tested with this machine's engine. Config bytes (hence image IDs) are unchanged.
 */
export async function toOciLayout(legacy: Buffer): Promise<Buffer> {
  const { extract, pack } = await import("tar-stream");
  const files = new Map<string, Buffer>();
  const ex = extract();
  const reading = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e as unknown as AsyncIterable<Buffer>) chunks.push(c);
      if (e.header.type === "file") files.set(e.header.name, Buffer.concat(chunks));
    }
  })();
  ex.end(legacy);
  await reading;
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => (blobs.set(sha(b), b), sha(b));
  const manifest = JSON.parse(files.get("manifest.json")!.toString()) as Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }>;
  const index: object[] = [];
  const newManifest = manifest.map((m) => {
    const config = files.get(m.Config)!;
    const cd = put(config);
    const layers = m.Layers.map((l) => files.get(l)!);
    const lds = layers.map(put);
    const mf = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${cd}`, size: config.length },
        layers: layers.map((l, i) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${lds[i]}`, size: l.length })),
      }),
    );
    const md = put(mf);
    for (const t of m.RepoTags ?? []) index.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${md}`, size: mf.length, annotations: { "io.containerd.image.name": t } });
    return { Config: `blobs/sha256/${cd}`, RepoTags: m.RepoTags, Layers: lds.map((d) => `blobs/sha256/${d}`) };
  });
  const p = pack();
  const out: Buffer[] = [];
  const collecting = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) out.push(c);
  })();
  const add = (name: string, body: Buffer | string) => new Promise<void>((resolve, reject) => p.entry({ name, mode: 0o644 }, body, (e) => (e ? reject(e) : resolve())));
  for (const [d, b] of blobs) await add(`blobs/sha256/${d}`, b);
  await add("index.json", JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: index }));
  await add("manifest.json", JSON.stringify(newManifest));
  await add("oci-layout", '{"imageLayoutVersion":"1.0.0"}');
  p.finalize();
  await collecting;
  return Buffer.concat(out);
}
