// Child process for update.test.ts: merges one named entry into a kubeconfig file, so the test can
// run several real processes against the same file at once.
import { buildKubeconfig, mergeKubeconfig } from "../index.js";

const [file, name] = process.argv.slice(2);
if (!file || !name) throw new Error("usage: merge-child <kubeconfig> <name>");
await mergeKubeconfig(
  file,
  buildKubeconfig({ name, server: `https://${name}.test:6443`, caCert: `ca-${name}`, clientCert: `cert-${name}`, clientKey: `key-${name}` }),
);
