import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findExecutable, isDebootstrapPhaseLine, trimRootfs } from "./build.js";

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "mc-nodeimage-unit-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function write(root: string, rel: string, content = "x"): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(r);
      } else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

describe("trimRootfs", () => {
  it("removes trim paths, keeps the keep paths, empties the empty files", () => {
    const root = tmp();
    write(root, "usr/share/doc/bash/copyright");
    write(root, "usr/share/doc/bash/README");
    write(root, "usr/share/doc/bash/examples/x");
    write(root, "usr/share/doc/nocopy/changelog.gz");
    write(root, "usr/share/man/man1/ls.1.gz");
    write(root, "usr/share/locale/locale.alias");
    write(root, "usr/share/locale/de/LC_MESSAGES/x.mo");
    write(root, "var/cache/debconf/config.dat");
    write(root, "var/cache/debconf/config.dat-old");
    write(root, "etc/resolv.conf", "nameserver 1.2.3.4\n");
    write(root, "usr/bin/runc");
    fs.mkdirSync(path.join(root, "var/log"), { recursive: true });
    fs.symlinkSync("/proc/self/mounts", path.join(root, "etc/mtab"));
    trimRootfs(root, {
      trim: ["usr/share/doc/*", "usr/share/man/*", "usr/share/locale/*", "var/cache/debconf/*-old", "var/log/*", "no/such/*"],
      keep: ["usr/share/doc/*/copyright", "usr/share/locale/locale.alias"],
      empty: ["etc/resolv.conf", "etc/hostname"],
    });
    expect(files(root)).toEqual([
      "etc/",
      "etc/hostname",
      "etc/mtab",
      "etc/resolv.conf",
      "usr/",
      "usr/bin/",
      "usr/bin/runc",
      "usr/share/",
      "usr/share/doc/",
      "usr/share/doc/bash/",
      "usr/share/doc/bash/copyright",
      "usr/share/locale/",
      "usr/share/locale/locale.alias",
      "usr/share/man/",
      "var/",
      "var/cache/",
      "var/cache/debconf/",
      "var/cache/debconf/config.dat",
      "var/log/",
    ]);
    expect(fs.readFileSync(path.join(root, "etc/resolv.conf"), "utf8")).toBe("");
    expect(fs.readlinkSync(path.join(root, "etc/mtab"))).toBe("/proc/self/mounts");
  });

  it("never follows a symbolic link out of the root filesystem", () => {
    const root = tmp();
    const outside = tmp();
    write(outside, "precious");
    fs.mkdirSync(path.join(root, "usr/share"), { recursive: true });
    fs.symlinkSync(outside, path.join(root, "usr/share/doc"));
    write(root, "etc/resolv.conf");
    fs.rmSync(path.join(root, "etc/resolv.conf"));
    fs.symlinkSync(path.join(outside, "precious"), path.join(root, "etc/resolv.conf"));
    trimRootfs(root, { trim: ["usr/share/doc/*", "usr/share/doc"], keep: [], empty: ["etc/resolv.conf"] });
    expect(fs.readFileSync(path.join(outside, "precious"), "utf8")).toBe("x");
    expect(fs.lstatSync(path.join(root, "etc/resolv.conf")).isFile()).toBe(true);
  });
});

describe("debootstrap output", () => {
  it("shows phases and problems, not one line per package", () => {
    const shown = [
      "I: Retrieving InRelease ",
      "I: Checking Release signature",
      "I: Retrieving Packages ",
      "I: Validating Packages ",
      "I: Retrieving libc6 2.36-9+deb12u10",
      "I: Validating libc6 2.36-9+deb12u10",
      "I: Extracting base-files...",
      "I: Installing core packages...",
      "I: Unpacking required packages...",
      "I: Unpacking libc6:amd64...",
      "I: Configuring required packages...",
      "I: Configuring runc...",
      "I: Base system installed successfully.",
      "W: Failure trying to run: chroot ...",
      "E: Couldn't find these debs: nope",
      "",
      "dpkg: warning: something",
    ].filter(isDebootstrapPhaseLine);
    expect(shown).toEqual([
      "I: Retrieving InRelease ",
      "I: Checking Release signature",
      "I: Retrieving Packages ",
      "I: Validating Packages ",
      "I: Installing core packages...",
      "I: Unpacking required packages...",
      "I: Configuring required packages...",
      "I: Base system installed successfully.",
      "W: Failure trying to run: chroot ...",
      "E: Couldn't find these debs: nope",
    ]);
  });
});

describe("findExecutable", () => {
  it("searches PATH, then the sbin directories", () => {
    const d = tmp();
    write(d, "tool", "#!/bin/sh\n");
    fs.chmodSync(path.join(d, "tool"), 0o755);
    write(d, "notexec", "");
    expect(findExecutable("tool", `/nonexistent:${d}`)).toBe(path.join(d, "tool"));
    expect(findExecutable("notexec", d)).toBeUndefined();
    expect(findExecutable("definitely-not-a-tool-mc", d)).toBeUndefined();
  });
});
