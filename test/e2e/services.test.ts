// Issue 5's service proxy on a real 3-node cluster with the real kubectl: a 3-replica Deployment
// behind a ClusterIP Service answers from a pod on another node and spreads calls over every
// replica; a pod reaches itself through a Service (hairpin); with no endpoints left a connection
// is refused at once; a NodePort answers from the host on a worker's address. Cluster DNS at
// 10.96.0.10 (the control plane's server behind kube-system/kube-dns): service names, a headless
// service and an ExternalName resolve from the pod; a name outside the cluster goes to the
// upstream in the control-plane node's resolv.conf (a DNS server this test runs on the network's
// gateway, i.e. this host), followed without a restart; a pod's mounted ServiceAccount token lists
// pods through the API and a forged one gets 401.
import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import * as dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Agent, request } from "undici";
import { docker, dockerExec, e2eEnv, eventually } from "../test-utils/e2e.js";
import { ensureTestImage } from "../test-utils/images.js";

const env = e2eEnv("services");
const NAME = "e2e-svc";
const WORKERS = [`${NAME}-worker`, `${NAME}-worker2`];
let image: string;

interface PodObj {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { podIP?: string };
}

const k = (...args: string[]): Promise<string> => env.k(NAME, ...args);

async function pods(selector: string): Promise<PodObj[]> {
  return (JSON.parse(await k("get", "pods", "-l", selector, "-o", "json")) as { items: PodObj[] }).items;
}

async function clusterIP(svc: string): Promise<string> {
  return (await k("get", "service", svc, "-o", "jsonpath={.spec.clusterIP}")).trim();
}

/** Runs a shell line in the client pod; never throws. */
function inClient(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return env.kubectl(NAME, ["exec", "client", "--", "sh", "-c", line]);
}

/**
 * A DNS server on ADDRESS:53 (UDP and TCP) that knows one name: outside.mctest.example A
 * 192.0.2.55 (no other types); every other name is NXDOMAIN. Records the names it was asked.
 */
async function startOutsideDns(address: string): Promise<{ queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const answer = (msg: Buffer): Buffer => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    const name = question.name.toLowerCase().replace(/\.$/, "");
    queries.push(`${name} ${question.type}`);
    const base = { type: "response" as const, id: q.id, questions: q.questions, flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER };
    if (name !== "outside.mctest.example") return dnsPacket.encode({ ...base, flags: base.flags | 3 });
    return dnsPacket.encode({ ...base, answers: question.type === "A" ? [{ name: question.name, type: "A", ttl: 5, data: "192.0.2.55" }] : [] });
  };
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, rinfo) => udp.send(answer(msg), rinfo.port, rinfo.address));
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(53, address, () => resolve());
  });
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("error", () => sock.destroy());
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const res = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        sock.write(Buffer.concat([Buffer.from([res.length >> 8, res.length & 0xff]), res]));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(53, address, () => resolve());
  }).catch((err: unknown) => {
    udp.close();
    throw err;
  });
  return {
    queries,
    close: () => Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]).then(() => {}),
  };
}

// httpd answers with the pod's hostname (= pod name) on 8080 (as in workloads.test.ts).
const SERVE = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];
const IDLE = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

beforeAll(async () => {
  image = (await ensureTestImage(docker)).busybox;
  await env.mc(["delete", "--name", NAME]);
  const c = await env.mc(["create", "--name", NAME, "--nodes", "3"]);
  expect(c.code, c.stderr).toBe(0);
  const l = await env.mc(["load", "docker-image", image, "--name", NAME]);
  expect(l.code, l.stderr).toBe(0);
  // No ServiceAccount token volumes: these pods never talk to the API server.
  const web = JSON.parse(await k("create", "deployment", "web", `--image=${image}`, "--replicas=3", "--port=8080", "--dry-run=client", "-o", "json", "--", ...SERVE)) as {
    spec: { template: { spec: Record<string, unknown> } };
  };
  web.spec.template.spec.automountServiceAccountToken = false;
  const file = path.join(env.home, "web.json");
  fs.writeFileSync(file, JSON.stringify(web));
  await k("create", "-f", file);
  // The client sits on the second worker: every replica on the first is on another node.
  const overrides = JSON.stringify({ spec: { nodeName: WORKERS[1], automountServiceAccountToken: false } });
  await k("run", "client", `--image=${image}`, "--restart=Never", `--overrides=${overrides}`, "--command", "--", ...IDLE);
  await k("rollout", "status", "deployment/web", "--timeout=120s");
  await k("wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
}, 600_000);

afterAll(async () => {
  await env.mc(["delete", "--name", NAME]);
});

describe("the service proxy on 3 nodes", () => {
  test("a ClusterIP Service answers from a pod on another node, and every replica answers", async () => {
    await k("expose", "deployment", "web", "--port=80", "--target-port=8080");
    const ip = await clusterIP("web");
    expect(ip).toMatch(/^10\.96\./);
    const names = (await pods("app=web")).map((p) => p.metadata.name).sort();
    expect(names).toHaveLength(3);
    // Rules follow the EndpointSlice within about a second.
    const first = await eventually(async () => (await inClient(`timeout 5 wget -qO- http://${ip}/`)).code === 0, 20_000);
    expect(first).toBe(true);
    const r = await inClient(`for i in $(seq 30); do wget -qO- http://${ip}/ || echo FAIL; done`);
    expect(r.code, r.stderr).toBe(0);
    const answers = r.stdout.trim().split("\n");
    expect(answers).toHaveLength(30);
    expect(answers).not.toContain("FAIL");
    expect([...new Set(answers)].sort()).toEqual(names);
  });

  test("a pod reaches itself through a Service (hairpin)", async () => {
    const pod = (await pods("app=web"))[0]!.metadata.name;
    // A Service whose only endpoint is the pod that calls it.
    await k("label", "pod", pod, "self=yes");
    await k("expose", "pod", pod, "--name=self", "--selector=self=yes", "--port=80", "--target-port=8080");
    const ip = await clusterIP("self");
    let out = "";
    const ok = await eventually(async () => {
      const r = await env.kubectl(NAME, ["exec", pod, "--", "timeout", "5", "wget", "-qO-", `http://${ip}/`]);
      out = r.stdout.trim();
      return r.code === 0;
    }, 20_000);
    expect(ok).toBe(true);
    expect(out).toBe(pod);
  });

  test("a NodePort answers from the host on a worker's address", async () => {
    await k("expose", "deployment", "web", "--name=web-np", "--type=NodePort", "--port=80", "--target-port=8080");
    const nodePort = Number((await k("get", "service", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}")).trim());
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const names = (await pods("app=web")).map((p) => p.metadata.name);
    for (const worker of WORKERS) {
      const info = await docker.getContainer(worker).inspect();
      const addr = info.NetworkSettings.Networks[`minicluster-${NAME}`]!.IPAddress;
      let body = "";
      const ok = await eventually(async () => {
        const res = await request(`http://${addr}:${nodePort}/`, { headersTimeout: 3000, bodyTimeout: 3000 });
        body = (await res.body.text()).trim();
        return res.statusCode === 200;
      }, 20_000);
      expect(ok, `NodePort ${nodePort} on ${worker} (${addr})`).toBe(true);
      expect(names).toContain(body);
    }
  });

  test("cluster DNS: the pod's resolv.conf names 10.96.0.10, and Service names answer by name", async () => {
    const conf = await inClient("cat /etc/resolv.conf");
    expect(conf.stdout).toMatch(/^nameserver 10\.96\.0\.10$/m);
    expect(conf.stdout).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
    expect(conf.stdout).toMatch(/^options ndots:5$/m);
    const svc = await k("get", "service", "kube-dns", "-n", "kube-system", "-o", "json");
    expect((JSON.parse(svc) as { spec: { clusterIP: string } }).spec.clusterIP).toBe("10.96.0.10");
    const ip = await clusterIP("web");
    let looked = "";
    const ok = await eventually(async () => {
      const r = await inClient("nslookup web.default.svc.cluster.local");
      looked = r.stdout + r.stderr;
      return r.code === 0 && looked.includes(ip);
    }, 30_000);
    expect(ok, looked).toBe(true);
    const names = (await pods("app=web")).map((p) => p.metadata.name);
    for (const url of ["http://web", "http://web.default.svc.cluster.local"]) {
      const r = await inClient(`timeout 10 wget -qO- ${url}`);
      expect(r.code, `${url}: ${r.stderr}`).toBe(0);
      expect(names).toContain(r.stdout.trim());
    }
  });

  test("cluster DNS: a headless service resolves to every pod IP, an ExternalName to its target", async () => {
    const headless = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web-headless" },
      spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 8080 }] },
    };
    const file = path.join(env.home, "headless.json");
    fs.writeFileSync(file, JSON.stringify(headless));
    await k("create", "-f", file);
    const podIPs = (await pods("app=web")).map((p) => p.status.podIP!).sort();
    expect(podIPs).toHaveLength(3);
    let out = "";
    const all = await eventually(async () => {
      const r = await inClient("nslookup web-headless.default.svc.cluster.local");
      out = r.stdout;
      return podIPs.every((ip) => out.includes(ip));
    }, 30_000);
    expect(all, out).toBe(true);

    await k("create", "service", "externalname", "ext", "--external-name=web.default.svc.cluster.local");
    const ip = await clusterIP("web");
    let ext = "";
    const resolved = await eventually(async () => {
      const r = await inClient("nslookup ext.default.svc.cluster.local");
      ext = r.stdout;
      return ext.includes("web.default.svc.cluster.local");
    }, 30_000);
    expect(resolved, ext).toBe(true);
    expect(ext).toContain(ip);
  });

  test("cluster DNS: an outside name goes to the upstream of the control-plane node's resolv.conf, followed without a restart", async () => {
    const netInfo = (await docker.getNetwork(`minicluster-${NAME}`).inspect()) as { IPAM: { Config: Array<{ Gateway?: string }> } };
    const gateway = netInfo.IPAM.Config.find((c) => c.Gateway?.includes("."))!.Gateway!;
    const outside = await startOutsideDns(gateway);
    const cp = `${NAME}-control-plane`;
    // Rewritten in place (the same inode, as Docker bind-mounts it), restored from the copy.
    await dockerExec(cp, "cp /etc/resolv.conf /tmp/mctest-resolv.conf.orig");
    try {
      await dockerExec(cp, `printf 'nameserver ${gateway}\\n' > /etc/resolv.conf`);
      let out = "";
      // The server stats resolv.conf at most once a second; a failed try is not cached (SERVFAIL).
      const resolved = await eventually(async () => {
        const r = await inClient("nslookup outside.mctest.example");
        out = r.stdout + r.stderr;
        return r.code === 0 && out.includes("192.0.2.55");
      }, 30_000, 1000);
      expect(resolved, out).toBe(true);
      expect(outside.queries).toContain("outside.mctest.example A");
      // Names in the cluster zone are still answered by the cluster (never asked upstream).
      const kube = await inClient("nslookup kubernetes.default.svc.cluster.local");
      expect(kube.stdout).toContain("10.96.0.1");
      const clientIP = (await k("get", "pod", "client", "-o", "jsonpath={.status.podIP}")).trim();
      const podName = `${clientIP.replace(/\./g, "-")}.default.pod.cluster.local`;
      const pod = await inClient(`nslookup ${podName}`);
      expect(pod.code, pod.stdout + pod.stderr).toBe(0);
      expect(pod.stdout).toContain(clientIP);
      expect(outside.queries.filter((q) => q.includes("cluster.local"))).toEqual([]);
    } finally {
      await dockerExec(cp, "cat /tmp/mctest-resolv.conf.orig > /etc/resolv.conf && rm /tmp/mctest-resolv.conf.orig");
      await outside.close();
    }
  });

  test("a pod's ServiceAccount token lists pods through the API; a forged token gets 401", async () => {
    // The in-cluster address: kubernetes.default.svc is 10.96.0.1, and 443 accepts connections there.
    const ns = await inClient("nslookup kubernetes.default.svc.cluster.local");
    expect(ns.stdout).toContain("10.96.0.1");
    const conn = await inClient("echo | timeout 10 nc -w 5 10.96.0.1 443; echo rc=$?");
    expect(conn.stdout).toContain("rc=0");
    // Debian's busybox wget has no TLS of its own (it runs an external `openssl s_client` / `ssl_client`,
    // which the test image lacks), so the pod's token is used from the host, over the API server's
    // published port.
    await k("run", "tok", `--image=${image}`, "--restart=Never", `--overrides=${JSON.stringify({ spec: { nodeName: WORKERS[0] } })}`, "--command", "--", ...IDLE);
    await k("wait", "--for=condition=Ready", "pod/tok", "--timeout=120s");
    const token = (await k("exec", "tok", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")).trim();
    expect(token.split(".")).toHaveLength(3);
    // The token lives on a tmpfs, as the kubelet keeps it: never on the node's disk.
    const mounts = await k("exec", "tok", "--", "cat", "/proc/mounts");
    expect(mounts.split("\n").find((l) => l.split(" ")[1] === "/var/run/secrets/kubernetes.io/serviceaccount")).toMatch(/^\S+ \S+ tmpfs ro,/);
    const server = (await k("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")).trim();
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const get = (t: string) =>
        request(`${server}/api/v1/namespaces/default/pods`, { dispatcher: insecure, headers: { authorization: `Bearer ${t}` } });
      const good = await get(token);
      const body = (await good.body.json()) as { kind: string; items: unknown[] };
      expect(good.statusCode).toBe(200);
      expect(body.kind).toBe("PodList");
      expect(body.items.length).toBeGreaterThan(0);
      const [h, p] = token.split(".");
      const forged = await get(`${h}.${p}.${Buffer.from("not the signature").toString("base64url")}`);
      await forged.body.dump();
      expect(forged.statusCode).toBe(401);
    } finally {
      await insecure.close();
    }
  });

  test("with no ready endpoints left, connections fail fast", async () => {
    const ip = await clusterIP("web");
    await k("scale", "deployment", "web", "--replicas=0");
    const gone = await eventually(async () => (await pods("app=web")).length === 0, 60_000);
    expect(gone).toBe(true);
    // Once the rules follow, the connection is refused rather than left to hang.
    // (Before the rules follow, a packet to the ClusterIP leaves by the default route, where this
    // machine's network may answer with an HTTP error of its own: wait for the refusal itself.)
    let last = "";
    const refused = await eventually(async () => {
      const r = await inClient(`timeout 5 wget -qO- http://${ip}/`);
      last = `exit ${r.code}: ${r.stdout}${r.stderr}`;
      return /refused/i.test(r.stderr);
    }, 20_000);
    if (!refused) {
      // What the client's node had: its reject rules and the service's slices.
      const node = (await k("get", "pod", "client", "-o", "jsonpath={.spec.nodeName}")).trim();
      const rules = await dockerExec(node, `iptables-nft -t filter -L MC-SERVICES -v -n; iptables-nft -t filter -L FORWARD -v -n; iptables-legacy-save; conntrack -L -d ${ip}; conntrack -L -g ${ip}; ip route`).catch((e: unknown) => String(e));
      const slices = await k("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "yaml").catch((e: unknown) => String(e));
      expect.fail(`no refusal from ${ip} within 20 s; last try ${last}\nfilter rules on ${node}:\n${rules}\nslices:\n${slices}`);
    }
    // Timed inside the pod (kubectl exec's own overhead left out); `timeout 10` makes a hang visible as 10 s.
    const up = "$(cut -d' ' -f1 /proc/uptime)";
    const r = await inClient(`s=${up}; timeout 10 wget -qO- http://${ip}/; rc=$?; echo "$rc $s ${up}"`);
    const [rc, start, end] = r.stdout.trim().split(" ").map(Number);
    expect(rc).not.toBe(0);
    expect(end! - start!).toBeLessThan(2);
    expect(r.stderr).toMatch(/refused/i);
  });
});
