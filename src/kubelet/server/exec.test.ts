import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runcExecLauncher, shellQuote, spawnExec, terminalProcess, underPty } from "./exec.js";
import type { ChildProcess } from "node:child_process";

function run(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = "";
    child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("exec launcher", () => {
  it("quotes words for /bin/sh", () => {
    expect(shellQuote("plain/path-1.2")).toBe("plain/path-1.2");
    expect(shellQuote("it's a test")).toBe(`'it'\\''s a test'`);
    expect(underPty(["sh", "-c", "exit 2"], { width: 80, height: 24 })).toEqual([
      "script", "--quiet", "--flush", "--return", "--command", "stty rows 24 cols 80 2>/dev/null; exec sh -c 'exit 2'", "/dev/null",
    ]);
    expect(underPty(["runc", "exec", "-t", "x", "sh"], undefined, true)[5]).toBe("stty raw -echo 2>/dev/null; exec runc exec -t x sh");
  });

  it("builds the runc exec command line", () => {
    // The launcher spawns; point it at a runc that is /bin/echo to see its argv.
    const p = runcExecLauncher({ runc: "/bin/echo", root: "/run/mc" })({
      handle: { runcId: "ctr1", podUid: "u", namespace: "n", pod: "p", container: "c", logPath: "", running: true, tty: false, stdin: false },
      command: ["ls", "-l"],
      tty: false,
      stdin: false,
    });
    return run(p.child).then((r) => expect(r.out).toBe("--root /run/mc exec ctr1 ls -l\n"));
  });

  it("starts a terminal exec from the bundle's process with its consoleSize (runc sizes the pty before the command runs)", async () => {
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-exec-"));
    try {
      const base = { user: { uid: 0, gid: 0 }, cwd: "/work", env: ["PATH=/bin", "TERM=dumb"], args: ["sleep", "1"], capabilities: { bounding: ["CAP_KILL"] }, noNewPrivileges: true };
      fs.writeFileSync(path.join(bundleDir, "config.json"), JSON.stringify({ ociVersion: "1.0.2", process: base }));
      expect(terminalProcess(base, ["sh"], { width: 132.4, height: 40 })).toEqual({ ...base, args: ["sh"], terminal: true, consoleSize: { height: 40, width: 132 }, env: ["PATH=/bin", "TERM=xterm"] });

      const handle = { runcId: "ctr1", bundleDir, podUid: "u", namespace: "n", pod: "p", container: "c", logPath: "", running: true, tty: true, stdin: true };
      // /bin/echo stands in for runc: it prints its arguments; the process file is removed after.
      const p = runcExecLauncher({ runc: "/bin/echo" })({ handle, command: ["sh", "-c", "stty size"], tty: true, stdin: true, size: { width: 132, height: 40 } });
      const files = fs.readdirSync(bundleDir).filter((f) => f.startsWith("exec-"));
      expect(files).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(path.join(bundleDir, files[0]!), "utf8"))).toMatchObject({ args: ["sh", "-c", "stty size"], terminal: true, consoleSize: { height: 40, width: 132 } });
      const r = await run(p.child);
      expect(r.out.trim()).toBe(`exec --process ${path.join(bundleDir, files[0]!)} ctr1`);
      await new Promise((res) => setTimeout(res, 50));
      expect(fs.readdirSync(bundleDir).filter((f) => f.startsWith("exec-"))).toEqual([]);

      // No bundle to read: plain `runc exec --tty`.
      const q = runcExecLauncher({ runc: "/bin/echo" })({ handle: { ...handle, bundleDir: path.join(bundleDir, "gone") }, command: ["sh"], tty: true, stdin: true, size: { width: 80, height: 24 } });
      expect((await run(q.child)).out.trim()).toBe("exec --tty --env TERM=xterm ctr1 sh");
    } finally {
      fs.rmSync(bundleDir, { recursive: true, force: true });
    }
  });

  it("runs under a pty with the first size, resizes it later, and returns the exit code", async () => {
    const p = spawnExec(["sh", "-c", "tty; stty size; read line; stty size; exit 4"], { tty: true, stdin: true, size: { width: 100, height: 30 } });
    const result = run(p.child);
    let out = "";
    p.child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
    while (!out.includes("30 100")) await new Promise((r) => setTimeout(r, 10));
    await p.resize({ width: 90, height: 20 });
    p.child.stdin?.write("go\n");
    const r = await result;
    expect(r.out).toMatch(/^\/dev\/pts\/\d+\r\n30 100\r\n/);
    expect(r.out).toContain("20 90");
    expect(r.code).toBe(4);
  });

  it("applies resizes sent at once in their order (kubectl attach sends size+1, then the size)", async () => {
    const p = spawnExec(["sh", "-c", "read line; stty size"], { tty: true, stdin: true });
    const result = run(p.child);
    void p.resize({ width: 101, height: 31 });
    await p.resize({ width: 100, height: 30 });
    p.child.stdin?.write("go\n");
    expect((await result).out).toContain("30 100");
  });
});
