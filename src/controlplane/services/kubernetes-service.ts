// The `default/kubernetes` Service and its Endpoints and EndpointSlice, as the API server's
// controller reconciler keeps them: the first IP of the service subnet, port https 443 to the API
// server's port on its advertise address. Reconciled at start and every 10 s, so a deleted or
// edited object comes back and a changed address (a node container restarted) is picked up.

import os from "node:os";
import { isStatusError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";

const CALLER: Caller = { user: "system:apiserver", groups: ["system:masters"], userAgent: "kube-apiserver" };
const NAME = "kubernetes";
const NAMESPACE = "default";

const def = (group: string, kind: string): ResourceDef => RESOURCES.find((r) => r.group === group && r.kind === kind)!;

/** The first non-loopback IPv4 address of this machine (127.0.0.1 when there is none). */
export function defaultAdvertiseAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export interface KubernetesServiceOptions {
  /** The Service's cluster IP (the first IP of the service subnet). */
  serviceIP: string;
  /** The API server's address as pods reach it. */
  advertiseAddress: string;
  /** The API server's port (the Service's targetPort). */
  port: number;
  intervalMs?: number;
}

export function desiredService(o: KubernetesServiceOptions): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: NAME, namespace: NAMESPACE, labels: { component: "apiserver", provider: "kubernetes" } },
    spec: {
      type: "ClusterIP",
      clusterIP: o.serviceIP,
      clusterIPs: [o.serviceIP],
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: o.port }],
      sessionAffinity: "None",
    },
  };
}

export function desiredEndpoints(o: KubernetesServiceOptions): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: NAME, namespace: NAMESPACE, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: [{ name: "https", port: o.port, protocol: "TCP" }] }],
  };
}

export function desiredEndpointSlice(o: KubernetesServiceOptions): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: NAME, namespace: NAMESPACE, labels: { "kubernetes.io/service-name": NAME } },
    addressType: "IPv4",
    endpoints: [{ addresses: [o.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: "https", port: o.port, protocol: "TCP" }],
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class KubernetesServiceReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void,
    private readonly opts: KubernetesServiceOptions,
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
      .catch((err) => this.log(`kubernetes service: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async reconcile(): Promise<void> {
    await this.ensureService();
    const ep = desiredEndpoints(this.opts);
    await this.ensure(def("", "Endpoints"), ep, (cur) => same(cur.subsets, ep.subsets), (cur) => ({ ...cur, subsets: ep.subsets }));
    const slice = desiredEndpointSlice(this.opts);
    await this.ensure(
      def("discovery.k8s.io", "EndpointSlice"),
      slice,
      (cur) => cur.addressType === slice.addressType && same(cur.endpoints, slice.endpoints) && same(cur.ports, slice.ports),
      (cur) => ({ ...cur, endpoints: slice.endpoints, ports: slice.ports }),
    );
  }

  private async ensureService(): Promise<void> {
    const want = desiredService(this.opts);
    const svcDef = def("", "Service");
    const wantSpec = want.spec as { ports: unknown[]; type: string };
    await this.ensure(
      svcDef,
      want,
      (cur) => {
        const spec = (cur.spec ?? {}) as { ports?: unknown[]; type?: string; clusterIP?: string };
        if (spec.clusterIP && spec.clusterIP !== this.opts.serviceIP) {
          this.log(`kubernetes service: holds cluster IP ${spec.clusterIP}, not ${this.opts.serviceIP} (the service subnet changed?); delete it to move it`);
        }
        return spec.type === wantSpec.type && same(spec.ports, wantSpec.ports);
      },
      (cur) => ({ ...cur, spec: { ...(cur.spec as object), type: wantSpec.type, ports: wantSpec.ports } }),
    );
  }

  /** Creates `want` when missing; otherwise rewrites it with `fix` unless `ok`. */
  private async ensure(r: ResourceDef, want: KubeObject, ok: (cur: KubeObject) => boolean, fix: (cur: KubeObject) => KubeObject): Promise<void> {
    const cur = await this.registry.tryGet(r, NAMESPACE, NAME);
    if (!cur) {
      try {
        await this.registry.create(r, NAMESPACE, structuredClone(want), CALLER);
      } catch (err) {
        if (!(isStatusError(err) && err.code === 409)) throw err;
      }
      return;
    }
    if (cur.metadata?.deletionTimestamp || ok(cur)) return;
    await this.registry.update(r, NAMESPACE, NAME, (c) => (ok(c) ? c : fix(c)), CALLER);
  }
}
