// The `kube-system/kube-dns` Service and its Endpoints and EndpointSlice: the cluster DNS runs in
// the control plane's process (not as pods), so, like `default/kubernetes`
// (../services/kubernetes-service.ts), the Service has no selector and the control plane keeps
// its endpoints pointing at its own advertise address. The cluster IP is the 10th IP of the
// service subnet (10.96.0.10), which the allocator reserves. Reconciled at start and every 10 s.

import { isStatusError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";

const CALLER: Caller = { user: "system:apiserver", groups: ["system:masters"], userAgent: "minicluster-dns" };
export const KUBE_DNS_NAME = "kube-dns";
export const KUBE_DNS_NAMESPACE = "kube-system";
const LABELS = { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" };

const def = (group: string, kind: string): ResourceDef => RESOURCES.find((r) => r.group === group && r.kind === kind)!;

export interface KubeDnsServiceOptions {
  /** The Service's cluster IP (the 10th IP of the service subnet). */
  serviceIP: string;
  /** Where the DNS server answers, as pods reach it. */
  advertiseAddress: string;
  /** The DNS server's port (the endpoints' port; default 53). */
  port?: number;
  intervalMs?: number;
}

const SERVICE_PORTS = [
  { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
  { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
];

export function desiredKubeDnsService(o: KubeDnsServiceOptions): KubeObject {
  const port = o.port ?? 53;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels: { ...LABELS } },
    spec: {
      type: "ClusterIP",
      clusterIP: o.serviceIP,
      clusterIPs: [o.serviceIP],
      ports: SERVICE_PORTS.map((p) => ({ ...p, targetPort: port })),
      sessionAffinity: "None",
    },
  };
}

function endpointPorts(o: KubeDnsServiceOptions) {
  const port = o.port ?? 53;
  return [
    { name: "dns", port, protocol: "UDP" },
    { name: "dns-tcp", port, protocol: "TCP" },
  ];
}

export function desiredKubeDnsEndpoints(o: KubeDnsServiceOptions): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels: { ...LABELS, "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: endpointPorts(o) }],
  };
}

export function desiredKubeDnsEndpointSlice(o: KubeDnsServiceOptions): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: KUBE_DNS_NAME, namespace: KUBE_DNS_NAMESPACE, labels: { ...LABELS, "kubernetes.io/service-name": KUBE_DNS_NAME } },
    addressType: "IPv4",
    endpoints: [{ addresses: [o.advertiseAddress], conditions: { ready: true, serving: true, terminating: false } }],
    ports: endpointPorts(o),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class KubeDnsServiceReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void,
    private readonly opts: KubeDnsServiceOptions,
  ) {}

  /** Reconciles once (awaited), then every interval. */
  async start(): Promise<void> {
    await this.reconcileLogged();
    this.timer = setInterval(() => void this.reconcileLogged(), this.opts.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async reconcileLogged(): Promise<void> {
    if (this.running) return;
    this.running = this.reconcile()
      .catch((err) => this.log(`kube-dns service: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async reconcile(): Promise<void> {
    const svc = desiredKubeDnsService(this.opts);
    const wantSpec = svc.spec as { ports: unknown[]; type: string };
    await this.ensure(
      def("", "Service"),
      svc,
      (cur) => {
        const spec = (cur.spec ?? {}) as { ports?: unknown[]; type?: string; clusterIP?: string };
        if (spec.clusterIP && spec.clusterIP !== this.opts.serviceIP) {
          this.log(`kube-dns service: holds cluster IP ${spec.clusterIP}, not ${this.opts.serviceIP} (the service subnet changed?); delete it to move it`);
        }
        return spec.type === wantSpec.type && same(spec.ports, wantSpec.ports);
      },
      (cur) => ({ ...cur, spec: { ...(cur.spec as object), type: wantSpec.type, ports: wantSpec.ports } }),
    );
    const ep = desiredKubeDnsEndpoints(this.opts);
    await this.ensure(def("", "Endpoints"), ep, (cur) => same(cur.subsets, ep.subsets), (cur) => ({ ...cur, subsets: ep.subsets }));
    const slice = desiredKubeDnsEndpointSlice(this.opts);
    await this.ensure(
      def("discovery.k8s.io", "EndpointSlice"),
      slice,
      (cur) => cur.addressType === slice.addressType && same(cur.endpoints, slice.endpoints) && same(cur.ports, slice.ports),
      (cur) => ({ ...cur, endpoints: slice.endpoints, ports: slice.ports }),
    );
  }

  /** Creates `want` when missing; otherwise rewrites it with `fix` unless `ok`. */
  private async ensure(r: ResourceDef, want: KubeObject, ok: (cur: KubeObject) => boolean, fix: (cur: KubeObject) => KubeObject): Promise<void> {
    const cur = await this.registry.tryGet(r, KUBE_DNS_NAMESPACE, KUBE_DNS_NAME);
    if (!cur) {
      try {
        await this.registry.create(r, KUBE_DNS_NAMESPACE, structuredClone(want), CALLER);
      } catch (err) {
        if (!(isStatusError(err) && err.code === 409)) throw err;
      }
      return;
    }
    if (cur.metadata?.deletionTimestamp || ok(cur)) return;
    await this.registry.update(r, KUBE_DNS_NAMESPACE, KUBE_DNS_NAME, (c) => (ok(c) ? c : fix(c)), CALLER);
  }
}
