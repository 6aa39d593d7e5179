// An in-process control plane on a temporary data dir and a free port, plus helpers to run the
// real kubectl against it. API tests share one per file.

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildKubeconfig } from "../../src/cluster/kubeconfig/index.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/index.js";

export interface TestCluster {
  cp: ControlPlane;
  dataDir: string;
  kubeconfig: string;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Runs kubectl and fails the test unless it exits 0; returns stdout. */
  k(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface KubectlOptions {
  input?: string;
  binary?: string;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";

export function runKubectl(kubeconfig: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      opts.binary ?? KUBECTL,
      ["--kubeconfig", kubeconfig, ...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: path.dirname(kubeconfig) } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function startTestCluster(opts: { store?: "memory" | "sqlite"; dataDir?: string; watchBufferLimitBytes?: number } = {}): Promise<TestCluster> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-api-"));
  const cp = await startControlPlane({
    dataDir,
    port: 0,
    store: opts.store ?? "memory",
    ...(opts.watchBufferLimitBytes ? { watchBufferLimitBytes: opts.watchBufferLimitBytes } : {}),
  });
  const kubeconfig = cp.kubeconfigPath;
  const kubectl = (args: string[], o?: KubectlOptions) => runKubectl(kubeconfig, args, o);
  return {
    cp,
    dataDir,
    kubeconfig,
    kubectl,
    async k(...args: string[]) {
      const r = await kubectl(args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    async stop() {
      await cp.stop();
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `ca-only.kubeconfig` in the cluster's data dir: its server and CA, no client credentials
 * at all (for kubectl with `--token`, as a pod's client would authenticate). Returns the path.
 */
export function caOnlyKubeconfig(tc: TestCluster): string {
  const file = path.join(tc.dataDir, "ca-only.kubeconfig");
  const kc = buildKubeconfig({ name: "mc", server: tc.cp.url, caCert: tc.cp.pki.ca.cert, clientCert: "", clientKey: "" });
  kc.users = [{ name: "mc", user: {} }];
  fs.writeFileSync(file, JSON.stringify(kc));
  return file;
}

/** A JWT's claims, not verified. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}
