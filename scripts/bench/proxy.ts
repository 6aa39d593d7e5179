// Service proxy benchmark: SERVICES Services × ENDPOINTS ready endpoints each (defaults 1,000 × 10),
// NodePort for one in ten. Times the rule generation (desiredRules) and iptables-nft-restore in a
// network namespace made for the run (needs root): the first full sync into empty tables, a forced
// full resync (iptables-save read + rewrite of everything), and a sync after one endpoint changed
// (what a rollout step costs: the whole text is still rewritten in one transaction).
// Run: npm run bench -- proxy   (VARIANT=legacy for iptables-legacy)

import { execFileSync } from "node:child_process";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { IptablesApplier } from "../../src/proxy/applier.js";
import { desiredRules } from "../../src/proxy/rules.js";

const SERVICES = Number(process.env.SERVICES ?? 1000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const VARIANT = (process.env.VARIANT ?? "nft") as "nft" | "legacy";
const NS = `mctest-proxy-bench-${process.pid}`;

function objects(changed: boolean): { services: Service[]; slices: EndpointSlice[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${i}`;
    const nodePort = i % 10 === 0;
    services.push({
      metadata: { name, namespace: "bench" },
      spec: {
        type: nodePort ? "NodePort" : "ClusterIP",
        clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
        ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http", ...(nodePort ? { nodePort: 30000 + i } : {}) }],
      },
    });
    slices.push({
      addressType: "IPv4",
      metadata: { name: `${name}-x`, namespace: "bench", labels: { "kubernetes.io/service-name": name } },
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: Array.from({ length: ENDPOINTS }, (_, j) => {
        const n = i * ENDPOINTS + j + (changed && i === 0 && j === 0 ? 1_000_000 : 0);
        return { addresses: [`10.${244 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`], conditions: { ready: true } };
      }),
    });
  }
  return { services, slices };
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

const a = objects(false);
const b = objects(true);
const cfg = { podSubnet: "10.244.0.0/16" };
desiredRules(a.services, a.slices, cfg); // warm up
const [rules, genMs] = time(() => desiredRules(a.services, a.slices, cfg));
const [rulesB, genBMs] = time(() => desiredRules(b.services, b.slices, cfg));
console.log(`${SERVICES} services × ${ENDPOINTS} endpoints: ${rules.nat.rules.length + rules.filter.rules.length} rules, ${rules.nat.chains.length} chains, ${(rules.text.length / 1e6).toFixed(1)} MB of text`);
console.log(`generation: ${genMs.toFixed(0)} ms (again, one endpoint changed: ${genBMs.toFixed(0)} ms)`);

execFileSync("ip", ["netns", "add", NS]);
try {
  const applier = new IptablesApplier({ netns: NS, variant: VARIANT });
  const [, firstMs] = await timeAsync(() => applier.apply(rules));
  const [, forcedMs] = await timeAsync(() => applier.apply(rules, { force: true }));
  const [, changeMs] = await timeAsync(() => applier.apply(rulesB));
  const [unchanged, unchangedMs] = await timeAsync(() => applier.apply(rulesB));
  console.log(`iptables-${VARIANT}-restore: first full sync ${firstMs.toFixed(0)} ms, forced resync (save + restore) ${forcedMs.toFixed(0)} ms, one endpoint changed ${changeMs.toFixed(0)} ms, unchanged ${unchangedMs.toFixed(1)} ms (${unchanged})`);
  console.log(`full sync (generation + restore): ${(genBMs + changeMs).toFixed(0)} ms`);
} finally {
  execFileSync("ip", ["netns", "del", NS]);
}
