// `minicluster load`: copies images from the host's Docker engine (or a `docker save` archive)
// into a cluster's nodes. What a node has is read from its image store's records file through
// the Docker archive API (no process is started in the node; nodes whose file is in another
// format are asked with `minicluster image list --json` through docker exec); nodes that already
// hold an image ID under the wanted tag are skipped. The others get one `docker save` stream,
// read once and fanned out to every node that needs the same images, into `minicluster image
// import -` on the node's stdin (a hijacked docker exec). The execs are started while the engine
// begins the `docker save`, so the node processes start up in the meantime.
import { promises as fs, createReadStream } from "node:fs";
import path from "node:path";
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import type Docker from "dockerode";
import { familiarImageRef, formatImageRef, parseImageRef } from "../kubelet/images/reference.js";
import { DEFAULT_IMAGES_ROOT, RECORDS_FILE, summarizeRecords } from "../kubelet/images/store.js";
import { DockerProvider } from "../provision/docker/provider.js";
import { statusOf } from "../provision/docker/errors.js";
import type { NodeStatus } from "../provision/types.js";

/** The executable inside node containers. */
export const NODE_MINICLUSTER = "/usr/local/bin/minicluster";

export class LoadError extends Error {
  override readonly name = "LoadError";
}

export interface NodeImage {
  id: string;
  repoTags: string[];
  size?: number;
}

export interface LoadedImage {
  ref: string;
  id: string;
}

export interface NodeLoadResult {
  node: string;
  /** Images copied into the node. */
  loaded: LoadedImage[];
  /** Images the node already had (same ID under the same tag). */
  present: LoadedImage[];
  ms: number;
  error?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in a node container, optionally with `stdin` streamed in (closed at its end). */
export async function execInNode(docker: Docker, node: string, cmd: string[], stdin?: Readable): Promise<ExecResult> {
  const exec = await docker.getContainer(node).exec({ Cmd: cmd, AttachStdin: !!stdin, AttachStdout: true, AttachStderr: true, Tty: false });
  const socket = (await exec.start({ hijack: true, stdin: !!stdin })) as NodeJS.ReadWriteStream & { destroy?: () => void };
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const so = new PassThrough().on("data", (c: Buffer) => out.push(c));
  const se = new PassThrough().on("data", (c: Buffer) => err.push(c));
  docker.modem.demuxStream(socket, so, se);
  let writeError: Error | undefined;
  const ended = new Promise<void>((resolve) => {
    socket.on("end", () => resolve());
    socket.on("close", () => resolve());
    socket.on("error", (e: Error) => {
      writeError = e;
      resolve();
    });
  });
  if (stdin) stdin.pipe(socket);
  await ended;
  // The stream ends when the process closes its output; its exit code may follow a moment later.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  socket.destroy?.();
  const stderr = Buffer.concat(err).toString("utf8");
  const code = info.ExitCode ?? (writeError ? 1 : 0);
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: stderr || (code !== 0 && writeError ? writeError.message : "") };
}

/** The last meaningful line a failed node command printed, without our "minicluster: " prefix. */
function lastLine(r: ExecResult): string {
  const line = (r.stderr.trim() || r.stdout.trim()).split("\n").at(-1) ?? "";
  return line.replace(/^minicluster: /, "") || `exit code ${r.code}`;
}

export async function listNodeImages(docker: Docker, node: string): Promise<NodeImage[]> {
  const r = await execInNode(docker, node, [NODE_MINICLUSTER, "image", "list", "--json"]);
  if (r.code !== 0) throw new Error(`listing the images of node ${node}: ${lastLine(r)}`);
  try {
    return JSON.parse(r.stdout) as NodeImage[];
  } catch (err) {
    throw new Error(`listing the images of node ${node}: not JSON: ${r.stdout.slice(0, 200)}`, { cause: err });
  }
}

/**
 * What a node's image store holds, from its records file read through the archive API; when
 * that file is in a format this executable does not know (a node of another version), from
 * `minicluster image list --json` in the node.
 */
export async function nodeImages(docker: Docker, node: string): Promise<NodeImage[]> {
  let text: string;
  try {
    text = (await new DockerProvider(docker).readFile(node, path.posix.join(DEFAULT_IMAGES_ROOT, RECORDS_FILE))).toString("utf8");
  } catch (err) {
    if (statusOf(err) === 404) return []; // no image loaded yet
    return listNodeImages(docker, node);
  }
  return summarizeRecords(text) ?? listNodeImages(docker, node);
}

/** Gathers a stream's chunks into chunks of about `size` bytes (fewer, larger writes per node). */
class Batcher extends Transform {
  private chunks: Buffer[] = [];
  private length = 0;
  constructor(private readonly size: number) {
    super({ readableHighWaterMark: size });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length >= this.size) this.flushChunks();
    cb();
  }
  override _flush(cb: TransformCallback): void {
    this.flushChunks();
    cb();
  }
  private flushChunks(): void {
    if (this.length === 0) return;
    this.push(this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length));
    this.chunks = [];
    this.length = 0;
  }
}

/**
 * Streams an archive into `minicluster image import -` on each node (in parallel, one read). The
 * execs start at once; `source` may still be on its way.
 */
async function importInto(docker: Docker, nodes: string[], sourceOrPromise: Readable | Promise<Readable>): Promise<Map<string, { images?: NodeImage[]; error?: string; ms: number }>> {
  const t0 = Date.now();
  const results = new Map<string, { images?: NodeImage[]; error?: string; ms: number }>();
  let sourceError: Error | undefined;
  // One PassThrough per node: a node that fails early unpipes only itself.
  const branches = nodes.map(() => new PassThrough({ highWaterMark: 1 << 20 }));
  const batched = new Batcher(1 << 20);
  const failSource = (e: Error) => {
    sourceError ??= e;
    // End the nodes' stdin: their import fails on the truncated archive instead of waiting.
    batched.unpipe();
    for (const b of branches) b.end();
  };
  let source: Readable | undefined;
  const piping = Promise.resolve(sourceOrPromise).then(
    (s) => {
      source = s;
      s.on("error", failSource);
      s.pipe(batched);
      for (const b of branches) if (!b.writableEnded) batched.pipe(b);
    },
    (err: unknown) => failSource(err instanceof Error ? err : new Error(String(err))),
  );
  await Promise.all(
    nodes.map(async (node, i) => {
      const branch = branches[i]!;
      try {
        const r = await execInNode(docker, node, [NODE_MINICLUSTER, "image", "import", "-"], branch);
        if (r.code !== 0) results.set(node, { error: lastLine(r), ms: Date.now() - t0 });
        else results.set(node, { images: JSON.parse(r.stdout) as NodeImage[], ms: Date.now() - t0 });
      } catch (err) {
        results.set(node, { error: (err as Error).message, ms: Date.now() - t0 });
      } finally {
        batched.unpipe(branch);
        branch.resume();
      }
    }),
  );
  await piping;
  source?.destroy();
  batched.destroy();
  // The nodes saw a truncated archive; the reason is the source's.
  if (sourceError) for (const [node, r] of results) results.set(node, { ...r, error: `reading the images: ${sourceError.message}` });
  return results;
}

async function targetNodes(docker: Docker, cluster: string, only: string[] | undefined): Promise<NodeStatus[]> {
  const nodes = await new DockerProvider(docker).listNodes(cluster);
  if (nodes.length === 0) throw new LoadError(`no cluster named "${cluster}" (see \`minicluster get clusters\`)`);
  let chosen = nodes;
  if (only && only.length > 0) {
    const unknown = only.filter((n) => !nodes.some((x) => x.name === n));
    if (unknown.length > 0) {
      throw new LoadError(`no node named ${unknown.map((u) => `"${u}"`).join(", ")} in cluster "${cluster}" (its nodes: ${nodes.map((n) => n.name).join(", ")})`);
    }
    chosen = nodes.filter((n) => only.includes(n.name));
  }
  const stopped = chosen.filter((n) => n.state !== "running");
  if (stopped.length > 0) throw new LoadError(`node ${stopped.map((n) => n.name).join(", ")} is not running (state ${stopped[0]!.state})`);
  return chosen;
}

export interface LoadDockerImagesOptions {
  cluster: string;
  images: string[];
  nodes?: string[];
}

/** `load docker-image`: the host's images into the cluster's nodes, skipping nodes that have them. */
export async function loadDockerImages(docker: Docker, opts: LoadDockerImagesOptions): Promise<NodeLoadResult[]> {
  const wanted: Array<{ arg: string; ref: string; familiar: string; id: string }> = [];
  for (const arg of opts.images) {
    let parsed;
    try {
      parsed = parseImageRef(arg);
    } catch (err) {
      throw new LoadError((err as Error).message);
    }
    if (parsed.digest) throw new LoadError(`${arg}: loading by digest is not supported, name the image by a tag`);
    const ref = formatImageRef(parsed);
    if (wanted.some((w) => w.ref === ref)) continue;
    wanted.push({ arg, ref, familiar: familiarImageRef(ref), id: "" });
  }
  if (wanted.length === 0) throw new LoadError("name at least one image");
  const [nodes] = await Promise.all([
    targetNodes(docker, opts.cluster, opts.nodes),
    ...wanted.map(async (w) => {
      try {
        w.id = (await docker.getImage(w.familiar).inspect()).Id;
      } catch (err) {
        if (statusOf(err) === 404) throw new LoadError(`image ${w.arg} is not present locally`);
        throw new Error(`inspecting image ${w.arg}`, { cause: err });
      }
    }),
  ]);
  const t0 = Date.now();
  const results = new Map<string, NodeLoadResult>();
  // What each node lacks.
  const groups = new Map<string, { refs: typeof wanted; nodes: string[] }>();
  await Promise.all(
    nodes.map(async (n) => {
      let have: NodeImage[];
      try {
        have = await nodeImages(docker, n.name);
      } catch (err) {
        results.set(n.name, { node: n.name, loaded: [], present: [], ms: Date.now() - t0, error: (err as Error).message });
        return;
      }
      const present = wanted.filter((w) => have.some((h) => h.id === w.id && h.repoTags.includes(w.ref)));
      const missing = wanted.filter((w) => !present.includes(w));
      results.set(n.name, { node: n.name, loaded: [], present: present.map((w) => ({ ref: w.ref, id: w.id })), ms: Date.now() - t0 });
      if (missing.length === 0) return;
      const key = missing.map((m) => m.ref).join(" ");
      const g = groups.get(key) ?? { refs: missing, nodes: [] };
      g.nodes.push(n.name);
      groups.set(key, g);
    }),
  );
  await Promise.all(
    [...groups.values()].map(async (g) => {
      // GET /images/get?names=...: one `docker save` of several images (missing from @types/dockerode).
      const getImages = (docker as unknown as { getImages(o: { names: string[] }): Promise<Readable> }).getImages.bind(docker);
      const imported = await importInto(docker, g.nodes, getImages({ names: g.refs.map((r) => r.familiar) }));
      for (const [node, r] of imported) {
        const res = results.get(node)!;
        res.ms = Date.now() - t0;
        if (r.error) {
          res.error = `loading into node ${node} failed: ${r.error}`;
          continue;
        }
        for (const w of g.refs) {
          const got = r.images?.find((i) => i.repoTags.includes(w.ref));
          if (!got) res.error = `loading into node ${node}: the node did not report ${w.ref} after the import`;
          else if (got.id !== w.id) res.error = `loading into node ${node}: ${w.ref} arrived as ${got.id}, expected ${w.id}`;
          else res.loaded.push({ ref: w.ref, id: w.id });
        }
      }
    }),
  );
  return nodes.map((n) => results.get(n.name)!);
}

export interface LoadImageArchiveOptions {
  cluster: string;
  file: string;
  nodes?: string[];
}

/** Whether the first bytes are those of a tar archive (ustar magic) or of a gzip stream. */
export function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
}

/** `load image-archive`: a `docker save` archive into the cluster's nodes. */
export async function loadImageArchive(docker: Docker, opts: LoadImageArchiveOptions): Promise<NodeLoadResult[]> {
  let head: Buffer;
  try {
    const fh = await fs.open(opts.file, "r");
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await fh.read(buf, 0, 512, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LoadError(`${opts.file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (err as Error).message}`);
  }
  if (!looksLikeArchive(head)) throw new LoadError(`${opts.file} is not an image archive (expected a tar file from \`docker save\`)`);
  const nodes = await targetNodes(docker, opts.cluster, opts.nodes);
  const imported = await importInto(
    docker,
    nodes.map((n) => n.name),
    createReadStream(opts.file, { highWaterMark: 1 << 20 }),
  );
  return nodes.map((n) => {
    const r = imported.get(n.name)!;
    const loaded = (r.images ?? []).flatMap((i) => (i.repoTags.length ? i.repoTags : ["<none>"]).map((ref) => ({ ref, id: i.id })));
    return { node: n.name, loaded, present: [], ms: r.ms, ...(r.error ? { error: `loading into node ${n.name} failed: ${r.error}` } : {}) };
  });
}

/** One line per node for the CLI. */
export function describeNodeLoad(r: NodeLoadResult): string {
  const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
  const parts: string[] = [];
  if (r.loaded.length) parts.push(`loaded ${r.loaded.map((l) => `${l.ref} (${short(l.id)})`).join(", ")} in ${(r.ms / 1000).toFixed(2)} s`);
  if (r.present.length) parts.push(`already has ${r.present.map((l) => `${l.ref} (${short(l.id)})`).join(", ")}`);
  if (parts.length === 0) parts.push("nothing to load");
  return `node ${r.node}: ${parts.join("; ")}`;
}
