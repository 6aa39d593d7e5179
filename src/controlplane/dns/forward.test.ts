import dgram from "node:dgram";
import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { Forwarder, parseResolvConf, parseUpstream, ResolvConfUpstreams, type Upstream } from "./forward.js";

describe("upstream resolvers", () => {
  it("reads the nameservers of resolv.conf", () => {
    const text = "# generated\nsearch example.com\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\nnameserver not-an-ip\noptions ndots:0\n";
    expect(parseResolvConf(text)).toEqual([
      { host: "127.0.0.11", port: 53 },
      { host: "fe80::1", port: 53 },
    ]);
  });
  it("parses upstream addresses with and without ports", () => {
    expect(parseUpstream("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 53 });
    expect(parseUpstream("10.0.0.2:5353")).toEqual({ host: "10.0.0.2", port: 5353 });
    expect(parseUpstream("[fd00::2]:5353")).toEqual({ host: "fd00::2", port: 5353 });
    expect(parseUpstream("fd00::2")).toEqual({ host: "fd00::2", port: 53 });
    expect(() => parseUpstream("dns.example:53")).toThrow(/bad upstream/);
  });
});

describe("following resolv.conf", () => {
  function fakeFile(text: string | undefined) {
    const file = { text, mtimeMs: 1, stats: 0, reads: 0, clock: 0 };
    const source = new ResolvConfUpstreams({
      stat: () => {
        file.stats++;
        return file.text === undefined ? undefined : { ino: 7, size: file.text.length, mtimeMs: file.mtimeMs };
      },
      read: () => {
        file.reads++;
        if (file.text === undefined) throw new Error("ENOENT");
        return file.text;
      },
      now: () => file.clock,
    });
    const write = (t: string | undefined) => {
      file.text = t;
      file.mtimeMs++;
    };
    return { file, source, write };
  }

  it("reads the file once, then only stats it, at most once per second", () => {
    const { file, source } = fakeFile("nameserver 127.0.0.11\n");
    const first = source.get();
    expect(first).toEqual([{ host: "127.0.0.11", port: 53 }]);
    for (let i = 0; i < 100; i++) expect(source.get()).toBe(first);
    expect([file.stats, file.reads]).toEqual([1, 1]);
    file.clock = 1000;
    expect(source.get()).toBe(first);
    expect([file.stats, file.reads]).toEqual([2, 1]);
  });

  it("picks up a changed file at the next check, with a new array only when the nameservers changed", () => {
    const { file, source, write } = fakeFile("nameserver 127.0.0.11\n");
    const first = source.get();
    write("nameserver 192.0.2.1\nnameserver 192.0.2.2\n");
    file.clock = 500;
    expect(source.get()).toBe(first); // not checked yet
    file.clock = 1000;
    const second = source.get();
    expect(second).toEqual([
      { host: "192.0.2.1", port: 53 },
      { host: "192.0.2.2", port: 53 },
    ]);
    write("# same servers, a comment more\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n");
    file.clock = 2000;
    expect(source.get()).toBe(second);
    expect(file.reads).toBe(3);
  });

  it("gives no upstreams while the file is missing, and follows it when it comes back", () => {
    const { file, source, write } = fakeFile(undefined);
    expect(source.get()).toEqual([]);
    write("nameserver 10.0.0.2\n");
    file.clock = 1000;
    expect(source.get()).toEqual([{ host: "10.0.0.2", port: 53 }]);
    write(undefined);
    file.clock = 2000;
    expect(source.get()).toEqual([]);
  });

  it("reads again at the next check when a read failed, even if the file did not change", () => {
    let fail = true;
    let clock = 0;
    const source = new ResolvConfUpstreams({
      stat: () => ({ ino: 1, size: 20, mtimeMs: 5 }),
      read: () => {
        if (fail) throw new Error("EACCES");
        return "nameserver 10.0.0.3\n";
      },
      now: () => clock,
    });
    expect(source.get()).toEqual([]);
    fail = false;
    clock = 1000;
    expect(source.get()).toEqual([{ host: "10.0.0.3", port: 53 }]);
  });
});

describe("Forwarder with changing upstreams", () => {
  it("asks the upstream function on each query and drops its cache when the upstreams change", async () => {
    // Two tiny upstreams on loopback, each answering A with its own address.
    const servers = await Promise.all(["192.0.2.1", "192.0.2.2"].map((addr) => udpServer(addr)));
    try {
      let ups: Upstream[] = [{ host: "127.0.0.1", port: servers[0]!.port }];
      const fwd = new Forwarder({ upstreams: () => ups, timeoutMs: 1000 });
      const a = await fwd.resolve("x.example", "A");
      expect(a.answers.map((r) => (r as { data: string }).data)).toEqual(["192.0.2.1"]);
      expect((await fwd.resolve("x.example", "A")).cached).toBe(true);
      ups = [{ host: "127.0.0.1", port: servers[1]!.port }];
      const b = await fwd.resolve("x.example", "A");
      expect([b.cached, b.answers.map((r) => (r as { data: string }).data)]).toEqual([false, ["192.0.2.2"]]);
    } finally {
      for (const s of servers) s.sock.close();
    }
  });
});

async function udpServer(addr: string): Promise<{ sock: dgram.Socket; port: number }> {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions![0]!.name;
    const res = dnsPacket.encode({ type: "response", id: q.id, questions: q.questions, answers: [{ name, type: "A", ttl: 60, data: addr }] });
    sock.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { sock, port: sock.address().port };
}
