// `minicluster server`: the control plane in the foreground (the master node container runs
// exactly this).

import type { Argv } from "yargs";
import { startControlPlane } from "../controlplane/index.js";
import { sqliteNativeBinding } from "../controlplane/store/sqlite/native-binding.js";
import { UsageError } from "./errors.js";

export interface ServerArgs {
  dataDir: string;
  port: number;
  bind: string;
  tlsSan: string[];
  kubeconfig?: string;
  store: "sqlite" | "memory";
}

export function serverCommand(y: Argv): Argv<ServerArgs> {
  return y
    .option("data-dir", { type: "string", demandOption: true, describe: "Directory for the store, certificates and kubeconfig" })
    .option("port", { type: "number", default: 6443, describe: "HTTPS port of the API server" })
    .option("bind", { type: "string", default: "127.0.0.1", describe: "Address to listen on" })
    .option("tls-san", { type: "string", array: true, default: [] as string[], describe: "Extra DNS name or IP in the serving certificate (repeatable)" })
    .option("kubeconfig", { type: "string", describe: "Where to write the admin kubeconfig (default DATA_DIR/kubeconfig)" })
    .option("store", { choices: ["sqlite", "memory"] as const, default: "sqlite" as const, describe: "Store backend", hidden: true })
    .check((a) => {
      if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${String(a.port)}`);
      if (!a["data-dir"]) throw new UsageError("--data-dir must not be empty");
      return true;
    }) as unknown as Argv<ServerArgs>;
}

export async function runServer(args: ServerArgs, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const started = Date.now();
  const cp = await startControlPlane({
    dataDir: args.dataDir,
    port: args.port,
    bind: args.bind,
    tlsSans: args.tlsSan,
    kubeconfigPath: args.kubeconfig,
    store: args.store,
    sqliteNativeBinding: sqliteNativeBinding(),
    log: (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`),
  });
  out(`minicluster server ready at ${cp.url} in ${Date.now() - started} ms (kubeconfig: ${cp.kubeconfigPath})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await cp.stop();
}
