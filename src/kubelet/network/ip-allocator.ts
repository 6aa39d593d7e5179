// Pod IPs of one node range, kept as files so they survive kubelet and container restarts (the
// directory is on the node's volume): DIR/<ip> holds the uid of the pod that has it, created with
// O_EXCL so two pods never get the same address, even when set up at the same time. Like CNI's
// host-local plugin, the search starts after the last address handed out, so a released address
// is not reused at once (a stale ARP entry or connection elsewhere would reach the new pod).

import { promises as fs } from "node:fs";
import path from "node:path";
import { ipv4ToNumber, numberToIPv4 } from "../../cluster/config/cidr.js";
import { inRange, podRange, type PodRange } from "./rules.js";

const LAST = "last-reserved";
let tmpSeq = 0;
/** The allocation in progress per directory. */
const queues = new Map<string, Promise<void>>();

export class IpAllocator {
  readonly range: PodRange;

  constructor(
    /** One directory per range (a node whose range changes starts afresh). */
    readonly dir: string,
    cidr: string,
  ) {
    this.range = podRange(cidr);
  }

  /** An address for `uid`: the one it already holds, else a free one. Throws when the range is full. */
  allocate(uid: string): Promise<string> {
    // One at a time per directory in this process, so that the last address only moves forward
    // (two at once could leave the lower one recorded, and the higher one, once released, would
    // be handed out again at once). O_EXCL still guards against other processes.
    const run = (queues.get(this.dir) ?? Promise.resolve()).then(() => this.allocateNow(uid));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(this.dir, settled);
    void settled.then(() => {
      if (queues.get(this.dir) === settled) queues.delete(this.dir);
    });
    return run;
  }

  private async allocateNow(uid: string): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true });
    const held = await this.list();
    for (const [ip, owner] of held) if (owner === uid) return ip;
    const { first, last } = this.range;
    const count = last - first + 1;
    let start = first;
    try {
      const prev = ipv4ToNumber((await fs.readFile(path.join(this.dir, LAST), "utf8")).trim());
      if (prev >= first && prev <= last) start = prev + 1;
    } catch {
      // none yet
    }
    for (let i = 0; i < count; i++) {
      const n = first + ((start - first + i) % count);
      const ip = numberToIPv4(n);
      if (held.has(ip)) continue;
      try {
        await fs.writeFile(path.join(this.dir, ip), uid, { flag: "wx" });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") continue; // taken meanwhile
        throw err;
      }
      // Written aside and renamed over: a plain writeFile truncates first, and an allocation reading
      // meanwhile (another process, or before allocations were queued) got "" or half an address
      // and restarted at the range's start, reusing addresses just released.
      const tmp = path.join(this.dir, `${LAST}.${process.pid}.${++tmpSeq}`);
      await fs.writeFile(tmp, ip);
      await fs.rename(tmp, path.join(this.dir, LAST));
      return ip;
    }
    throw new Error(`no free pod IP left in ${this.range.cidr}`);
  }

  /** Frees the addresses `uid` holds (all of them: a crash may have left more than one). */
  async release(uid: string): Promise<void> {
    for (const [ip, owner] of await this.list()) if (owner === uid) await fs.rm(path.join(this.dir, ip), { force: true });
  }

  /** Address -> holder. */
  async list(): Promise<Map<string, string>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      throw err;
    }
    const ips = names.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n) && inRange(this.range, n));
    const owners = await Promise.all(ips.map((ip) => fs.readFile(path.join(this.dir, ip), "utf8").catch(() => undefined)));
    const out = new Map<string, string>();
    ips.forEach((ip, i) => {
      if (owners[i] !== undefined) out.set(ip, owners[i]!.trim());
    });
    return out;
  }
}
