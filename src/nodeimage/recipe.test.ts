import { describe, expect, it } from "vitest";
import {
  NODE_RECIPE,
  baseImageTag,
  baseRecipeHash,
  debianArch,
  debootstrapArgs,
  isValidImageRef,
  keepsBelow,
  nodeDockerfile,
  nodeImageHash,
  nodeImageTag,
  pathMatches,
  splitImageRef,
} from "./recipe.js";

describe("recipe", () => {
  it("carries what the node contract needs", () => {
    expect(NODE_RECIPE.suite).toBe("bookworm");
    expect(NODE_RECIPE.variant).toBe("minbase");
    for (const p of ["runc", "iptables", "iproute2", "ca-certificates"]) expect(NODE_RECIPE.packages).toContain(p);
  });

  it("base hash: stable, independent of package order, changed by any recipe change or the architecture", () => {
    const h = baseRecipeHash(NODE_RECIPE, "amd64");
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(baseRecipeHash({ ...NODE_RECIPE, packages: [...NODE_RECIPE.packages].reverse() }, "amd64")).toBe(h);
    expect(baseRecipeHash({ ...NODE_RECIPE, packages: [...NODE_RECIPE.packages, "curl"] }, "amd64")).not.toBe(h);
    expect(baseRecipeHash({ ...NODE_RECIPE, trim: [...NODE_RECIPE.trim, "usr/share/zoneinfo/*"] }, "amd64")).not.toBe(h);
    expect(baseRecipeHash({ ...NODE_RECIPE, version: NODE_RECIPE.version + 1 }, "amd64")).not.toBe(h);
    expect(baseRecipeHash(NODE_RECIPE, "arm64")).not.toBe(h);
    expect(baseImageTag(NODE_RECIPE, "amd64")).toBe(`minicluster/node-base:${h}`);
  });

  it("node hash depends on the base tag and every byte of the executable", () => {
    const exe = Buffer.from("#!/bin/sh\necho minicluster\n");
    const h = nodeImageHash("minicluster/node-base:aaa", exe);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(nodeImageHash("minicluster/node-base:aaa", Buffer.from(exe))).toBe(h);
    const changed = Buffer.from(exe);
    changed[changed.length - 2] ^= 1;
    expect(nodeImageHash("minicluster/node-base:aaa", changed)).not.toBe(h);
    expect(nodeImageHash("minicluster/node-base:bbb", exe)).not.toBe(h);
    expect(nodeImageTag(h)).toBe(`minicluster/node:${h}`);
  });

  it("Dockerfile: the base, the executable, labels, stop signal and entrypoint of the contract", () => {
    expect(nodeDockerfile("minicluster/node-base:abc", "0123456789ab").split("\n")).toEqual([
      "FROM minicluster/node-base:abc",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072",
      "COPY minicluster /usr/local/bin/minicluster",
      "LABEL io.minicluster.image=node io.minicluster.recipe-hash=0123456789ab",
      "STOPSIGNAL SIGTERM",
      'ENTRYPOINT ["/usr/local/bin/minicluster", "node"]',
      "",
    ]);
  });

  it("debootstrap arguments", () => {
    expect(debootstrapArgs({ ...NODE_RECIPE, packages: ["runc", "iptables"] }, "/w/rootfs", { uri: "http://m/debian", keyring: "/k.gpg" }, "amd64")).toEqual([
      "--variant=minbase",
      "--arch=amd64",
      "--components=main",
      "--include=runc,iptables",
      "--keyring=/k.gpg",
      "bookworm",
      "/w/rootfs",
      "http://m/debian",
    ]);
    expect(debootstrapArgs(NODE_RECIPE, "/w", { uri: "http://m/debian" }, "amd64").some((a) => a.startsWith("--keyring"))).toBe(false);
  });

  it("maps Node architectures to Debian's", () => {
    expect(debianArch("x64")).toBe("amd64");
    expect(debianArch("arm64")).toBe("arm64");
    expect(() => debianArch("mips")).toThrow(/no Debian architecture/);
  });
});

describe("trim patterns", () => {
  it("pathMatches: * stays within one segment", () => {
    expect(pathMatches("usr/share/doc/*", "usr/share/doc/bash")).toBe(true);
    expect(pathMatches("usr/share/doc/*", "usr/share/doc/bash/copyright")).toBe(false);
    expect(pathMatches("var/cache/debconf/*-old", "var/cache/debconf/config.dat-old")).toBe(true);
    expect(pathMatches("var/cache/debconf/*-old", "var/cache/debconf/config.dat")).toBe(false);
    expect(pathMatches("usr/share/locale/locale.alias", "usr/share/locale/localeXalias")).toBe(false);
  });

  it("keepsBelow: whether something under a path must survive", () => {
    const keep = ["usr/share/doc/*/copyright", "usr/share/locale/locale.alias"];
    expect(keepsBelow(keep, "usr/share/doc/bash")).toBe(true);
    expect(keepsBelow(keep, "usr/share/doc/bash/copyright")).toBe(true);
    expect(keepsBelow(keep, "usr/share/man/man1")).toBe(false);
    expect(keepsBelow(keep, "usr/share/locale/de")).toBe(false);
    expect(keepsBelow(keep, "usr/share/locale/locale.alias")).toBe(true);
  });
});

describe("image references", () => {
  it("splits repo and tag", () => {
    expect(splitImageRef("minicluster/node:abc")).toEqual({ repo: "minicluster/node", tag: "abc" });
    expect(splitImageRef("localhost:5000/node")).toEqual({ repo: "localhost:5000/node", tag: "latest" });
    expect(splitImageRef("localhost:5000/node:v1")).toEqual({ repo: "localhost:5000/node", tag: "v1" });
  });

  it("validates --image values", () => {
    for (const ok of ["my/node:dev", "node", "registry.local:5000/team/node:1.2.3", "a_b/c-d:x_y.z"]) expect(isValidImageRef(ok), ok).toBe(true);
    for (const bad of ["", "My/Node", "node:", "node:tag:x", "node@sha256:abc", "-node", "node:-x", "a//b"]) expect(isValidImageRef(bad), bad).toBe(false);
  });
});
