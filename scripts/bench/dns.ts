// Cluster DNS benchmark: the DNS server (this process) answers from a model of SERVICES Services
// (default 1,000, one in ten headless with 10 endpoints); a load generator in a child process
// sends RATE queries/s (default 2,000) for SECONDS (default 5) over UDP, cycling through the
// service names, and reports q/s, p50, p99 and max latency and unanswered queries.
// The target: p99 ≤ 2 ms at 2,000 q/s. Run: npm run bench -- dns

import { execFile } from "node:child_process";
import type { KubeObject } from "../../src/api/registry/types.js";
import { DnsZone } from "../../src/controlplane/dns/records.js";
import { startDnsServer } from "../../src/controlplane/dns/server.js";

const SERVICES = Number(process.env.SERVICES ?? 1000);
const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 5);

const services: KubeObject[] = [];
const slices: KubeObject[] = [];
for (let i = 0; i < SERVICES; i++) {
  const headless = i % 10 === 0;
  const name = `svc-${i}`;
  services.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "bench" },
    spec: { clusterIP: headless ? "None" : `10.96.${(i >> 8) & 255}.${i & 255}`, ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  });
  if (headless) {
    slices.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-x`, namespace: "bench", labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      endpoints: Array.from({ length: 10 }, (_, j) => ({ addresses: [`10.244.${i & 255}.${j + 1}`], conditions: { ready: true } })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    } as KubeObject);
  }
}
const t0 = performance.now();
const zone = new DnsZone({ services, endpointSlices: slices, pods: [] });
console.log(`model of ${SERVICES} services built in ${(performance.now() - t0).toFixed(1)} ms`);
const server = await startDnsServer({ lookup: (n, t) => zone.lookup(n, t), port: 0, upstreams: [] });

const generator = `
import { createRequire } from "node:module";
import dgram from "node:dgram";
const dnsPacket = createRequire(process.cwd() + "/")("dns-packet");
const [port, rate, seconds, services] = process.argv.slice(1).map(Number);
const names = Array.from({ length: services }, (_, i) => "svc-" + i + ".bench.svc.cluster.local");
const sock = dgram.createSocket("udp4");
const sent = new Map();
const lat = [];
let bad = 0;
sock.on("message", (msg) => {
  const now = process.hrtime.bigint();
  const id = msg.readUInt16BE(0);
  const t = sent.get(id);
  if (t === undefined) return;
  sent.delete(id);
  lat.push(Number(now - t) / 1e6);
  if ((msg.readUInt16BE(2) & 0xf) !== 0 || msg.readUInt16BE(6) === 0) bad++;
});
sock.bind(0, "127.0.0.1", async () => {
  const total = rate * seconds;
  const start = process.hrtime.bigint();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
    for (; i < due; i++) {
      const id = i & 0xffff;
      const buf = dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: names[i % names.length], type: "A" }] });
      sent.set(id, process.hrtime.bigint());
      sock.send(buf, port, "127.0.0.1");
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise((r) => setTimeout(r, 1000));
  sock.close();
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  console.log(JSON.stringify({ sent: total, answered: lat.length, bad, qps: total / elapsed, p50: p(0.5), p99: p(0.99), max: p(1) }));
});
`;

const out = await new Promise<string>((resolve, reject) =>
  execFile(process.execPath, ["--input-type=module", "-e", generator, String(server.port), String(RATE), String(SECONDS), String(SERVICES)], (err, stdout) =>
    err ? reject(err) : resolve(stdout),
  ),
);
await server.close();
const r = JSON.parse(out) as { sent: number; answered: number; bad: number; qps: number; p50: number; p99: number; max: number };
console.log(
  `dns: ${r.sent} queries at ${r.qps.toFixed(0)} q/s over UDP: ${r.sent - r.answered} unanswered, ${r.bad} wrong; ` +
    `p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, max ${r.max.toFixed(3)} ms (target p99 ≤ 2 ms at 2,000 q/s)`,
);
