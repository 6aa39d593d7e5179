// The EndpointSlice and Endpoints controllers with the real kubectl against the in-process control
// plane. There is no kubelet: the test marks pods Running/Ready (or not) with IPs through
// pods/status, as a kubelet would, and reads what the controllers made of it.

import type { Pod } from "kubernetes-types/core/v1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { Caller } from "../../src/controlplane/apiserver/rest.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

const POD = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;
const KUBELET: Caller = { user: "system:node:n1", groups: ["system:nodes"], userAgent: "fake-kubelet" };

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.stop();
});

async function json(...args: string[]): Promise<any> {
  return JSON.parse(await c.k(...args, "-o", "json"));
}

/** What a kubelet reports: Running with an IP, Ready or not. */
async function setStatus(name: string, ip: string, ready: boolean): Promise<void> {
  const ts = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  await c.cp.registry.update(
    POD,
    "default",
    name,
    (cur) => {
      cur.status = {
        phase: "Running",
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: "172.18.0.2",
        startTime: ts,
        conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
          type,
          status: type === "Ready" || type === "ContainersReady" ? (ready ? "True" : "False") : "True",
          lastTransitionTime: ts,
        })),
      };
      return cur;
    },
    KUBELET,
    { subresource: "status" },
  );
}

function podYaml(name: string, labels: Record<string, string>, ports: Array<{ name: string; containerPort: number }> = []): string {
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { nodeName: "n1", containers: [{ name: "c", image: "x", ports: ports.length ? ports : undefined }] },
  };
  return JSON.stringify(pod);
}

function serviceYaml(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name, labels: { team: "a" } }, spec });
}

async function apply(...docs: string[]): Promise<void> {
  const r = await c.kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: docs.map((d) => JSON.parse(d)) }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

const slicesOf = async (svc: string) => (await json("get", "endpointslices", "-l", `kubernetes.io/service-name=${svc}`)).items as any[];
const endpointsOf = (slices: any[]) => slices.flatMap((s) => s.endpoints ?? []);
const byPod = (slices: any[]) => Object.fromEntries(endpointsOf(slices).map((e: any) => [e.targetRef.name, e]));
const ips = (addrs: any[] | undefined) => (addrs ?? []).map((a) => a.ip).sort();

describe("a Service selecting pods", () => {
  it("gets an EndpointSlice and an Endpoints object listing the ready pods", async () => {
    await apply(
      serviceYaml("web", { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] }),
      podYaml("web-1", { app: "web" }),
      podYaml("web-2", { app: "web" }),
      podYaml("web-3", { app: "web" }),
      podYaml("other", { app: "other" }),
    );
    await setStatus("web-1", "10.244.1.11", true);
    await setStatus("web-2", "10.244.1.12", true);
    await setStatus("web-3", "10.244.1.13", true);
    await setStatus("other", "10.244.1.99", true);

    const slices = await waitFor("three ready endpoints", async () => {
      const s = await slicesOf("web");
      return endpointsOf(s).filter((e: any) => e.conditions.ready).length === 3 && s;
    });
    expect(slices).toHaveLength(1);
    const svc = await json("get", "service", "web");
    expect(slices[0].metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slices[0].metadata.labels).toMatchObject({ team: "a", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
    expect(slices[0].metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slices[0].addressType).toBe("IPv4");
    expect(slices[0].ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(byPod(slices)["web-1"]).toMatchObject({
      addresses: ["10.244.1.11"],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "n1",
      targetRef: { kind: "Pod", namespace: "default", name: "web-1" },
    });
    expect(byPod(slices).other).toBeUndefined();

    const table = await c.k("get", "endpointslices", "-l", "kubernetes.io/service-name=web");
    expect(table).toMatch(/web-\w{5}\s+IPv4\s+8080\s+10\.244\.1\.11,10\.244\.1\.12,10\.244\.1\.13/);

    const ep = await waitFor("the Endpoints", async () => {
      const e = await json("get", "endpoints", "web");
      return ips(e.subsets?.[0]?.addresses).length === 3 && e;
    });
    expect(ep.subsets).toEqual([
      {
        addresses: ["1", "2", "3"].map((n) => ({ ip: `10.244.1.1${n}`, nodeName: "n1", targetRef: expect.objectContaining({ kind: "Pod", name: `web-${n}` }) })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
    expect(ep.metadata.labels).toEqual({ team: "a" });
    expect(ep.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await c.k("get", "endpoints", "web")).toMatch(/web\s+10\.244\.1\.11:8080,10\.244\.1\.12:8080,10\.244\.1\.13:8080/);
  });

  it("changes that do not concern endpoints write nothing", async () => {
    // Count the writes to the Service's Endpoints and slices from here on.
    const writes: string[] = [];
    const stop = new AbortController();
    const { revision } = await c.cp.backend.list("/registry/core/endpoints/default/web");
    for (const prefix of ["/registry/core/endpoints/default/web", "/registry/discovery.k8s.io/endpointslices/default/web-"]) {
      c.cp.backend.watch(prefix, revision, (evs) => void writes.push(...evs.map((e) => `${e.type} ${e.kv.key}`)), stop.signal);
    }
    try {
      await c.k("annotate", "pod", "web-1", "note=x");
      await c.k("label", "pod", "web-1", "extra=y");
      await setStatus("web-2", "10.244.1.12", true);
      // A later, relevant change proves the controllers have seen the earlier ones.
      await setStatus("web-3", "10.244.1.13", false);
      await waitFor("web-3 not ready", async () => ips((await json("get", "endpoints", "web")).subsets?.[0]?.notReadyAddresses).length === 1);
      await waitFor("web-3 unready in its slice", async () => byPod(await slicesOf("web"))["web-3"]?.conditions.ready === false);
      await setStatus("web-3", "10.244.1.13", true);
      await waitFor("web-3 ready again", async () => ips((await json("get", "endpoints", "web")).subsets?.[0]?.addresses).length === 3);
      await waitFor("web-3 ready in its slice", async () => byPod(await slicesOf("web"))["web-3"]?.conditions.ready === true);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      stop.abort();
    }
    // Exactly two writes each: web-3 unready, then ready again.
    expect(writes.filter((w) => w.includes("/endpoints/"))).toEqual(["PUT /registry/core/endpoints/default/web", "PUT /registry/core/endpoints/default/web"]);
    expect(writes.filter((w) => w.includes("/endpointslices/"))).toHaveLength(2);
  });

  it("a pod going unready moves to notReadyAddresses and is ready=false in its slice", async () => {
    await setStatus("web-2", "10.244.1.12", false);
    const ep = await waitFor("web-2 not ready", async () => {
      const e = await json("get", "endpoints", "web");
      return ips(e.subsets?.[0]?.notReadyAddresses).length === 1 && e;
    });
    expect(ips(ep.subsets[0].addresses)).toEqual(["10.244.1.11", "10.244.1.13"]);
    expect(ips(ep.subsets[0].notReadyAddresses)).toEqual(["10.244.1.12"]);
    const slices = await waitFor("web-2 unready in the slice", async () => {
      const s = await slicesOf("web");
      return byPod(s)["web-2"]?.conditions.ready === false && s;
    });
    expect(byPod(slices)["web-2"].conditions).toEqual({ ready: false, serving: false, terminating: false });
    const table = await c.k("describe", "endpoints", "web");
    expect(table).toMatch(/NotReadyAddresses:\s+10\.244\.1\.12/);
  });

  it("a terminating pod is terminating in its slice and leaves the Endpoints; a deleted pod leaves both", async () => {
    // No kubelet finishes the deletion: the pod stays terminating.
    await c.k("delete", "pod", "web-3", "--wait=false");
    const slices = await waitFor("web-3 terminating", async () => {
      const s = await slicesOf("web");
      return byPod(s)["web-3"]?.conditions.terminating && s;
    });
    expect(byPod(slices)["web-3"].conditions).toEqual({ ready: false, serving: true, terminating: true });
    await waitFor("web-3 out of the Endpoints", async () => {
      const e = await json("get", "endpoints", "web");
      return !JSON.stringify(e.subsets).includes("10.244.1.13");
    });
    await c.k("delete", "pod", "web-3", "--grace-period=0", "--force");
    await waitFor("web-3 gone from the slice", async () => !byPod(await slicesOf("web"))["web-3"]);
    expect(Object.keys(byPod(await slicesOf("web"))).sort()).toEqual(["web-1", "web-2"]);
  });

  it("deleting the Service removes its slices (garbage collection) and its Endpoints", async () => {
    await c.k("delete", "service", "web");
    await waitFor("no slices", async () => (await slicesOf("web")).length === 0);
    await waitFor("no Endpoints", async () => (await c.kubectl(["get", "endpoints", "web"])).stderr.includes("NotFound"));
  });
});

describe("named targetPorts and publishNotReadyAddresses", () => {
  it("pods resolving a named targetPort differently go to different slices and subsets", async () => {
    await apply(
      serviceYaml("named", { selector: { app: "named" }, ports: [{ name: "http", port: 80, targetPort: "web-port" }] }),
      podYaml("named-a", { app: "named" }, [{ name: "web-port", containerPort: 8080 }]),
      podYaml("named-b", { app: "named" }, [{ name: "web-port", containerPort: 9090 }]),
    );
    await setStatus("named-a", "10.244.2.1", true);
    await setStatus("named-b", "10.244.2.2", true);
    const slices = await waitFor("two slices", async () => {
      const s = await slicesOf("named");
      return s.length === 2 && endpointsOf(s).length === 2 && s;
    });
    const ports = Object.fromEntries(slices.map((s) => [s.endpoints[0].targetRef.name, s.ports]));
    expect(ports).toEqual({ "named-a": [{ name: "http", port: 8080, protocol: "TCP" }], "named-b": [{ name: "http", port: 9090, protocol: "TCP" }] });
    const ep = await waitFor("two subsets", async () => {
      const e = await json("get", "endpoints", "named");
      return e.subsets?.length === 2 && e;
    });
    expect(ep.subsets.map((s: any) => [ips(s.addresses), s.ports[0].port])).toEqual([
      [["10.244.2.1"], 8080],
      [["10.244.2.2"], 9090],
    ]);
  });

  it("publishNotReadyAddresses lists unready pods as ready", async () => {
    await apply(
      serviceYaml("pub", { selector: { app: "pub" }, publishNotReadyAddresses: true, clusterIP: "None", ports: [{ port: 5432 }] }),
      podYaml("pub-0", { app: "pub" }),
    );
    await setStatus("pub-0", "10.244.3.1", false);
    const slices = await waitFor("the endpoint", async () => {
      const s = await slicesOf("pub");
      return endpointsOf(s).length === 1 && s;
    });
    expect(endpointsOf(slices)[0].conditions).toEqual({ ready: true, serving: false, terminating: false });
    expect(slices[0].metadata.labels["service.kubernetes.io/headless"]).toBe("");
    const ep = await waitFor("the Endpoints", async () => {
      const e = await json("get", "endpoints", "pub");
      return e.subsets?.length === 1 && e;
    });
    expect(ips(ep.subsets[0].addresses)).toEqual(["10.244.3.1"]);
    expect(ep.subsets[0].notReadyAddresses).toBeUndefined();
  });

  it("a Service without a selector, or of type ExternalName, gets nothing from the controllers", async () => {
    await apply(
      serviceYaml("manual", { ports: [{ port: 80 }] }),
      serviceYaml("ext", { type: "ExternalName", externalName: "example.com", selector: { app: "named" } }),
      // A Service made after these proves the controllers have looked at them.
      serviceYaml("marker", { selector: { app: "none" }, ports: [{ port: 80 }] }),
    );
    await waitFor("the marker's placeholder slice", async () => (await slicesOf("marker")).length === 1);
    await waitFor("the marker's Endpoints", async () => (await c.kubectl(["get", "endpoints", "marker"])).code === 0);
    const [placeholder] = await slicesOf("marker");
    expect(placeholder.endpoints ?? []).toEqual([]);
    expect(placeholder.ports ?? []).toEqual([]);
    expect((await json("get", "endpoints", "marker")).subsets).toBeUndefined();
    expect(await slicesOf("manual")).toEqual([]);
    expect(await slicesOf("ext")).toEqual([]);
    expect((await c.kubectl(["get", "endpoints", "manual"])).stderr).toContain("NotFound");
    expect((await c.kubectl(["get", "endpoints", "ext"])).stderr).toContain("NotFound");
  });
});
