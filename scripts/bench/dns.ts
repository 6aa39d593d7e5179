// Cluster DNS benchmark: the DNS server (this process) answers from a model of SERVICES Services
// (default 1,000, one in ten headless with 10 endpoints); a load generator in a child process
// sends RATE queries/s (default 2,000) for SECONDS (default 5) over UDP, cycling through the
// service names, and reports q/s, p50, p99 and max latency and unanswered queries.
// The target: p99 ≤ 2 ms at 2,000 q/s. Run: npm run bench -- dns

import { execFile } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { KubeObject } from "../../src/api/registry/types.js";
import { DnsZone } from "../../src/controlplane/dns/records.js";
import { startDnsServer } from "../../src/controlplane/dns/server.js";
import type { DnsLoadResult } from "../../test/test-utils/dns-load.js";
import { REPO } from "./common.js";

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

// The load generator runs in a child process, so that it does not share the server's event loop.
const generator = `
import { dnsLoad } from ${JSON.stringify(pathToFileURL(path.join(REPO, "test/test-utils/dns-load.ts")).href)};
const [port, rate, seconds, services] = process.argv.slice(1).map(Number);
const names = Array.from({ length: services }, (_, i) => "svc-" + i + ".bench.svc.cluster.local");
// Right: no error and at least one answer.
const ok = (msg) => (msg.readUInt16BE(2) & 0xf) === 0 && msg.readUInt16BE(6) > 0;
console.log(JSON.stringify(await dnsLoad({ port, rate, seconds, names, ok })));
`;

const out = await new Promise<string>((resolve, reject) =>
  execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", generator, String(server.port), String(RATE), String(SECONDS), String(SERVICES)], (err, stdout) =>
    err ? reject(err) : resolve(stdout),
  ),
);
await server.close();
const r = JSON.parse(out) as DnsLoadResult;
console.log(
  `dns: ${r.sent} queries at ${r.qps.toFixed(0)} q/s over UDP: ${r.sent - r.answered} unanswered, ${r.bad} wrong; ` +
    `p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, max ${r.max.toFixed(3)} ms (target p99 ≤ 2 ms at 2,000 q/s)`,
);
