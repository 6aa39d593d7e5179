// The node entrypoint (`minicluster node`) in-process, without Docker: a control-plane node and a
// worker on temporary roots with a PKI made as the provisioner makes it. Checks registration
// (labels, role, taint, status), lease renewal, the node lifecycle controller (a stopped worker
// goes Unknown and tainted, and comes back), restarts of both entrypoints, and the log files.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Node } from "kubernetes-types/core/v1.js";
import { RestClient } from "../../src/client/rest.js";
import { createCa, issueClientCert, loadSigningCa } from "../../src/controlplane/pki/index.js";
import { LEASES, NODES } from "../../src/kubelet/index.js";
import { runNode, type RunNodeOptions, type RunningNode } from "../../src/node/index.js";
import { runKubectl } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";
import { freePort } from "../test-utils/ports.js";

const CP = "t-control-plane";
const WORKER = "t-worker";
const FAST: RunNodeOptions = {
  apiPort: 0,
  bind: "127.0.0.1",
  nodeLifecycle: { gracePeriodMs: 1500, monitorPeriodMs: 100 },
  kubelet: { leaseRenewIntervalMs: 200, statusUpdateIntervalMs: 200, retryInitialMs: 50, retryMaxMs: 200 },
  stderr: () => {},
};

let base: string;
let cpRoot: string;
let workerRoot: string;
let apiPort: number;
let cp: RunningNode | undefined;
let worker: RunningNode | undefined;
let api: RestClient;
let kubeconfig: string;

const condition = (n: Node, type: string) => n.status?.conditions?.find((c) => c.type === type);
const getNode = (name: string) => api.get<Node>(NODES, name);

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-node-"));
  cpRoot = path.join(base, "cp");
  workerRoot = path.join(base, "worker");
  // The PKI as the provisioner makes it (node contract).
  const caPem = await createCa();
  const ca = await loadSigningCa(caPem);
  const admin = await issueClientCert(ca, { commonName: "kubernetes-admin", organizations: ["system:masters"] });
  apiPort = await freePort();
  const write = (root: string, rel: string, text: string) => {
    const f = path.join(root, "etc/minicluster", rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  };
  for (const [root, name] of [
    [cpRoot, CP],
    [workerRoot, WORKER],
  ] as const) {
    const kubelet = await issueClientCert(ca, { commonName: `system:node:${name}`, organizations: ["system:nodes"] });
    write(root, "pki/ca.crt", caPem.cert);
    write(root, "pki/kubelet.crt", kubelet.cert);
    write(root, "pki/kubelet.key", kubelet.key);
  }
  write(cpRoot, "pki/ca.key", caPem.key);
  write(cpRoot, "pki/admin.crt", admin.cert);
  write(cpRoot, "pki/admin.key", admin.key);
  const common = { cluster: "t", labels: { tier: "test" }, podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" };
  write(
    cpRoot,
    "node.json",
    JSON.stringify({ ...common, nodeName: CP, role: "control-plane", apiServer: `https://${CP}:6443`, taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }], tlsSans: [CP] }),
  );
  write(workerRoot, "node.json", JSON.stringify({ ...common, nodeName: WORKER, role: "worker", apiServer: `https://127.0.0.1:${apiPort}`, taints: [] }));

  // The worker starts first: its kubelet must wait for the API server without failing.
  worker = await runNode({ ...FAST, root: workerRoot });
  await new Promise((r) => setTimeout(r, 400));

  const started = Date.now();
  cp = await runNode({ ...FAST, root: cpRoot, apiPort });
  await cp.ready;
  // Reported, not asserted (timing on a shared machine): the measured figure goes in the report.
  console.log(`control-plane node: runNode() to Node Ready in ${Date.now() - started} ms`);
  await worker.ready;

  kubeconfig = cp.controlPlane!.kubeconfigPath;
  api = await RestClient.fromKubeconfig(kubeconfig);
});

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await cp?.stop();
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe("minicluster node", () => {
  it("adopted the provisioner's CA: the admin credential it was given works", async () => {
    const fromProvisioner = new RestClient({
      server: `https://127.0.0.1:${apiPort}`,
      ca: fs.readFileSync(path.join(cpRoot, "etc/minicluster/pki/ca.crt"), "utf8"),
      cert: fs.readFileSync(path.join(cpRoot, "etc/minicluster/pki/admin.crt"), "utf8"),
      key: fs.readFileSync(path.join(cpRoot, "etc/minicluster/pki/admin.key"), "utf8"),
    });
    try {
      expect((await fromProvisioner.list(NODES)).items.length).toBe(2);
    } finally {
      await fromProvisioner.close();
    }
    expect(fs.readFileSync(path.join(cpRoot, "var/lib/minicluster/server/pki/ca.key"), "utf8")).toBe(fs.readFileSync(path.join(cpRoot, "etc/minicluster/pki/ca.key"), "utf8"));
    expect(fs.statSync(path.join(cpRoot, "var/lib/minicluster/server/pki/ca.key")).mode & 0o777).toBe(0o600);
  });

  it("registers both nodes Ready with the right labels, role and taints (kubectl)", async () => {
    const r = await runKubectl(kubeconfig, ["get", "nodes", "--no-headers", "-o", "custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/))).toEqual([
      [CP, "node-role.kubernetes.io/control-plane"],
      [WORKER, "<none>"],
    ]);
    const table = await runKubectl(kubeconfig, ["get", "nodes"]);
    expect(table.stdout).toMatch(new RegExp(`^${CP}\\s+Ready\\s+control-plane\\s+`, "m"));
    expect(table.stdout).toMatch(new RegExp(`^${WORKER}\\s+Ready\\s+<none>\\s+`, "m"));

    for (const name of [CP, WORKER]) {
      const n = await getNode(name);
      expect(n.metadata!.labels).toMatchObject({
        tier: "test",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": process.arch === "x64" ? "amd64" : process.arch,
      });
      const s = n.status!;
      expect(condition(n, "Ready")).toMatchObject({ status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" });
      for (const t of ["MemoryPressure", "DiskPressure", "PIDPressure"]) expect(condition(n, t)?.status).toBe("False");
      expect(s.addresses).toContainEqual({ type: "Hostname", address: name });
      expect(s.capacity).toMatchObject({ pods: "110", cpu: expect.stringMatching(/^\d+m?$/), memory: expect.stringMatching(/^\d+Ki$/) });
      expect(s.allocatable).toEqual(s.capacity);
      expect(s.nodeInfo).toMatchObject({ kubeletVersion: (await api.version()).gitVersion, operatingSystem: "linux", containerRuntimeVersion: expect.stringMatching(/^runc:\/\//) });
      expect(s.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    }
    expect((await getNode(CP)).metadata!.labels).toHaveProperty("node-role.kubernetes.io/control-plane", "");
    expect((await getNode(WORKER)).metadata!.labels).not.toHaveProperty("node-role.kubernetes.io/control-plane");
  });

  it("renews both leases, owned by their nodes", async () => {
    for (const name of [CP, WORKER]) {
      const node = await getNode(name);
      const first = await api.get<Lease>(LEASES, name, { namespace: "kube-node-lease" });
      expect(first.spec).toMatchObject({ holderIdentity: name, leaseDurationSeconds: 40 });
      expect(first.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(first.metadata!.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name, uid: node.metadata!.uid }]);
      await waitFor(`lease ${name} renewed`, async () => (await api.get<Lease>(LEASES, name, { namespace: "kube-node-lease" })).spec!.renewTime !== first.spec!.renewTime);
    }
  });

  it("a worker that started before the API server logged one line for the wait, not one per retry", () => {
    const log = fs.readFileSync(path.join(workerRoot, "var/log/minicluster/kubelet.log"), "utf8");
    expect(log.match(/\(retrying\)/g)).toHaveLength(1);
    expect(log).toMatch(/ECONNREFUSED/);
    expect(log.match(/answers again/g)).toHaveLength(1);
    expect(log).toMatch(new RegExp(`^\\[kubelet\\] \\S+Z registered node ${WORKER}$`, "m"));
  });

  it("writes each component's log under var/log/minicluster", () => {
    const dir = path.join(cpRoot, "var/log/minicluster");
    expect(fs.readdirSync(dir).sort()).toEqual(["kubelet.log", "node.log", "server.log"]);
    expect(fs.readFileSync(path.join(dir, "server.log"), "utf8")).toMatch(/^\[server\] \S+Z API server listening/m);
    expect(fs.readFileSync(path.join(dir, "node.log"), "utf8")).toMatch(new RegExp(`^\\[node\\] \\S+Z node ${CP} Ready \\d+ ms after start$`, "m"));
  });

  it("a stopped worker goes Unknown and unreachable; restarted, it re-posts its status and is Ready again", async () => {
    // Changes made while the node runs: a user label and a bogus address (the kubelet must correct it).
    await api.patch(NODES, WORKER, { metadata: { labels: { "user/added": "yes" } } }, { type: "merge" });
    await worker!.stop();
    const stale = await getNode(WORKER);
    await api.updateStatus(NODES, { ...stale, status: { ...stale.status, addresses: [{ type: "InternalIP", address: "192.0.2.99" }] } });

    const unknown = await waitFor("worker Unknown and tainted", async () => {
      const n = await getNode(WORKER);
      return condition(n, "Ready")?.status === "Unknown" && n.spec?.taints?.some((t) => t.key === "node.kubernetes.io/unreachable") ? n : undefined;
    });
    for (const t of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
      expect(condition(unknown, t)).toMatchObject({ status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." });
    }
    expect(unknown.spec!.taints).toEqual([{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }]);
    // The control-plane node keeps renewing, so it stays Ready.
    expect(condition(await getNode(CP), "Ready")?.status).toBe("True");

    worker = await runNode({ ...FAST, root: workerRoot });
    await worker.ready;
    const back = await waitFor("worker Ready and untainted", async () => {
      const n = await getNode(WORKER);
      return condition(n, "Ready")?.status === "True" && !n.spec?.taints?.length ? n : undefined;
    });
    expect(back.metadata!.uid).toBe(unknown.metadata!.uid); // updated, not re-created
    expect(back.metadata!.labels).toMatchObject({ "user/added": "yes", "kubernetes.io/hostname": WORKER });
    expect(back.status!.addresses).not.toContainEqual({ type: "InternalIP", address: "192.0.2.99" });
    expect(back.status!.addresses).toContainEqual({ type: "Hostname", address: WORKER });
    expect(condition(back, "Ready")!.lastTransitionTime! >= condition(unknown, "Ready")!.lastTransitionTime!).toBe(true);
    expect(fs.readFileSync(path.join(workerRoot, "var/log/minicluster/kubelet.log"), "utf8")).toMatch(/was already registered/);
  });

  it("a restarted control-plane node keeps its objects and certificates; both nodes stay Ready", async () => {
    const before = await getNode(CP);
    const caBefore = fs.readFileSync(path.join(cpRoot, "var/lib/minicluster/server/pki/ca.crt"), "utf8");
    await cp!.stop();
    cp = await runNode({ ...FAST, root: cpRoot, apiPort });
    await cp.ready;
    expect(fs.readFileSync(path.join(cpRoot, "var/lib/minicluster/server/pki/ca.crt"), "utf8")).toBe(caBefore);
    // The old client's connections died with the server; the admin kubeconfig still works.
    await api.close();
    api = await RestClient.fromKubeconfig(cp.controlPlane!.kubeconfigPath);
    const after = await getNode(CP);
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    // The worker's kubelet rode out the outage and renews again.
    const lease = await api.get<Lease>(LEASES, WORKER, { namespace: "kube-node-lease" });
    await waitFor("worker lease renewed after the restart", async () => (await api.get<Lease>(LEASES, WORKER, { namespace: "kube-node-lease" })).spec!.renewTime !== lease.spec!.renewTime);
    for (const name of [CP, WORKER]) expect(condition(await getNode(name), "Ready")?.status).toBe("True");
  });
});
