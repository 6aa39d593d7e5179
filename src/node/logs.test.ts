import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatLine, openNodeLogs } from "./logs.js";
import { nodePaths } from "./paths.js";

describe("node logs", () => {
  it("prefixes each line with the component", () => {
    expect(formatLine("kubelet", new Date("2026-01-01T00:00:00Z"), "registered")).toBe("[kubelet] 2026-01-01T00:00:00.000Z registered\n");
  });

  it("writes to stderr and appends to <component>.log", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-logs-"));
    try {
      const logDir = path.join(dir, "var/log/minicluster");
      const seen: string[] = [];
      const now = () => new Date("2026-01-01T00:00:00Z");
      let logs = openNodeLogs({ logDir, stderr: (l) => seen.push(l), now });
      logs.component("server")("one");
      logs.component("kubelet")("two");
      logs.close();
      logs = openNodeLogs({ logDir, stderr: (l) => seen.push(l), now });
      logs.component("server")("three");
      logs.close();
      expect(seen).toHaveLength(3);
      expect(fs.readFileSync(path.join(logDir, "server.log"), "utf8")).toBe(
        "[server] 2026-01-01T00:00:00.000Z one\n[server] 2026-01-01T00:00:00.000Z three\n",
      );
      expect(fs.readFileSync(path.join(logDir, "kubelet.log"), "utf8")).toBe("[kubelet] 2026-01-01T00:00:00.000Z two\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lays out the node's directories under one root", () => {
    expect(nodePaths("/")).toMatchObject({
      configFile: "/etc/minicluster/node.json",
      pkiDir: "/etc/minicluster/pki",
      stateDir: "/var/lib/minicluster",
      serverDir: "/var/lib/minicluster/server",
      logDir: "/var/log/minicluster",
    });
    expect(nodePaths("/tmp/r").logDir).toBe("/tmp/r/var/log/minicluster");
  });
});
