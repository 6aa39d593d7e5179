// A Service without a selector whose endpoints are the control plane itself (`default/kubernetes`,
// `kube-system/kube-dns`): the Service, its Endpoints and its EndpointSlice are kept as wanted,
// at start and every interval, so a deleted or edited object comes back and a changed address
// (a node container restarted) is picked up.

import { isStatusError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";

const def = (group: string, kind: string): ResourceDef => RESOURCES.find((r) => r.group === group && r.kind === kind)!;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface StaticServiceOptions {
  /** How log lines begin, e.g. "kubernetes service". */
  what: string;
  namespace: string;
  name: string;
  caller: Caller;
  /** The Service's wanted cluster IP (a different one is only reported: it cannot change). */
  serviceIP: string;
  service: KubeObject;
  endpoints: KubeObject;
  slice: KubeObject;
  intervalMs?: number;
}

export class StaticServiceReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: (m: string) => void,
    private readonly opts: StaticServiceOptions,
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
      .catch((err) => this.log(`${this.opts.what}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async reconcile(): Promise<void> {
    const { service, endpoints: ep, slice, serviceIP, what } = this.opts;
    const wantSpec = service.spec as { ports: unknown[]; type: string };
    await this.ensure(
      def("", "Service"),
      service,
      (cur) => {
        const spec = (cur.spec ?? {}) as { ports?: unknown[]; type?: string; clusterIP?: string };
        if (spec.clusterIP && spec.clusterIP !== serviceIP) {
          this.log(`${what}: holds cluster IP ${spec.clusterIP}, not ${serviceIP} (the service subnet changed?); delete it to move it`);
        }
        return spec.type === wantSpec.type && same(spec.ports, wantSpec.ports);
      },
      (cur) => ({ ...cur, spec: { ...(cur.spec as object), type: wantSpec.type, ports: wantSpec.ports } }),
    );
    await this.ensure(def("", "Endpoints"), ep, (cur) => same(cur.subsets, ep.subsets), (cur) => ({ ...cur, subsets: ep.subsets }));
    await this.ensure(
      def("discovery.k8s.io", "EndpointSlice"),
      slice,
      (cur) => cur.addressType === slice.addressType && same(cur.endpoints, slice.endpoints) && same(cur.ports, slice.ports),
      (cur) => ({ ...cur, endpoints: slice.endpoints, ports: slice.ports }),
    );
  }

  /** Creates `want` when missing; otherwise rewrites it with `fix` unless `ok`. */
  private async ensure(r: ResourceDef, want: KubeObject, ok: (cur: KubeObject) => boolean, fix: (cur: KubeObject) => KubeObject): Promise<void> {
    const { namespace, name, caller } = this.opts;
    const cur = await this.registry.tryGet(r, namespace, name);
    if (!cur) {
      try {
        await this.registry.create(r, namespace, structuredClone(want), caller);
      } catch (err) {
        if (!(isStatusError(err) && err.code === 409)) throw err;
      }
      return;
    }
    if (cur.metadata?.deletionTimestamp || ok(cur)) return;
    await this.registry.update(r, namespace, name, (c) => (ok(c) ? c : fix(c)), caller);
  }
}
