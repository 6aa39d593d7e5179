// The parts of an image configuration (Docker's and OCI's, the same JSON) that the kubelet needs:
// what to run and how (entrypoint, cmd, env, workingDir, user) and the layers' diff IDs.

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface ParsedImageConfig {
  config: ImageConfig;
  /** "sha256:<hex>" of each uncompressed layer tar, lowest first. */
  diffIds: string[];
  created?: string;
  architecture?: string;
  os?: string;
}

const DIFF_ID_RE = /^sha256:[a-f0-9]{64}$/;

function stringArray(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`image config: ${what} is not a list of strings`);
  return v as string[];
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new Error(`image config: ${what} is not a string`);
  return v;
}

/** Parses an image configuration blob; throws with what is wrong. */
export function parseImageConfig(raw: Buffer | string): ParsedImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString());
  } catch (err) {
    throw new Error("image config is not JSON", { cause: err });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("image config is not a JSON object");
  const d = doc as Record<string, unknown>;
  const rootfs = d.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || typeof rootfs !== "object") throw new Error("image config has no rootfs");
  const diffIds = stringArray(rootfs.diff_ids, "rootfs.diff_ids") ?? [];
  for (const id of diffIds) if (!DIFF_ID_RE.test(id)) throw new Error(`image config: unsupported layer diff ID ${JSON.stringify(id)}`);
  const c = (d.config ?? {}) as Record<string, unknown>;
  if (typeof c !== "object" || c === null) throw new Error("image config: config is not an object");
  const config: ImageConfig = {};
  const entrypoint = stringArray(c.Entrypoint, "Entrypoint");
  const cmd = stringArray(c.Cmd, "Cmd");
  const env = stringArray(c.Env, "Env");
  const workingDir = optString(c.WorkingDir, "WorkingDir");
  const user = optString(c.User, "User");
  if (entrypoint) config.entrypoint = entrypoint;
  if (cmd) config.cmd = cmd;
  if (env) config.env = env;
  if (workingDir) config.workingDir = workingDir;
  if (user) config.user = user;
  return {
    config,
    diffIds,
    ...(typeof d.created === "string" ? { created: d.created } : {}),
    ...(typeof d.architecture === "string" ? { architecture: d.architecture } : {}),
    ...(typeof d.os === "string" ? { os: d.os } : {}),
  };
}
