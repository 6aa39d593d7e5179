import { describe, expect, it } from "vitest";
import { buildKubeconfig } from "./build.js";
import { mergeEntries, removeEntries } from "./merge.js";
import { emptyKubeconfig, type Kubeconfig } from "./types.js";

const entry = (name: string, server = `https://${name}:6443`): Kubeconfig =>
  buildKubeconfig({ name, server, caCert: `ca-${name}`, clientCert: `cert-${name}`, clientKey: `key-${name}` });

const names = (cfg: Kubeconfig) => ({
  clusters: cfg.clusters.map((c) => c.name),
  users: cfg.users.map((u) => u.name),
  contexts: cfg.contexts.map((c) => c.name),
});

describe("buildKubeconfig", () => {
  it("embeds base64 credentials and names all three entries alike", () => {
    const cfg = buildKubeconfig({ name: "mc-dev", server: "https://127.0.0.1:6443", caCert: "CA", clientCert: "CERT", clientKey: "KEY", namespace: "apps" });
    expect(cfg).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "mc-dev", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0E=" } }],
      users: [{ name: "mc-dev", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }],
      contexts: [{ name: "mc-dev", context: { cluster: "mc-dev", user: "mc-dev", namespace: "apps" } }],
      "current-context": "mc-dev",
      preferences: {},
    });
    expect(buildKubeconfig({ name: "x", server: "s", caCert: "", clientCert: "", clientKey: "" }).contexts[0].context).not.toHaveProperty("namespace");
    expect(() => buildKubeconfig({ name: "", server: "s", caCert: "", clientCert: "", clientKey: "" })).toThrow();
  });
});

describe("mergeEntries", () => {
  it("adds to an empty config and sets the current context", () => {
    const out = mergeEntries(emptyKubeconfig(), entry("a"));
    expect(names(out)).toEqual({ clusters: ["a"], users: ["a"], contexts: ["a"] });
    expect(out["current-context"]).toBe("a");
  });

  it("appends after existing entries and keeps their order and unknown fields", () => {
    const base: Kubeconfig = { ...mergeEntries(mergeEntries(emptyKubeconfig(), entry("x")), entry("y")), extensions: [{ name: "e" }] };
    base.users[0].user.token = "keep-me";
    const out = mergeEntries(base, entry("a"), { setCurrent: false });
    expect(names(out).clusters).toEqual(["x", "y", "a"]);
    expect(out["current-context"]).toBe("y");
    expect(out.extensions).toEqual([{ name: "e" }]);
    expect(out.users[0].user.token).toBe("keep-me");
  });

  it("replaces an entry of the same name in place", () => {
    const base = [entry("x"), entry("a"), entry("y")].reduce((cfg, e) => mergeEntries(cfg, e), emptyKubeconfig());
    const out = mergeEntries(base, entry("a", "https://new:1"));
    expect(names(out)).toEqual({ clusters: ["x", "a", "y"], users: ["x", "a", "y"], contexts: ["x", "a", "y"] });
    expect(out.clusters[1].cluster.server).toBe("https://new:1");
    expect(out["current-context"]).toBe("a");
  });

  it("does not mutate its inputs", () => {
    const base = mergeEntries(emptyKubeconfig(), entry("x"));
    const snapshot = structuredClone(base);
    mergeEntries(base, entry("a"));
    removeEntries(base, "x");
    expect(base).toEqual(snapshot);
  });
});

describe("removeEntries", () => {
  const base = [entry("x"), entry("a"), entry("y")].reduce((cfg, e) => mergeEntries(cfg, e), emptyKubeconfig());

  it.each([
    ["the current context", "y", ""],
    ["another context", "a", "y"],
    ["an unknown name", "nope", "y"],
  ])("removing %s", (_what, name, wantCurrent) => {
    const out = removeEntries(base, name);
    const left = ["x", "a", "y"].filter((n) => n !== name);
    expect(names(out)).toEqual({ clusters: left, users: left, contexts: left });
    expect(out["current-context"]).toBe(wantCurrent);
  });
});
