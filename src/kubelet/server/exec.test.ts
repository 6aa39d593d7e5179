import { describe, expect, it } from "vitest";
import { runcExecLauncher, shellQuote, spawnExec, underPty } from "./exec.js";
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
