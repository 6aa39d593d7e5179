import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { describe, expect, it } from "vitest";
import type { ResourceRef } from "../client/paths.js";
import type { ObjectList, RestClient, WatchEvent } from "../client/rest.js";
import type { DesiredRules } from "./rules.js";
import type { UdpFlowFilter } from "./conntrack.js";
import { ServiceProxy } from "./watcher.js";

/** A client whose lists answer from arrays and whose watches are fed by the test. */
class FakeClient {
  readonly items: Record<string, unknown[]> = { services: [], endpointslices: [] };
  private readonly feeds: Record<string, Array<(ev: WatchEvent<unknown> | undefined) => void>> = { services: [], endpointslices: [] };
  private readonly queued: Record<string, Array<WatchEvent<unknown>>> = { services: [], endpointslices: [] };
  listGate: Promise<void> = Promise.resolve();

  async list<T>(r: ResourceRef): Promise<ObjectList<T>> {
    await this.listGate;
    return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "1" }, items: this.items[r.plural] as T[] };
  }

  async *watch<T>(r: ResourceRef, opts: { signal?: AbortSignal }): AsyncGenerator<WatchEvent<T>> {
    while (!opts.signal?.aborted) {
      const ev = this.queued[r.plural]!.shift() ?? (await new Promise<WatchEvent<unknown> | undefined>((resolve) => {
        this.feeds[r.plural]!.push(resolve);
        opts.signal?.addEventListener("abort", () => resolve(undefined), { once: true });
      }));
      if (!ev) return;
      yield ev as WatchEvent<T>;
    }
  }

  send(plural: string, ev: WatchEvent<unknown>): void {
    const f = this.feeds[plural]!.shift();
    if (f) f(ev);
    else this.queued[plural]!.push(ev);
  }
}

const svc: Service = { metadata: { name: "web", namespace: "default", resourceVersion: "1" }, spec: { clusterIP: "10.96.0.50", ports: [{ port: 80 }] } };
function slice(ips: string[], rv: string): EndpointSlice {
  return {
    addressType: "IPv4",
    metadata: { name: "web-x", namespace: "default", resourceVersion: rv, labels: { "kubernetes.io/service-name": "web" } },
    ports: [{ port: 8080 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

function setup(client: FakeClient) {
  const applied: DesiredRules[] = [];
  const deleted: UdpFlowFilter[][] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const proxy = new ServiceProxy({
    client: client as unknown as RestClient,
    podSubnet: "10.244.0.0/16",
    debounceMs: 20,
    applier: {
      apply: async (rules: DesiredRules) => {
        applied.push(rules);
        for (const w of waiters.filter((x) => applied.length >= x.n)) w.resolve();
        return "applied" as const;
      },
    },
    conntrack: { delete: async (flows: UdpFlowFilter[]) => void deleted.push(flows) },
  });
  const appliedAtLeast = (n: number) => (applied.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { proxy, applied, deleted, appliedAtLeast };
}

describe("ServiceProxy", () => {
  it("syncs once both lists are in, then after watch events, a burst in one sync", async () => {
    const client = new FakeClient();
    client.items.services = [svc];
    client.items.endpointslices = [slice(["10.244.1.2"], "2")];
    const { proxy, applied, appliedAtLeast } = setup(client);
    proxy.start();
    await proxy.ready;
    expect(applied).toHaveLength(1);
    expect(applied[0]!.counts).toEqual({ servicePorts: 1, rejected: 0, endpoints: 1 });

    // A burst of slice changes within the debounce window: one more sync, with the last state.
    client.send("endpointslices", { type: "MODIFIED", object: slice(["10.244.1.2", "10.244.1.3"], "3") });
    client.send("endpointslices", { type: "MODIFIED", object: slice(["10.244.1.2", "10.244.1.3", "10.244.1.4"], "4") });
    await appliedAtLeast(2);
    expect(applied[1]!.counts.endpoints).toBe(3);

    client.send("endpointslices", { type: "DELETED", object: slice([], "5") });
    await appliedAtLeast(3);
    expect(applied[2]!.counts).toEqual({ servicePorts: 0, rejected: 1, endpoints: 0 });
    await proxy.stop();
    expect(applied).toHaveLength(3);
  });

  it("re-reads the kernel once shortly after the first sync (the pod network may have written meanwhile)", async () => {
    const client = new FakeClient();
    client.items.services = [svc];
    client.items.endpointslices = [slice(["10.244.1.2"], "2")];
    const forced: boolean[] = [];
    const proxy = new ServiceProxy({
      client: client as unknown as RestClient,
      podSubnet: "10.244.0.0/16",
      settleResyncMs: 30,
      applier: {
        apply: async (_rules: DesiredRules, o?: { force?: boolean }) => {
          forced.push(!!o?.force);
          return "applied" as const;
        },
      },
    });
    proxy.start();
    await proxy.ready;
    await new Promise((r) => setTimeout(r, 150));
    await proxy.stop();
    expect(forced).toEqual([false, true]);
  });

  it("does not sync before the EndpointSlices are listed (that would reject every service)", async () => {
    const client = new FakeClient();
    client.items.services = [svc];
    client.items.endpointslices = [slice(["10.244.1.2"], "2")];
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const list = client.list.bind(client);
    client.list = async <T,>(r: ResourceRef) => {
      if (r.plural === "endpointslices") await gate;
      return list<T>(r);
    };
    const { proxy, applied } = setup(client);
    proxy.start();
    // The services list and a service event arrive while the slices list hangs.
    client.send("services", { type: "MODIFIED", object: { ...svc, metadata: { ...svc.metadata, resourceVersion: "9" } } });
    await new Promise((r) => setTimeout(r, 100));
    expect(applied).toHaveLength(0);
    openGate();
    await proxy.ready;
    expect(applied[0]!.counts.endpoints).toBe(1);
    await proxy.stop();
  });

  it("clears UDP conntrack entries after the rules that drop an endpoint are in", async () => {
    const client = new FakeClient();
    const udpSvc: Service = { ...svc, spec: { clusterIP: "10.96.0.50", ports: [{ port: 53, protocol: "UDP" }] } };
    const udpSlice = (ips: string[], rv: string): EndpointSlice => ({ ...slice(ips, rv), ports: [{ port: 5353, protocol: "UDP" }] });
    client.items.services = [udpSvc];
    client.items.endpointslices = [udpSlice(["10.244.1.2", "10.244.1.3"], "2")];
    const { proxy, applied, deleted, appliedAtLeast } = setup(client);
    proxy.start();
    await proxy.ready;
    // First sync: entries from before the proxy started may be un-NATed.
    expect(deleted).toEqual([[{ origDst: "10.96.0.50", dport: 53 }]]);
    client.send("endpointslices", { type: "MODIFIED", object: udpSlice(["10.244.1.3"], "3") });
    await appliedAtLeast(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(applied[1]!.udp).toEqual([{ name: "default/web", clusterIP: "10.96.0.50", port: 53, endpoints: ["10.244.1.3"] }]);
    expect(deleted[1]).toEqual([{ origDst: "10.96.0.50", dport: 53, dstNat: "10.244.1.2" }]);
    await proxy.stop();
    expect(deleted).toHaveLength(2);
  });
});
