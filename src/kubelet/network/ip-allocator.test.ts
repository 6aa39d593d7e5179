import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { IpAllocator } from "./ip-allocator.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), "ipam-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("IpAllocator", () => {
  it("hands out addresses after the gateway, and the same one again to the same pod", async () => {
    const a = new IpAllocator(tmp(), "10.244.1.0/24");
    expect(await a.allocate("p1")).toBe("10.244.1.2");
    expect(await a.allocate("p2")).toBe("10.244.1.3");
    expect(await a.allocate("p1")).toBe("10.244.1.2");
    expect(readFileSync(path.join(a.dir, "10.244.1.2"), "utf8")).toBe("p1");
  });

  it("does not reuse a released address at once, and survives a restart (a new instance)", async () => {
    const dir = tmp();
    const a = new IpAllocator(dir, "10.244.1.0/24");
    await a.allocate("p1");
    await a.allocate("p2");
    await a.release("p1");
    const b = new IpAllocator(dir, "10.244.1.0/24");
    expect(await b.allocate("p3")).toBe("10.244.1.4");
    expect(await b.list()).toEqual(new Map([["10.244.1.3", "p2"], ["10.244.1.4", "p3"]]));
  });

  it("wraps around to free addresses and fails when the range is full", async () => {
    const a = new IpAllocator(tmp(), "10.244.1.0/29"); // .2 - .6
    for (const p of ["a", "b", "c", "d", "e"]) await a.allocate(p);
    await expect(a.allocate("f")).rejects.toThrow("no free pod IP left in 10.244.1.0/29");
    await a.release("b");
    expect(await a.allocate("f")).toBe("10.244.1.3");
  });

  it("keeps going forward while pods are replaced two at a time (the last address is never read half-written)", async () => {
    const a = new IpAllocator(tmp(), "10.244.1.0/24");
    let prev = 1;
    for (let round = 0; round < 100; round++) {
      const pair = [`r${round}a`, `r${round}b`];
      const ips = (await Promise.all(pair.map((u) => a.allocate(u)))).map((ip) => Number(ip.split(".")[3]));
      expect(Math.min(...ips), `round ${round}`).toBeGreaterThan(prev);
      prev = Math.max(...ips);
      if (prev > 240) break;
      await Promise.all(pair.map((u) => a.release(u)));
    }
    expect(prev).toBeGreaterThan(200);
  });

  it("never gives one address to two pods set up at the same time", async () => {
    const dir = tmp();
    const uids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    // Separate instances: as good as separate processes for the files.
    const ips = await Promise.all(uids.map((u) => new IpAllocator(dir, "10.244.1.0/24").allocate(u)));
    expect(new Set(ips).size).toBe(uids.length);
  });
});
