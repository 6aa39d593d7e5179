// The in-process scheduler against a control plane driven by the real kubectl: plain Ready Node
// objects (no kubelets; the node lifecycle controller is off so they stay Ready), pods bound by
// the scheduler, cordoned nodes and taints respected, an unschedulable pod's condition and
// event in `kubectl describe`, and the same pod placed once a big enough node joins.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { KubeObject } from "../../src/api/registry/types.js";
import type { Caller } from "../../src/controlplane/apiserver/rest.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/index.js";
import { runKubectl } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

const CALLER: Caller = { user: "test", groups: ["system:masters"], userAgent: "test" };
const NODE = RESOURCES.find((r) => r.kind === "Node" && r.group === "")!;

let cp: ControlPlane;
let dataDir: string;

async function k(...args: string[]): Promise<string> {
  const r = await runKubectl(cp.kubeconfigPath, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function kIn(input: string, ...args: string[]): Promise<string> {
  const r = await runKubectl(cp.kubeconfigPath, args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A Ready Node as a kubelet would register it (status written through the status subresource). */
async function addNode(name: string, cpu: string): Promise<void> {
  await cp.registry.create(NODE, "", { apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } }, CALLER);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  await cp.registry.update(
    NODE,
    "",
    name,
    (cur: KubeObject) => {
      const n = cur as Node;
      return {
        ...n,
        status: {
          capacity: { cpu, memory: "8Gi", pods: "110" },
          allocatable: { cpu, memory: "8Gi", pods: "110" },
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      } as KubeObject;
    },
    CALLER,
    { subresource: "status" },
  );
}

function podYaml(name: string, extra: { cpu?: string; tolerations?: string; nodeSelector?: string } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name.replace(/-\d+$/, "")}}
spec:
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: ${JSON.stringify(extra.cpu ?? "100m")}, memory: 64Mi}}
${extra.tolerations ? `  tolerations: ${extra.tolerations}\n` : ""}${extra.nodeSelector ? `  nodeSelector: ${extra.nodeSelector}\n` : ""}---
`;
}

async function podsByName(): Promise<Map<string, Pod>> {
  const list = JSON.parse(await k("get", "pods", "-o", "json")) as { items: Pod[] };
  return new Map(list.items.map((p) => [p.metadata!.name!, p]));
}

async function nodesOf(names: string[]): Promise<string[]> {
  return waitFor(`pods ${names.join(", ")} bound`, async () => {
    const pods = await podsByName();
    const nodes = names.map((n) => pods.get(n)?.spec?.nodeName);
    return nodes.every(Boolean) ? (nodes as string[]) : undefined;
  });
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-sched-"));
  cp = await startControlPlane({
    dataDir,
    port: 0,
    store: "memory",
    nodeLifecycle: false,
    scheduler: { initialBackoffMs: 100, maxBackoffMs: 500, flushIntervalMs: 5_000 },
  });
  await addNode("node-a", "4");
  await addNode("node-b", "4");
});

afterAll(async () => {
  await cp?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("scheduler", () => {
  it("binds pods, spread over the nodes, with a Scheduled event", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    await kIn(names.map((n) => podYaml(n)).join(""), "apply", "-f", "-");
    const nodes = await nodesOf(names);
    expect(new Set(nodes)).toEqual(new Set(["node-a", "node-b"]));
    const wide = await k("get", "pods", "-o", "wide");
    expect(wide).toMatch(/web-0\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-[ab]/);
    const pod = (await podsByName()).get("web-0")!;
    expect(pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    const describe = await waitFor("Scheduled event", async () => {
      const out = await k("describe", "pod", "web-0");
      return /Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-0 to node-[ab]/.test(out) && out;
    });
    expect(describe).toContain(`Node:             ${pod.spec!.nodeName}`);
    await k("delete", "pods", "--all", "--wait=false");
  });

  it("puts nothing on a cordoned node", async () => {
    await k("cordon", "node-b");
    const names = Array.from({ length: 4 }, (_, i) => `cordoned-${i}`);
    await kIn(names.map((n) => podYaml(n)).join(""), "apply", "-f", "-");
    expect(await nodesOf(names)).toEqual(["node-a", "node-a", "node-a", "node-a"]);
    await k("uncordon", "node-b");
    await k("delete", "pods", "--all", "--wait=false");
  });

  it("respects taints and tolerations", async () => {
    await k("taint", "nodes", "node-a", "dedicated=gpu:NoSchedule");
    await kIn(
      podYaml("plain-0") +
        podYaml("plain-1") +
        podYaml("gpu-0", { tolerations: "[{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]", nodeSelector: "{kubernetes.io/hostname: node-a}" }),
      "apply",
      "-f",
      "-",
    );
    expect(await nodesOf(["plain-0", "plain-1", "gpu-0"])).toEqual(["node-b", "node-b", "node-a"]);
    await k("delete", "pods", "--all", "--wait=false");
  });

  it("reports an unschedulable pod and places it when a node joins", async () => {
    // node-a is still tainted: one node has an untolerated taint, the other too little CPU.
    await kIn(podYaml("big", { cpu: "16" }), "apply", "-f", "-");
    const message = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.";
    const out = await waitFor("FailedScheduling in describe", async () => {
      const d = await k("describe", "pod", "big");
      return d.includes("FailedScheduling") && d;
    });
    expect(out).toMatch(/PodScheduled\s+False/);
    expect(out).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/2 nodes are available: 1 Insufficient cpu, 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
    const pod = (await podsByName()).get("big")!;
    const cond = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    expect(cond).toMatchObject({ status: "False", reason: "Unschedulable", message });
    expect(await k("get", "pod", "big", "--no-headers")).toMatch(/big\s+0\/1\s+Pending/);

    await addNode("node-big", "32");
    expect(await nodesOf(["big"])).toEqual(["node-big"]);
    const after = await waitFor("Scheduled event for big", async () => {
      const d = await k("describe", "pod", "big");
      return d.includes("Successfully assigned default/big to node-big") && d;
    });
    expect(after).toMatch(/PodScheduled\s+True/);
  });

  it("leaves pods of other schedulers alone", async () => {
    await kIn(podYaml("other").replace("spec:\n", "spec:\n  schedulerName: my-scheduler\n"), "apply", "-f", "-");
    await new Promise((r) => setTimeout(r, 500));
    const pod = (await podsByName()).get("other")!;
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.conditions ?? []).toEqual([]);
  });
});
