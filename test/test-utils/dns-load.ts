// A paced DNS load over UDP, for the DNS server's load test and `npm run bench -- dns` (which runs
// it in a child process, away from the server's event loop): `rate` A queries a second for
// `seconds`, cycling through `names`, each sent when due (checked every millisecond), ids cycling
// through 16 bits; latency is send to answer.
import dgram from "node:dgram";
import * as dnsPacket from "dns-packet";

export interface DnsLoadOptions {
  port: number;
  host?: string;
  rate: number;
  seconds: number;
  names: string[];
  /** Whether an answer is right; the others count as `bad`. */
  ok(answer: Buffer): boolean;
  /** How long to wait for the last answers after the last query (default 1 s). */
  drainMs?: number;
}

export interface DnsLoadResult {
  sent: number;
  answered: number;
  bad: number;
  /** Queries sent per second over the sending time. */
  qps: number;
  /** Latencies in ms (nearest rank below: index floor(q·n)). */
  p50: number;
  p99: number;
  max: number;
}

export async function dnsLoad(opts: DnsLoadOptions): Promise<DnsLoadResult> {
  const host = opts.host ?? "127.0.0.1";
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const sent = new Map<number, bigint>();
  const latencies: number[] = [];
  let bad = 0;
  sock.on("message", (msg) => {
    const now = process.hrtime.bigint();
    const id = msg.readUInt16BE(0);
    const t = sent.get(id);
    if (t === undefined) return;
    sent.delete(id);
    latencies.push(Number(now - t) / 1e6);
    if (!opts.ok(msg)) bad++;
  });
  const total = opts.rate * opts.seconds;
  const start = process.hrtime.bigint();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * opts.rate) + 1);
    for (; i < due; i++) {
      const id = i & 0xffff;
      const buf = dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: opts.names[i % opts.names.length]!, type: "A" }] });
      sent.set(id, process.hrtime.bigint());
      sock.send(buf, opts.port, host);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const drainEnd = Date.now() + (opts.drainMs ?? 1000);
  while (latencies.length < total && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 10));
  sock.close();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { sent: total, answered: latencies.length, bad, qps: total / elapsed, p50: p(0.5), p99: p(0.99), max: p(1) };
}
