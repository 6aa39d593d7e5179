// Installs the desired rules with one `iptables-restore --noflush` transaction: only our chains are
// flushed and rewritten, so a connection never sees a half-written rule set, and nobody else's rules
// are touched. The kernel is read (iptables-save) on the first sync and on forced ones (the periodic
// resync that repairs what someone else changed); in between the applier trusts what it applied
// last, and skips the call altogether when the text is unchanged.

import { execa } from "execa";
import { parseKernelState, restoreInput, type DesiredRules, type KernelState } from "./rules.js";

/** Runs a command with optional stdin; resolves to its stdout, rejects with its stderr. */
export type Exec = (file: string, args: string[], input?: string) => Promise<string>;

export interface ApplierOptions {
  /** iptables variant: "nft" (default: the node image's, where the pod network's rules are) or "legacy". */
  variant?: "nft" | "legacy";
  exec?: Exec;
  /** Run the commands inside this network namespace (`ip netns exec NAME`): tests. */
  netns?: string;
}

export type ApplyResult = "unchanged" | "applied";

const defaultExec: Exec = async (file, args, input) => {
  try {
    const r = await execa(file, args, { input: input ?? "", stripFinalNewline: false, maxBuffer: 512 * 1024 * 1024 });
    return r.stdout;
  } catch (err) {
    const e = err as { stderr?: string; shortMessage?: string };
    throw new Error(`${file} ${args.join(" ")}: ${(e.stderr || e.shortMessage || String(err)).trim()}`, { cause: err });
  }
};

export class IptablesApplier {
  private readonly exec: Exec;
  private readonly save: string;
  private readonly restore: string;
  private readonly netns: string | undefined;
  /** The desired text last applied, and the chains it made. */
  private last: { text: string; chains: KernelState["chains"] } | undefined;

  constructor(opts: ApplierOptions = {}) {
    this.exec = opts.exec ?? defaultExec;
    const v = opts.variant ?? "nft";
    this.save = `iptables-${v}-save`;
    this.restore = `iptables-${v}-restore`;
    this.netns = opts.netns;
  }

  /** Makes the kernel's rules the desired ones. `force`: read the kernel and rewrite even if unchanged. */
  async apply(desired: DesiredRules, opts: { force?: boolean } = {}): Promise<ApplyResult> {
    if (!opts.force && this.last?.text === desired.text) return "unchanged";
    let state: KernelState;
    if (opts.force || !this.last) {
      state = await this.readKernel();
    } else state = { chains: this.last.chains };
    const input = restoreInput(desired, state);
    this.last = undefined; // if the restore fails, the next sync reads the kernel again
    await this.run(this.restore, ["--noflush"], input);
    this.last = { text: desired.text, chains: { nat: new Set(desired.nat.chains), filter: new Set(desired.filter.chains) } };
    return "applied";
  }

  /** Removes our jumps and chains (the proxy is turned off). */
  async cleanup(): Promise<void> {
    const state = await this.readKernel();
    let input = "";
    for (const table of ["nat", "filter"] as const) {
      const chains = [...state.chains[table]];
      const jumps = state.hooks[table].filter((l) => chains.some((c) => l.endsWith(`-j ${c}`))).map((l) => `-D ${l.slice(3)}`);
      input += [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...jumps, ...chains.map((c) => `-X ${c}`), "COMMIT"].join("\n") + "\n";
    }
    await this.run(this.restore, ["--noflush"], input);
    this.last = undefined;
  }

  private async readKernel(): Promise<ReturnType<typeof parseKernelState>> {
    const [nat, filter] = await Promise.all([this.run(this.save, ["-t", "nat"]), this.run(this.save, ["-t", "filter"])]);
    return parseKernelState(nat + filter);
  }

  private run(file: string, args: string[], input?: string): Promise<string> {
    return this.netns ? this.exec("ip", ["netns", "exec", this.netns, file, ...args], input) : this.exec(file, args, input);
  }
}
