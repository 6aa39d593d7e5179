import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildKubeconfig } from "./build.js";
import { parseKubeconfig, readKubeconfig, stringifyKubeconfig, writeKubeconfig } from "./file.js";
import { emptyKubeconfig } from "./types.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "kcfg-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("parseKubeconfig", () => {
  it.each([
    ["empty text", ""],
    ["a comment only", "# nothing\n"],
    ["null lists", "apiVersion: v1\nkind: Config\nclusters: null\nusers:\ncontexts: []\n"],
  ])("reads %s as an empty config", (_what, text) => {
    expect(parseKubeconfig(text)).toEqual(emptyKubeconfig());
  });

  it("keeps fields it does not know", () => {
    const cfg = parseKubeconfig("apiVersion: v1\nkind: Config\nextensions:\n  - name: x\npreferences:\n  colors: true\n");
    expect(cfg.extensions).toEqual([{ name: "x" }]);
    expect(cfg.preferences).toEqual({ colors: true });
  });

  it.each([
    ["invalid YAML", "clusters: [\n", /parsing/],
    ["a list at top level", "- a\n", /not a mapping/],
    ["clusters not a list", "clusters: {}\n", /"clusters" is not a list/],
  ])("rejects %s", (_what, text, err) => {
    expect(() => parseKubeconfig(text)).toThrow(err);
  });

  it("round-trips through stringify without folding long base64 lines", () => {
    const cfg = buildKubeconfig({ name: "a", server: "https://h:1", caCert: "x".repeat(500), clientCert: "c", clientKey: "k" });
    const text = stringifyKubeconfig(cfg);
    expect(text).toMatch(/certificate-authority-data: \S{600,}\n/);
    expect(parseKubeconfig(text)).toEqual(cfg);
  });
});

describe("readKubeconfig / writeKubeconfig", () => {
  it("treats a missing file as empty", async () => {
    expect(await readKubeconfig(path.join(dir, "missing"))).toEqual(emptyKubeconfig());
  });

  it("writes mode 0600, creating parent directories, without leaving temp files", async () => {
    const file = path.join(dir, "sub", ".kube", "config");
    const cfg = buildKubeconfig({ name: "a", server: "https://h:1", caCert: "ca", clientCert: "c", clientKey: "k" });
    await writeKubeconfig(file, cfg);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await readKubeconfig(file)).toEqual(cfg);
    expect(await fs.readdir(path.dirname(file))).toEqual(["config"]);
  });

  it("writes through a symlink, keeping the link", async () => {
    const real = path.join(dir, "real-config");
    const link = path.join(dir, "config");
    await fs.writeFile(real, "");
    await fs.symlink(real, link);
    await writeKubeconfig(link, buildKubeconfig({ name: "a", server: "https://h:1", caCert: "", clientCert: "", clientKey: "" }));
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await readKubeconfig(real)).clusters[0].name).toBe("a");
  });
});
