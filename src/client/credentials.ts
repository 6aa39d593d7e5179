// Where a client connects and who it is: the API server URL, the CA to trust, and a client
// certificate. Built directly from PEM strings (in-cluster components read their files) or from a
// kubeconfig's current (or named) context, with embedded *-data fields or file references
// (relative to the kubeconfig's directory, as kubectl resolves them).

import { promises as fs } from "node:fs";
import path from "node:path";
import { parseKubeconfig, type Kubeconfig } from "../cluster/kubeconfig/index.js";

export interface Credentials {
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  /** Skip server certificate verification (kubeconfig insecure-skip-tls-verify). */
  insecureSkipTLSVerify?: boolean;
  /** TLS server name to verify instead of the URL's host (kubeconfig tls-server-name). */
  tlsServerName?: string;
}

/** A credential field: the base64 `*-data` value, or the referenced file. */
type Source = { data: string } | { file: string } | undefined;

export interface KubeconfigSelection {
  server: string;
  ca: Source;
  cert: Source;
  key: Source;
  insecureSkipTLSVerify: boolean;
  tlsServerName?: string;
}

function source(entry: Record<string, unknown>, field: string): Source {
  const data = entry[`${field}-data`];
  if (typeof data === "string" && data !== "") return { data: Buffer.from(data, "base64").toString("utf8") };
  const file = entry[field];
  if (typeof file === "string" && file !== "") return { file };
  return undefined;
}

/** The server and credential sources of a context (the current one unless named). Pure. */
export function selectFromKubeconfig(cfg: Kubeconfig, contextName?: string): KubeconfigSelection {
  const name = contextName ?? cfg["current-context"];
  if (!name) throw new Error("the kubeconfig has no current-context and no context was named");
  const ctx = cfg.contexts.find((c) => c.name === name)?.context;
  if (!ctx) throw new Error(`context ${JSON.stringify(name)} not found in the kubeconfig`);
  const cluster = cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new Error(`cluster ${JSON.stringify(ctx.cluster)} of context ${JSON.stringify(name)} not found in the kubeconfig`);
  if (typeof cluster.server !== "string" || cluster.server === "") throw new Error(`cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const user = (cfg.users.find((u) => u.name === ctx.user)?.user ?? {}) as Record<string, unknown>;
  const c = cluster as Record<string, unknown>;
  return {
    server: cluster.server,
    ca: source(c, "certificate-authority"),
    cert: source(user, "client-certificate"),
    key: source(user, "client-key"),
    insecureSkipTLSVerify: c["insecure-skip-tls-verify"] === true,
    ...(typeof c["tls-server-name"] === "string" ? { tlsServerName: c["tls-server-name"] } : {}),
  };
}

async function resolve(src: Source, baseDir: string): Promise<string | undefined> {
  if (!src) return undefined;
  if ("data" in src) return src.data;
  return fs.readFile(path.resolve(baseDir, src.file), "utf8");
}

export async function credentialsFromKubeconfigText(text: string, opts: { context?: string; baseDir?: string; source?: string } = {}): Promise<Credentials> {
  const sel = selectFromKubeconfig(parseKubeconfig(text, opts.source), opts.context);
  const base = opts.baseDir ?? process.cwd();
  const [ca, cert, key] = await Promise.all([resolve(sel.ca, base), resolve(sel.cert, base), resolve(sel.key, base)]);
  return {
    server: sel.server,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(sel.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    ...(sel.tlsServerName ? { tlsServerName: sel.tlsServerName } : {}),
  };
}

export async function credentialsFromKubeconfigFile(file: string, context?: string): Promise<Credentials> {
  const text = await fs.readFile(file, "utf8");
  return credentialsFromKubeconfigText(text, { context, baseDir: path.dirname(path.resolve(file)), source: file });
}
