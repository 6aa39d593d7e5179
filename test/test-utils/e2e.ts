// Helpers for Docker end-to-end tests: run the built dist/minicluster with an isolated HOME and
// KUBECONFIG, run commands in containers, ask Docker what exists, and restart the Docker engine.
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { afterAll } from "vitest";
import { runKubectl, type KubectlOptions, type KubectlResult } from "./control-plane.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The built executable; MINICLUSTER_E2E_EXE points the tests at another build (parallel work). */
export const MINICLUSTER = process.env.MINICLUSTER_E2E_EXE ? path.resolve(process.env.MINICLUSTER_E2E_EXE) : path.join(REPO, "dist/minicluster");
export const docker = new Docker();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface E2eEnv {
  home: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  mc(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** kubectl with the context of cluster `name` from this environment's kubeconfig (`binary`: another kubectl). */
  kubectl(name: string, args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** As `kubectl`, for commands that must succeed: their stdout; throws with stderr otherwise. */
  k(name: string, ...args: string[]): Promise<string>;
}

/**
 * A fresh HOME and KUBECONFIG for one test file (call it at the top level: HOME is removed after
 * the file's own afterAll hooks); the CLI is the built single executable.
 */
export function e2eEnv(prefix: string): E2eEnv {
  if (!fs.existsSync(MINICLUSTER)) throw new Error(`${MINICLUSTER} is missing: run \`npm run build\` first`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `minicluster-e2e-${prefix}-`));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
  const kubeconfig = path.join(home, ".kube", "config");
  const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
  const kubectl: E2eEnv["kubectl"] = (name, args, opts) => runKubectl(kubeconfig, ["--context", `minicluster-${name}`, ...args], opts);
  return {
    home,
    kubeconfig,
    env,
    mc: (args, opts = {}) =>
      new Promise((resolve) => {
        execFile(MINICLUSTER, args, { env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      }),
    kubectl,
    async k(name, ...args) {
      const r = await kubectl(name, args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    },
  };
}

export interface DockerExecOptions {
  /** Written to the command's stdin (`docker exec -i`). */
  input?: string;
  /** `docker exec -w`. */
  workdir?: string;
  /** `docker exec -e NAME=VALUE`. */
  env?: Record<string, string>;
  /** Default 60 s. */
  timeoutMs?: number;
}

/**
 * Runs a command in a running container (`docker exec`); a string is a shell line for `sh -c`.
 * Returns its stdout; throws, with the container, the command and its stderr, unless it exits 0.
 */
export function dockerExec(container: string, cmd: string[] | string, opts: DockerExecOptions = {}): Promise<string> {
  const argv = typeof cmd === "string" ? ["sh", "-c", cmd] : cmd;
  const flags = [
    ...(opts.input !== undefined ? ["-i"] : []),
    ...(opts.workdir ? ["-w", opts.workdir] : []),
    ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
  ];
  return new Promise((resolve, reject) => {
    const child = execFile("docker", ["exec", ...flags, container, ...argv], { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const shown = typeof cmd === "string" ? cmd : cmd.join(" ");
      reject(new Error(`${shown} in ${container} failed (${typeof err.code === "number" ? `exit ${err.code}` : err.message}): ${stderr.trim()}`));
    });
    child.stdin?.end(opts.input ?? "");
  });
}

export async function dockerObjects(cluster: string): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  const filters = { label: [`io.minicluster.cluster=${cluster}`] };
  const [c, v, n] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listNetworks({ filters })]);
  return {
    containers: c.map((x) => x.Names[0]!.replace(/^\//, "")).sort(),
    volumes: (v.Volumes ?? []).map((x) => x.Name).sort(),
    networks: n.map((x) => x.Name).sort(),
  };
}

/** Restarts the Docker engine the way it was started (systemd, or dockerd run by scripts/docker-engine.sh). */
export async function restartDockerEngine(): Promise<void> {
  if (spawnSync("systemctl", ["is-active", "--quiet", "docker"]).status === 0) {
    if (spawnSync("systemctl", ["restart", "docker"]).status !== 0) throw new Error("systemctl restart docker failed");
  } else {
    const pid = Number(fs.readFileSync("/var/run/docker.pid", "utf8").trim());
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 600; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = spawnSync(path.join(REPO, "scripts/docker-engine.sh"), { stdio: "pipe" });
    if (r.status !== 0) throw new Error(`scripts/docker-engine.sh failed: ${r.stderr.toString()}`);
  }
  await docker.ping();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until fn returns true or timeoutMs passes; returns whether it did. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > end) return false;
    await sleep(intervalMs);
  }
}
