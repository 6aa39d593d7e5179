import { describe, expect, it } from "vitest";
import type { KubeObject } from "../registry/types.js";
import { defaultTable, tableFor, tables } from "./index.js";

const now = new Date("2024-05-01T12:00:00Z");
const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const md = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: "default", creationTimestamp: ago(2 * DAY + 3 * HOUR), ...extra });
const row = (kind: string, obj: KubeObject): unknown[] => tableFor(kind).cells(obj, now);
const template = { spec: { containers: [{ name: "app", image: "nginx:1.25" }, { name: "log", image: "busybox" }] } };

describe("workload tables", () => {
  it("deployment", () => {
    const d = {
      metadata: md("web"),
      spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(row("apps/v1/Deployment", d)).toEqual(["web", "2/3", 3, 2, "2d3h", "app,log", "nginx:1.25,busybox", "app=web"]);
  });

  it("replicaset, statefulset, daemonset", () => {
    const sel = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] };
    expect(row("apps/v1/ReplicaSet", { metadata: md("web-5d"), spec: { replicas: 2, selector: sel, template }, status: { replicas: 2, readyReplicas: 1 } })).toEqual([
      "web-5d", 2, 2, 1, "2d3h", "app,log", "nginx:1.25,busybox", "app=web,tier in (a,b)",
    ]);
    expect(row("apps/v1/StatefulSet", { metadata: md("db"), spec: { replicas: 3, template }, status: { readyReplicas: 3 } })).toEqual([
      "db", "3/3", "2d3h", "app,log", "nginx:1.25,busybox",
    ]);
    const ds = {
      metadata: md("agent"),
      spec: { selector: { matchLabels: { app: "agent" } }, template: { spec: { ...template.spec, nodeSelector: { "kubernetes.io/os": "linux" } } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    };
    expect(row("apps/v1/DaemonSet", ds)).toEqual([
      "agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "2d3h", "app,log", "nginx:1.25,busybox", "app=agent",
    ]);
  });

  it.each([
    ["complete", { spec: { completions: 1, template }, status: { succeeded: 1, startTime: ago(10 * MIN), completionTime: ago(8 * MIN), conditions: [{ type: "Complete", status: "True" }] } }, ["Complete", "1/1", "2m"]],
    ["running, parallel", { spec: { parallelism: 4, template }, status: { startTime: ago(3 * MIN) } }, ["Running", "0/1 of 4", "3m"]],
    ["failed", { spec: { completions: 3, template }, status: { succeeded: 1, startTime: ago(HOUR), conditions: [{ type: "Failed", status: "True" }] } }, ["Failed", "1/3", "60m"]],
    ["suspended, never started", { spec: { completions: 2, template }, status: { conditions: [{ type: "Suspended", status: "True" }] } }, ["Suspended", "0/2", ""]],
  ])("job %s", (_n, job, want) => {
    expect(row("batch/v1/Job", { metadata: md("pi"), ...job }).slice(1, 4)).toEqual(want);
  });

  it("cronjob", () => {
    const cj = {
      metadata: md("backup"),
      spec: { schedule: "*/5 * * * *", suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: "backup-1" }], lastScheduleTime: ago(4 * MIN) },
    };
    expect(row("batch/v1/CronJob", cj)).toEqual(["backup", "*/5 * * * *", "<none>", "False", 1, "4m", "2d3h", "app,log", "nginx:1.25,busybox", "<none>"]);
  });

  it("controller revision", () => {
    const cr = { metadata: md("agent-7c9", { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }] }), revision: 2 };
    expect(row("apps/v1/ControllerRevision", cr)).toEqual(["agent-7c9", "daemonset.apps/agent", 2, "2d3h"]);
  });
});

describe("core tables", () => {
  it.each([
    ["ClusterIP", { type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }], selector: { k8s: "dns" } }, {}, ["ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP"]],
    ["NodePort", { type: "NodePort", clusterIPs: ["10.96.1.1"], ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }] }, {}, ["NodePort", "10.96.1.1", "<none>", "80:30080/TCP"]],
    ["LoadBalancer pending", { type: "LoadBalancer", clusterIPs: ["10.96.1.2"], ports: [{ port: 443, nodePort: 31443, protocol: "TCP" }] }, {}, ["LoadBalancer", "10.96.1.2", "<pending>", "443:31443/TCP"]],
    ["LoadBalancer with ingress", { type: "LoadBalancer", clusterIPs: ["10.96.1.3"], ports: [] }, { loadBalancer: { ingress: [{ ip: "172.18.0.9" }, { hostname: "lb.example" }] } }, ["LoadBalancer", "10.96.1.3", "172.18.0.9,lb.example", "<none>"]],
    ["ExternalName", { type: "ExternalName", externalName: "db.example.com" }, {}, ["ExternalName", "<none>", "db.example.com", "<none>"]],
    ["headless", { type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 5432, protocol: "TCP" }] }, {}, ["ClusterIP", "None", "<none>", "5432/TCP"]],
  ])("service %s", (_n, spec, status, want) => {
    const cells = row("v1/Service", { metadata: md("svc"), spec, status });
    expect(cells.slice(1, 5)).toEqual(want);
  });

  it("endpoints with the '+ N more...' rule", () => {
    const ep = {
      metadata: md("web"),
      subsets: [{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }, { ip: "fd00::3" }], ports: [{ port: 80 }, { port: 443 }] }],
    };
    expect(row("v1/Endpoints", ep)).toEqual(["web", "10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 3 more...", "2d3h"]);
    expect(row("v1/Endpoints", { metadata: md("none") })[1]).toBe("<none>");
  });

  it("node", () => {
    const node = {
      metadata: md("cp", { namespace: undefined, labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master" } }),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }],
        addresses: [{ type: "InternalIP", address: "172.18.0.2" }, { type: "Hostname", address: "cp" }],
        nodeInfo: { kubeletVersion: "v1.30.0", osImage: "Debian GNU/Linux 12", kernelVersion: "6.1.0", containerRuntimeVersion: "runc://1.1.12" },
      },
    };
    expect(row("v1/Node", node)).toEqual([
      "cp", "Ready,SchedulingDisabled", "control-plane,master", "2d3h", "v1.30.0", "172.18.0.2", "<none>", "Debian GNU/Linux 12", "6.1.0", "runc://1.1.12",
    ]);
    expect(row("v1/Node", { metadata: md("new") }).slice(1, 3)).toEqual(["Unknown", "<none>"]);
  });

  it("namespace, configmap, secret, serviceaccount", () => {
    expect(row("v1/Namespace", { metadata: md("kube-system"), status: { phase: "Active" } })).toEqual(["kube-system", "Active", "2d3h"]);
    expect(row("v1/ConfigMap", { metadata: md("cfg"), data: { a: "1", b: "2" }, binaryData: { c: "AA==" } })).toEqual(["cfg", 3, "2d3h"]);
    expect(row("v1/Secret", { metadata: md("tls"), type: "kubernetes.io/tls", data: { "tls.crt": "x", "tls.key": "y" } })).toEqual(["tls", "kubernetes.io/tls", 2, "2d3h"]);
    expect(row("v1/ServiceAccount", { metadata: md("default") })).toEqual(["default", 0, "2d3h"]);
  });

  it("core event, wide cells", () => {
    const ev = {
      metadata: md("web.17a"),
      involvedObject: { kind: "Pod", name: "web", fieldPath: "spec.containers{app}" },
      reason: "BackOff",
      message: "Back-off restarting failed container\n",
      type: "Warning",
      source: { component: "kubelet", host: "worker-1" },
      firstTimestamp: ago(3 * HOUR),
      lastTimestamp: ago(2 * MIN),
      count: 12,
    };
    expect(row("v1/Event", ev)).toEqual([
      "2m", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, worker-1", "Back-off restarting failed container", "3h", 12, "web.17a",
    ]);
  });

  it("events.k8s.io event with a series and no count", () => {
    const ev = {
      metadata: md("n1.1"),
      regarding: { kind: "Node", name: "n1" },
      reason: "NodeReady",
      note: "Node n1 status is now: NodeReady",
      type: "Normal",
      reportingController: "node-controller",
      eventTime: ago(10 * MIN),
      series: { count: 4, lastObservedTime: ago(30_000) },
    };
    expect(row("events.k8s.io/v1/Event", ev)).toEqual([
      "30s", "Normal", "NodeReady", "node/n1", "", "node-controller", "Node n1 status is now: NodeReady", "10m", 4, "n1.1",
    ]);
    expect(row("v1/Event", { metadata: md("x"), involvedObject: { kind: "Pod" }, eventTime: ago(MIN) }).slice(0, 4)).toEqual(["60s", "", "", "pod"]);
  });

  it("persistent volumes and claims", () => {
    const pv = {
      metadata: md("pv-1", { namespace: undefined }),
      spec: { capacity: { storage: "10Gi" }, accessModes: ["ReadWriteOnce", "ReadOnlyMany"], persistentVolumeReclaimPolicy: "Delete", claimRef: { namespace: "db", name: "data" }, storageClassName: "standard", volumeMode: "Filesystem" },
      status: { phase: "Bound" },
    };
    expect(row("v1/PersistentVolume", pv)).toEqual(["pv-1", "10Gi", "RWO,ROX", "Delete", "Bound", "db/data", "standard", "<unset>", "", "2d3h", "Filesystem"]);
    const pending = { metadata: md("data"), spec: { resources: { requests: { storage: "1Gi" } }, storageClassName: "standard" }, status: { phase: "Pending" } };
    expect(row("v1/PersistentVolumeClaim", pending)).toEqual(["data", "Pending", "", "", "", "standard", "<unset>", "2d3h", "<unset>"]);
    const bound = { ...pending, spec: { ...pending.spec, volumeName: "pv-1" }, status: { phase: "Bound", capacity: { storage: "1024Mi" }, accessModes: ["ReadWriteOnce"] } };
    expect(row("v1/PersistentVolumeClaim", bound).slice(1, 5)).toEqual(["Bound", "pv-1", "1Gi", "RWO"]);
  });

  it("resource quota", () => {
    const rq = { metadata: md("q"), status: { hard: { pods: "10", "limits.cpu": "2", "requests.memory": "1Gi" }, used: { pods: "3", "limits.cpu": "500m" } } };
    expect(row("v1/ResourceQuota", rq)).toEqual(["q", "pods: 3/10, requests.memory: 0/1Gi", "limits.cpu: 500m/2", "2d3h"]);
  });
});

describe("other groups", () => {
  it("lease, endpointslice, rolebinding, storageclass, pdb", () => {
    expect(row("coordination.k8s.io/v1/Lease", { metadata: md("kube-scheduler"), spec: { holderIdentity: "cp_1234" } })).toEqual(["kube-scheduler", "cp_1234", "2d3h"]);
    const eps = {
      metadata: md("web-abc"),
      addressType: "IPv4",
      ports: [{ port: 80 }, { name: "metrics" }, {}, { port: 9090 }],
      endpoints: [{ addresses: ["10.0.0.1"] }, { addresses: ["10.0.0.2"] }],
    };
    expect(row("discovery.k8s.io/v1/EndpointSlice", eps)).toEqual(["web-abc", "IPv4", "80,metrics,* + 1 more...", "10.0.0.1,10.0.0.2", "2d3h"]);
    expect(row("discovery.k8s.io/v1/EndpointSlice", { metadata: md("empty"), addressType: "IPv4" }).slice(2, 4)).toEqual(["<unset>", "<unset>"]);
    const rb = {
      metadata: md("read"),
      roleRef: { kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", name: "jane" }, { kind: "ServiceAccount", name: "ci", namespace: "build" }, { kind: "Group", name: "devs" }],
    };
    expect(row("rbac.authorization.k8s.io/v1/RoleBinding", rb)).toEqual(["read", "ClusterRole/view", "2d3h", "jane", "devs", "build/ci"]);
    const sc = { metadata: md("standard", { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }), provisioner: "rancher.io/local-path", volumeBindingMode: "WaitForFirstConsumer" };
    expect(row("storage.k8s.io/v1/StorageClass", sc)).toEqual(["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", false, "2d3h"]);
    expect(row("policy/v1/PodDisruptionBudget", { metadata: md("pdb"), spec: { minAvailable: "50%" }, status: { disruptionsAllowed: 1 } })).toEqual(["pdb", "50%", "N/A", 1, "2d3h"]);
  });

  it("kinds without a printer get NAME and CREATED AT", () => {
    expect(tableFor("rbac.authorization.k8s.io/v1/ClusterRole")).toBe(defaultTable);
    expect(tableFor("v1/LimitRange")).toBe(defaultTable);
    expect(defaultTable.columns.map((c) => [c.name, c.type])).toEqual([["Name", "string"], ["Created At", "date"]]);
    expect(row("v1/LimitRange", { metadata: md("limits", { creationTimestamp: "2024-04-29T08:59:59.123456Z" }) })).toEqual(["limits", "2024-04-29T08:59:59Z"]);
  });

  it("every table renders one cell per column, even for a bare object", () => {
    for (const [kind, def] of Object.entries(tables)) {
      const cells = def.cells({ metadata: { name: "x" } }, now);
      expect(cells.length, kind).toBe(def.columns.length);
      expect(def.columns.filter((c) => c.format === "name").length, kind).toBeLessThanOrEqual(1);
    }
  });
});
