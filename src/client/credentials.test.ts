import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildKubeconfig, stringifyKubeconfig } from "../cluster/kubeconfig/index.js";
import { credentialsFromKubeconfigFile, credentialsFromKubeconfigText, selectFromKubeconfig } from "./credentials.js";

const embedded = buildKubeconfig({ name: "mc", server: "https://127.0.0.1:6443", caCert: "CA PEM", clientCert: "CERT PEM", clientKey: "KEY PEM" });

describe("kubeconfig credentials", () => {
  it("decodes the embedded *-data fields of the current context", async () => {
    expect(await credentialsFromKubeconfigText(stringifyKubeconfig(embedded))).toEqual({ server: "https://127.0.0.1:6443", ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM" });
  });

  it("picks a named context, and reports what is missing", () => {
    const cfg = structuredClone(embedded);
    cfg.clusters.push({ name: "other", cluster: { server: "https://other:6443", "insecure-skip-tls-verify": true } });
    cfg.contexts.push({ name: "o", context: { cluster: "other", user: "nobody" } });
    expect(selectFromKubeconfig(cfg, "o")).toEqual({ server: "https://other:6443", ca: undefined, cert: undefined, key: undefined, insecureSkipTLSVerify: true });
    expect(() => selectFromKubeconfig(cfg, "nope")).toThrow(/context "nope" not found/);
    expect(() => selectFromKubeconfig({ ...cfg, "current-context": "" })).toThrow(/no current-context/);
  });

  it("reads file references relative to the kubeconfig's directory", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-cred-"));
    try {
      fs.writeFileSync(path.join(dir, "ca.crt"), "CA FILE");
      fs.mkdirSync(path.join(dir, "u"));
      fs.writeFileSync(path.join(dir, "u", "c.crt"), "CERT FILE");
      fs.writeFileSync(path.join(dir, "u", "c.key"), "KEY FILE");
      const text = [
        "apiVersion: v1",
        "kind: Config",
        "current-context: x",
        "clusters: [{name: x, cluster: {server: 'https://h:1', certificate-authority: ca.crt}}]",
        "users: [{name: x, user: {client-certificate: u/c.crt, client-key: u/c.key}}]",
        "contexts: [{name: x, context: {cluster: x, user: x}}]",
      ].join("\n");
      fs.writeFileSync(path.join(dir, "config"), text);
      expect(await credentialsFromKubeconfigFile(path.join(dir, "config"))).toEqual({ server: "https://h:1", ca: "CA FILE", cert: "CERT FILE", key: "KEY FILE" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
