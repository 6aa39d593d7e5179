import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildKubeconfig } from "./build.js";
import { readKubeconfig } from "./file.js";
import { mergeKubeconfig, removeFromKubeconfig } from "./update.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "kcfg-upd-"));
  file = path.join(dir, ".kube", "config");
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const entry = (name: string, server = `https://${name}.test:6443`) =>
  buildKubeconfig({ name, server, caCert: `ca-${name}`, clientCert: `cert-${name}`, clientKey: `key-${name}` });

const contextNames = async () => (await readKubeconfig(file)).contexts.map((c) => c.name);

const OTHER_FILE = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://prod.example:443
  name: prod
contexts:
- context:
    cluster: prod
    user: prod-admin
  name: prod
current-context: prod
preferences: {}
users:
- name: prod-admin
  user:
    token: secret
`;

describe("mergeKubeconfig", () => {
  it("creates a missing file (and its directory) with mode 0600", async () => {
    await mergeKubeconfig(file, entry("a"));
    const cfg = await readKubeconfig(file);
    expect(cfg).toEqual(entry("a"));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(path.dirname(file))).toEqual(["config"]);
  });

  it("merges into an empty file", async () => {
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, "");
    await mergeKubeconfig(file, entry("a"));
    expect(await readKubeconfig(file)).toEqual(entry("a"));
  });

  it("keeps other entries and their content; setCurrent false leaves current-context", async () => {
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, OTHER_FILE);
    await mergeKubeconfig(file, entry("a"), { setCurrent: false });
    const cfg = await readKubeconfig(file);
    expect(cfg.clusters.map((c) => c.name)).toEqual(["prod", "a"]);
    expect(cfg.users.map((u) => u.name)).toEqual(["prod-admin", "a"]);
    expect(cfg.users[0].user.token).toBe("secret");
    expect(cfg["current-context"]).toBe("prod");
  });

  it("replaces an existing entry of the same name", async () => {
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, OTHER_FILE);
    await mergeKubeconfig(file, entry("a"));
    await mergeKubeconfig(file, entry("b"));
    await mergeKubeconfig(file, entry("a", "https://moved:1"));
    const cfg = await readKubeconfig(file);
    expect(cfg.contexts.map((c) => c.name)).toEqual(["prod", "a", "b"]);
    expect(cfg.clusters[1].cluster.server).toBe("https://moved:1");
    expect(cfg["current-context"]).toBe("a");
  });

  it("does not touch a file it cannot parse", async () => {
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, "clusters: {}\n");
    await expect(mergeKubeconfig(file, entry("a"))).rejects.toThrow(/not a list/);
    expect(await fs.readFile(file, "utf8")).toBe("clusters: {}\n");
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
  });

  it("loses nothing with 10 concurrent merges in one process", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    await Promise.all(names.map((n) => mergeKubeconfig(file, entry(n))));
    expect((await contextNames()).sort()).toEqual(names.sort());
  });

  it("loses nothing with 10 concurrent child processes", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, OTHER_FILE);
    const child = path.join(here, "testdata", "merge-child.ts");
    await Promise.all(names.map((n) => run(process.execPath, ["--import", "tsx", child, file, n], { cwd: repoRoot, timeout: 30_000 })));
    const cfg = await readKubeconfig(file);
    expect(cfg.contexts.map((c) => c.name).sort()).toEqual(["prod", ...names].sort());
    expect(cfg.users.map((u) => u.name).sort()).toEqual(["prod-admin", ...names].sort());
    expect(names).toContain(cfg["current-context"]);
    await expect(fs.access(`${file}.lock`)).rejects.toThrow();
  }, 60_000);
});

describe("removeFromKubeconfig", () => {
  it("removes the named entries, unsets current-context pointing there, keeps the rest", async () => {
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(file, OTHER_FILE);
    await mergeKubeconfig(file, entry("a"));
    expect(await removeFromKubeconfig(file, "a")).toBe(true);
    const cfg = await readKubeconfig(file);
    expect(cfg.contexts.map((c) => c.name)).toEqual(["prod"]);
    expect(cfg.clusters.map((c) => c.name)).toEqual(["prod"]);
    expect(cfg.users.map((u) => u.name)).toEqual(["prod-admin"]);
    expect(cfg["current-context"]).toBe("");
  });

  it("keeps current-context when it points elsewhere", async () => {
    await mergeKubeconfig(file, entry("a"));
    await mergeKubeconfig(file, entry("b"));
    await removeFromKubeconfig(file, "a");
    expect((await readKubeconfig(file))["current-context"]).toBe("b");
  });

  it("is a no-op for unknown names and missing files", async () => {
    expect(await removeFromKubeconfig(file, "a")).toBe(false);
    await expect(fs.access(file)).rejects.toThrow();
    await mergeKubeconfig(file, entry("b"));
    const before = await fs.readFile(file, "utf8");
    expect(await removeFromKubeconfig(file, "zzz")).toBe(false);
    expect(await fs.readFile(file, "utf8")).toBe(before);
  });

  it("runs safely alongside concurrent merges", async () => {
    await Promise.all(["a", "b", "c"].map((n) => mergeKubeconfig(file, entry(n))));
    await Promise.all([removeFromKubeconfig(file, "a"), mergeKubeconfig(file, entry("d")), removeFromKubeconfig(file, "c")]);
    expect((await contextNames()).sort()).toEqual(["b", "d"]);
  });
});
