import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DEBIAN_MIRROR, hostDebianMirror, parseDeb822Sources, parseOneLineSources, pickDebianMirror } from "./mirror.js";

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe("apt sources parsing", () => {
  it("reads deb822 stanzas, skipping comments", () => {
    const s = parseDeb822Sources(DEB822);
    expect(s).toEqual([
      { uri: "http://deb.debian.org/debian", suites: ["bookworm", "bookworm-updates"], components: ["main"], signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg" },
      { uri: "http://deb.debian.org/debian-security", suites: ["bookworm-security"], components: ["main"], signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg" },
    ]);
  });

  it("skips deb-src-only and disabled stanzas, and inline keys are not keyrings", () => {
    const s = parseDeb822Sources(
      `Types: deb-src\nURIs: http://a/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://b/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb deb-src\nURIs: http://c/debian http://d/debian\nSuites: bookworm\nComponents: main contrib\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n`,
    );
    expect(s).toEqual([
      { uri: "http://c/debian", suites: ["bookworm"], components: ["main", "contrib"] },
      { uri: "http://d/debian", suites: ["bookworm"], components: ["main", "contrib"] },
    ]);
  });

  it("reads one-line sources with options and comments", () => {
    const s = parseOneLineSources(
      "# a comment\ndeb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian/ bookworm main contrib # trailing\ndeb-src http://mirror.example/debian bookworm main\n\ndeb http://security.debian.org/debian-security bookworm-security main\n",
    );
    expect(s).toEqual([
      { uri: "http://mirror.example/debian/", suites: ["bookworm"], components: ["main", "contrib"], signedBy: "/usr/share/keyrings/x.gpg" },
      { uri: "http://security.debian.org/debian-security", suites: ["bookworm-security"], components: ["main"] },
    ]);
  });
});

describe("pickDebianMirror", () => {
  it("picks the Debian archive, not security or third-party repositories", () => {
    const sources = [
      ...parseOneLineSources("deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\ndeb [signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main\n"),
      ...parseDeb822Sources(DEB822).reverse(),
    ];
    expect(pickDebianMirror(sources)).toEqual({ uri: "http://deb.debian.org/debian", keyring: "/usr/share/keyrings/debian-archive-keyring.gpg" });
  });

  it("accepts a local mirror and strips the trailing slash", () => {
    expect(pickDebianMirror(parseOneLineSources("deb http://10.0.0.5:3142/debian/ bookworm main\n"))).toEqual({ uri: "http://10.0.0.5:3142/debian" });
  });

  it("finds nothing on an Ubuntu host or with only third-party sources", () => {
    expect(pickDebianMirror(parseOneLineSources("deb http://archive.ubuntu.com/ubuntu jammy main restricted\n"))).toBeUndefined();
    expect(pickDebianMirror(parseOneLineSources("deb https://deb.nodesource.com/node_20.x nodistro main\n"))).toBeUndefined();
    expect(pickDebianMirror([])).toBeUndefined();
  });
});

describe("hostDebianMirror", () => {
  it("reads sources.list and sources.list.d, ignoring other file names, and honours the override", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-mirror-"));
    try {
      fs.mkdirSync(path.join(dir, "sources.list.d"));
      fs.writeFileSync(path.join(dir, "sources.list.d", "nodesource.sources.disabled"), "Types: deb\nURIs: http://wrong/debian\nSuites: bookworm\nComponents: main\n");
      expect(hostDebianMirror({}, dir)).toEqual({ uri: DEFAULT_DEBIAN_MIRROR });
      fs.writeFileSync(path.join(dir, "sources.list.d", "debian.sources"), "Types: deb\nURIs: http://mirror.local/debian\nSuites: bookworm\nComponents: main\nSigned-By: /nonexistent/keyring.gpg\n");
      expect(hostDebianMirror({}, dir)).toEqual({ uri: "http://mirror.local/debian" });
      fs.writeFileSync(path.join(dir, "sources.list"), "deb http://first.example/debian bookworm main\n");
      expect(hostDebianMirror({}, dir).uri).toBe("http://first.example/debian");
      expect(hostDebianMirror({ MINICLUSTER_DEBIAN_MIRROR: "http://forced/debian/" }, dir)).toEqual({ uri: "http://forced/debian" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
