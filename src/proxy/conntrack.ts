// Clearing UDP conntrack entries that the new rules would not make. A UDP "connection" has no end:
// the kernel keeps its NAT decision (conntrack entry) for as long as packets keep coming (30 s
// after the last one, 120 s once it saw replies both ways), so a client that keeps sending from one
// port would go on talking to an endpoint that is gone, and packets sent to a cluster IP before it
// had endpoints keep their un-NATed entry. As kube-proxy does, after each sync we delete:
//   - the entries DNATed to an endpoint a UDP service port no longer has;
//   - every entry to a UDP service port that had no endpoints before and has some now.
// TCP needs none of this: a connection to a vanished endpoint gets a reset or times out.

import { execa } from "execa";

/** One UDP service port as the rules saw it: its cluster IP, ports and usable endpoint addresses. */
export interface UdpServicePort {
  /** "ns/name:port" (kube-proxy's service port name). */
  name: string;
  clusterIP: string;
  port: number;
  nodePort?: number;
  endpoints: string[];
}

/** A `conntrack -D -p udp` filter: original destination address/port, and the address it was DNATed to. */
export interface UdpFlowFilter {
  origDst?: string;
  dport: number;
  dstNat?: string;
}

function key(p: UdpServicePort): string {
  return `${p.name}|${p.clusterIP}|${p.port}|${p.nodePort ?? ""}`;
}

/**
 * The UDP flows to delete after rules for `next` replaced rules for `prev` (undefined: the first
 * sync since start, when the kernel may hold entries from before; every port with endpoints counts as new).
 */
export function staleUdpFlows(prev: UdpServicePort[] | undefined, next: UdpServicePort[]): UdpFlowFilter[] {
  const before = new Map((prev ?? []).map((p) => [key(p), p]));
  const after = new Map(next.map((p) => [key(p), p]));
  const out = new Map<string, UdpFlowFilter>();
  const add = (f: UdpFlowFilter) => out.set(`${f.origDst ?? ""}|${f.dport}|${f.dstNat ?? ""}`, f);

  for (const p of next) {
    if (p.endpoints.length === 0 || (before.get(key(p))?.endpoints.length ?? 0) > 0) continue;
    add({ origDst: p.clusterIP, dport: p.port });
    if (p.nodePort) add({ dport: p.nodePort });
  }
  for (const p of prev ?? []) {
    const still = new Set(after.get(key(p))?.endpoints ?? []);
    for (const ep of p.endpoints) {
      if (still.has(ep)) continue;
      add({ origDst: p.clusterIP, dport: p.port, dstNat: ep });
      if (p.nodePort) add({ dport: p.nodePort, dstNat: ep });
    }
  }
  return [...out.values()];
}

/** The conntrack(8) arguments deleting one filter's entries. */
export function conntrackDeleteArgs(f: UdpFlowFilter): string[] {
  return [
    "-D",
    "-p",
    "udp",
    ...(f.origDst ? ["--orig-dst", f.origDst] : []),
    "--orig-port-dst",
    String(f.dport),
    ...(f.dstNat ? ["--dst-nat", f.dstNat] : []),
  ];
}

export type ConntrackExec = (file: string, args: string[]) => Promise<{ exitCode: number; stderr: string }>;

const defaultExec: ConntrackExec = async (file, args) => {
  const r = await execa(file, args, { reject: false });
  return { exitCode: r.exitCode ?? 1, stderr: String(r.stderr ?? r.shortMessage ?? "") };
};

export class ConntrackCleaner {
  private readonly exec: ConntrackExec;
  private readonly netns: string | undefined;

  constructor(opts: { exec?: ConntrackExec; netns?: string } = {}) {
    this.exec = opts.exec ?? defaultExec;
    this.netns = opts.netns;
  }

  /** Deletes the matching entries; every filter is tried, then the failures are thrown together. */
  async delete(filters: UdpFlowFilter[]): Promise<void> {
    const errors: string[] = [];
    for (const f of filters) {
      const args = conntrackDeleteArgs(f);
      const r = this.netns ? await this.exec("ip", ["netns", "exec", this.netns, "conntrack", ...args]) : await this.exec("conntrack", args);
      // conntrack exits 1 when nothing matched ("0 flow entries have been deleted"): not an error.
      if (r.exitCode !== 0 && !/0 flow entries/.test(r.stderr)) errors.push(`conntrack ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    if (errors.length) throw new Error(errors.join("; "));
  }
}
