// `npm run bench -- dns-pod`: cluster DNS under load from inside a pod, on a real 3-node cluster.
//  1. `create --name bench-dns --nodes 3`, `load docker-image` of the busybox test image, SERVICES
//     (20) ClusterIP Services (no selector, a port named http), and one idle pod on bench-dns-worker.
//  2. Debian's dnsperf runs on this host inside that pod's network namespace (nsenter --net= the
//     pod's named netns, reached through the worker container's /proc/PID/root), so every query
//     takes the pods' path: pod netns → veth → the worker's iptables DNAT of 10.96.0.10 (the
//     kube-dns Service) → the Docker network → the control-plane node's DNS server (port 53).
//     Queries cycle through a file mixing A for kubernetes.default, kube-dns and the Services, SRV
//     for _http._tcp of some, AAAA (NODATA) and NXDOMAIN names in the cluster zone; nothing is
//     forwarded upstream.
//  3. After a 2 s warm-up, RUNS (3) runs of SECONDS (20) at RATE (2,000) queries/s (`dnsperf -Q`,
//     at most 100 outstanding): dnsperf's own figures (sent, completed, lost, q/s, average) and,
//     from its per-query lines (`-v`: rcode and latency of each answer), p50/p90/p99/p99.9/max and
//     answers with an unexpected rcode. The issue's target: p99 ≤ 2 ms at 2,000 q/s.
//  4. Deletes the cluster, also on failure (KEEP=1 keeps it).
// Needs root (nsenter) and dnsperf (`apt-get install dnsperf`; scripts/setup.sh installs it).
// Builds nothing: uses dist/minicluster, or MINICLUSTER_BENCH_EXE.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { podNames } from "../../src/kubelet/network/rules.js";
import { ensureTestImage } from "../../test/test-utils/images.js";
import { benchEnv, quantile } from "./common.js";

const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 20);
const RUNS = Number(process.env.RUNS ?? 3);
const SERVICES = Number(process.env.SERVICES ?? 20);
const KEEP = process.env.KEEP === "1";
const name = "bench-dns";
const worker = `${name}-worker`;
const DNS_IP = "10.96.0.10";
const { home, kubeconfig, env, mc } = benchEnv("dns");
const docker = new Docker();

if (spawnSync("dnsperf", ["-h"]).error) {
  console.error("dnsperf is missing: apt-get install dnsperf (scripts/setup.sh installs it)");
  process.exit(1);
}

function kubectl(args: string[], input?: string): string {
  return execFileSync("kubectl", args, { env, encoding: "utf8", input, stdio: ["pipe", "pipe", "inherit"] });
}

/** The query file (one "name type" a line) and the rcode each line must get. */
function queries(): { text: string; expected: Map<string, string> } {
  const lines: Array<[string, string, string]> = [
    ["kubernetes.default.svc.cluster.local", "A", "NOERROR"],
    ["kube-dns.kube-system.svc.cluster.local", "A", "NOERROR"],
  ];
  for (let i = 0; i < SERVICES; i++) lines.push([`svc-${i}.default.svc.cluster.local`, "A", "NOERROR"]);
  for (let i = 0; i < 5; i++) lines.push([`_http._tcp.svc-${i}.default.svc.cluster.local`, "SRV", "NOERROR"]);
  for (let i = 0; i < 3; i++) lines.push([`svc-${i}.default.svc.cluster.local`, "AAAA", "NOERROR"]);
  for (let i = 0; i < 5; i++) lines.push([`missing-${i}.default.svc.cluster.local`, "A", "NXDOMAIN"]);
  lines.push(["svc-0.no-such-namespace.svc.cluster.local", "A", "NXDOMAIN"]);
  lines.push(["nothing.cluster.local", "A", "NXDOMAIN"]);
  return {
    text: lines.map(([n, t]) => `${n} ${t}`).join("\n") + "\n",
    expected: new Map(lines.map(([n, t, r]) => [`${n} ${t}`, r])),
  };
}

interface RunResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  avgMs: number;
  latencies: number[];
  rcodes: Map<string, number>;
  unexpected: number;
  load: [number, number];
}

/** dnsperf in the pod's netns; returns its output. */
function dnsperf(netns: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("nsenter", [`--net=${netns}`, "dnsperf", "-s", DNS_IP, ...args], { maxBuffer: 256 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`dnsperf ${args.join(" ")}: ${String(err)} ${stderr}`)) : resolve(stdout),
    ),
  );
}

function parse(out: string, expected: Map<string, string>, load: [number, number]): RunResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const latencies: number[] = [];
  const rcodes = new Map<string, number>();
  let unexpected = 0;
  for (const m of out.matchAll(/^> (\S+) (\S+) (\S+) ([\d.]+)$/gm)) {
    const [, rcode, qname, qtype, secs] = m;
    rcodes.set(rcode!, (rcodes.get(rcode!) ?? 0) + 1);
    if (expected.get(`${qname} ${qtype}`) !== rcode) unexpected++;
    latencies.push(Number(secs) * 1000);
  }
  latencies.sort((a, b) => a - b);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    latencies,
    rcodes,
    unexpected,
    load,
  };
}

const { busybox } = await ensureTestImage(docker);
mc(["delete", "--name", name], { quiet: true });
try {
  console.log(`cluster ${name} created in ${(mc(["create", "--name", name, "--nodes", "3", "--kubeconfig", kubeconfig]) / 1000).toFixed(1)} s`);
  mc(["load", "docker-image", busybox, "--name", name]);
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `svc-${i}`, namespace: "default" },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  }));
  kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: services }));
  const overrides = JSON.stringify({ spec: { nodeName: worker, automountServiceAccountToken: false, terminationGracePeriodSeconds: 1 } });
  kubectl(["run", "dns-client", `--image=${busybox}`, "--restart=Never", `--overrides=${overrides}`, "--command", "--", "sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]);
  kubectl(["wait", "--for=condition=Ready", "pod/dns-client", "--timeout=120s"]);
  const [uid, podIP] = kubectl(["get", "pod", "dns-client", "-o", "jsonpath={.metadata.uid} {.status.podIP}"]).trim().split(" ");
  // The pod's named netns lives in the worker container's mount namespace; its /proc/PID/root reaches it.
  const workerPid = (await docker.getContainer(worker).inspect()).State.Pid;
  const netns = `/proc/${workerPid}/root/run/netns/${podNames(uid!).netns}`;
  const addr = execFileSync("nsenter", [`--net=${netns}`, "ip", "-4", "-o", "addr", "show", "eth0"], { encoding: "utf8" });
  if (!addr.includes(`${podIP}/`)) throw new Error(`${netns} is not the pod's network namespace (eth0: ${addr.trim()}, pod IP ${podIP})`);
  console.log(`pod dns-client (${podIP}) on ${worker}: dnsperf runs in ${netns}`);

  const { text, expected } = queries();
  const file = path.join(home, "queries.txt");
  fs.writeFileSync(file, text);
  // Wait until the server knows the last Service.
  const last = path.join(home, "last.txt");
  fs.writeFileSync(last, `svc-${SERVICES - 1}.default.svc.cluster.local A\n`);
  for (let i = 0; ; i++) {
    if (/NOERROR 1\b/.test(await dnsperf(netns, ["-d", last, "-n", "1", "-t", "1"]).catch(() => ""))) break;
    if (i >= 60) throw new Error("the cluster DNS does not answer for the Services from the pod");
    await new Promise((r) => setTimeout(r, 500));
  }
  await dnsperf(netns, ["-d", file, "-Q", String(RATE), "-l", "2"]); // warm-up
  console.log(`${text.split("\n").length - 1} query lines; ${RUNS} runs of ${SECONDS} s at ${RATE} q/s (the issue's target: p99 ≤ 2 ms at 2,000 q/s)`);
  for (let run = 1; run <= RUNS; run++) {
    const before = os.loadavg()[0]!;
    const out = await dnsperf(netns, ["-d", file, "-Q", String(RATE), "-l", String(SECONDS), "-v"]);
    const r = parse(out, expected, [before, os.loadavg()[0]!]);
    const ms = (v: number) => `${v.toFixed(3)} ms`;
    const lat = r.latencies;
    console.log(
      `run ${run}: sent ${r.sent}, completed ${r.completed}, lost ${r.lost}, ${r.qps.toFixed(0)} q/s, average ${ms(r.avgMs)}; ` +
        (lat.length
          ? `p50 ${ms(quantile(lat, 0.5))}, p90 ${ms(quantile(lat, 0.9))}, p99 ${ms(quantile(lat, 0.99))}, p99.9 ${ms(quantile(lat, 0.999))}, max ${ms(lat.at(-1)!)}; `
          : "no answers; ") +
        `rcodes ${[...r.rcodes].map(([c, n]) => `${c} ${n}`).join(", ")}, ${r.unexpected} unexpected; load average ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}`,
    );
  }
} finally {
  if (!KEEP) mc(["delete", "--name", name]);
  fs.rmSync(home, { recursive: true, force: true });
}
