// Starting a command for `kubectl exec`: `runc exec <id> <cmd...>` in the container.
//
// A terminal: a detached `runc exec -t` hands the container's pty master back only through
// --console-socket (SCM_RIGHTS fd passing), which Node cannot receive. In the foreground, though,
// runc receives the master itself and relays it to its own stdio, provided that stdio is a
// terminal (it puts it in raw mode and follows its size on SIGWINCH). So `runc exec -t` runs
// under util-linux `script`, which gives it a pty on the node and relays that pty's master to
// our pipes. Resizes set the outer pty's size with `stty -F /dev/pts/N`; the kernel signals
// SIGWINCH to runc, which resizes the container's pty. The first size goes into the process
// given to `runc exec --process` (consoleSize), so the container's pty has it before the command runs.

import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { ContainerHandle } from "./types.js";
import type { TerminalSize } from "../../streaming/index.js";

export interface ExecRequest {
  handle: ContainerHandle;
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** The terminal size the client announced first (tty only), applied before the command starts. */
  size?: TerminalSize;
}

export interface ExecProcess {
  child: ChildProcess;
  resize(size: TerminalSize): Promise<void>;
}

export type ExecLauncher = (req: ExecRequest) => ExecProcess;

/** Quotes one word for /bin/sh. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * argv that runs `argv` under a fresh pty (see above), returning its exit code. With a size, the
 * shell script(1) starts sets it on the pty (its stdin) before exec'ing the command.
 */
export function underPty(argv: string[], size?: TerminalSize, raw = false): string[] {
  let cmd = argv.map(shellQuote).join(" ");
  // raw: the command (runc) relays to a terminal of its own; the outer one must not echo too.
  const stty = [...(size && size.width > 0 && size.height > 0 ? [`rows ${Math.floor(size.height)} cols ${Math.floor(size.width)}`] : []), ...(raw ? ["raw -echo"] : [])];
  if (stty.length) cmd = `stty ${stty.join(" ")} 2>/dev/null; exec ${cmd}`;
  return ["script", "--quiet", "--flush", "--return", "--command", cmd, "/dev/null"];
}

/** Spawns argv (under a pty when tty), with a resize function that finds the pty slave. */
export function spawnExec(argv: string[], opts: { tty: boolean; stdin: boolean; size?: TerminalSize; raw?: boolean; env?: NodeJS.ProcessEnv }): ExecProcess {
  const full = opts.tty ? underPty(argv, opts.size, opts.raw) : argv;
  const child = spawn(full[0], full.slice(1), {
    stdio: [opts.stdin || opts.tty ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...(opts.env ?? process.env), SHELL: "/bin/sh" },
  });
  return { child, resize: opts.tty ? ptyResizer(child) : async () => {} };
}

/**
 * Sets the size of the pty that `child` (script(1), see underPty) gives its command. Resizes apply
 * one after the other, in order: kubectl attach sends two at once (one cell larger, then the real
 * size, to make the program redraw).
 */
export function ptyResizer(child: ChildProcess): (size: TerminalSize) => Promise<void> {
  let pty: string | undefined;
  let last: Promise<void> = Promise.resolve();
  const apply = async (size: TerminalSize) => {
    if (!child.pid || size.width <= 0 || size.height <= 0) return;
    pty ??= await findPty(child.pid);
    if (!pty) return;
    await new Promise<void>((resolve) => execFile("stty", ["-F", pty!, "rows", String(Math.floor(size.height)), "cols", String(Math.floor(size.width))], () => resolve()));
  };
  return (size) => (last = last.then(() => apply(size)));
}

/**
 * The pty slave that script's child (the shell that execs runc) has as stdin, waiting briefly for
 * it to appear. Only script's own children are looked at: deeper down, the container's processes
 * have the container's pty, whose /dev/pts/N names another pty in the node's namespace.
 */
async function findPty(pid: number): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = await ptyOfChildren(pid);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

async function ptyOfChildren(pid: number): Promise<string | undefined> {
  let children: number[];
  try {
    children = (await fs.readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
  for (const c of children) {
    try {
      const link = await fs.readlink(`/proc/${c}/fd/0`);
      if (link.startsWith("/dev/pts/")) return link;
    } catch {
      // gone already
    }
  }
  return undefined;
}

export interface RuncExecOptions {
  /** Default /usr/sbin/runc. */
  runc?: string;
  /** runc --root, if the pod manager keeps runc's state elsewhere than runc's default (/run/runc, what it uses now). */
  root?: string;
}

export function runcExecLauncher(opts: RuncExecOptions = {}): ExecLauncher {
  return (req) => {
    const argv = [opts.runc ?? "/usr/sbin/runc"];
    if (opts.root) argv.push("--root", opts.root);
    argv.push("exec");
    const processFile = req.tty && req.size ? writeTerminalProcess(req) : undefined;
    if (processFile) argv.push("--process", processFile, req.handle.runcId);
    else {
      if (req.tty) argv.push("--tty", "--env", "TERM=xterm");
      argv.push(req.handle.runcId, ...req.command);
    }
    const proc = spawnExec(argv, { tty: req.tty, stdin: req.stdin, size: req.size, raw: true });
    if (processFile) proc.child.once("close", () => void fs.rm(processFile, { force: true }));
    return proc;
  };
}

/**
 * For a terminal exec with a known size: the process `runc exec` would make from the container's
 * own (config.json's process with these args, a terminal and TERM=xterm) plus its consoleSize,
 * written next to the bundle. runc sizes the container's pty from it before the command runs;
 * otherwise it does so only after starting it, and a command that asks at once (`stty size`)
 * may find 0×0. Undefined (plain `runc exec -t`) when the bundle cannot be read.
 */
export function writeTerminalProcess(req: ExecRequest): string | undefined {
  if (!req.handle.bundleDir || !req.size || req.size.width <= 0 || req.size.height <= 0) return undefined;
  try {
    const spec = JSON.parse(readFileSync(path.join(req.handle.bundleDir, "config.json"), "utf8")) as { process?: Record<string, unknown> };
    if (!spec.process) return undefined;
    const file = path.join(req.handle.bundleDir, `exec-${randomBytes(6).toString("hex")}.json`);
    writeFileSync(file, JSON.stringify(terminalProcess(spec.process, req.command, req.size)));
    return file;
  } catch {
    return undefined;
  }
}

/** The OCI process of a terminal exec: `base` with `args`, a terminal of `size`, TERM=xterm. */
export function terminalProcess(base: Record<string, unknown>, args: string[], size: TerminalSize): Record<string, unknown> {
  const env = (Array.isArray(base.env) ? (base.env as string[]) : []).filter((e) => !e.startsWith("TERM="));
  return { ...base, args, terminal: true, consoleSize: { height: Math.floor(size.height), width: Math.floor(size.width) }, env: [...env, "TERM=xterm"] };
}
