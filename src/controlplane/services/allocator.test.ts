import { describe, expect, it } from "vitest";
import { StatusError } from "../../api/errors.js";
import type { KubeObject } from "../../api/registry/types.js";
import { serviceDefaults, servicePrepareForUpdate } from "../../api/types/service.js";
import type { Obj } from "../../api/types/util.js";
import { BitmapRange, ServiceAllocator, nthServiceIP, staticBandSize } from "./allocator.js";

function svc(spec: Obj, name = "web"): KubeObject {
  const s: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } };
  serviceDefaults(s);
  return s;
}

const specOf = (s: KubeObject) => s.spec as Obj;

/** The error a create gets, as `field: detail`. */
function createError(a: ServiceAllocator, s: KubeObject): string {
  try {
    a.beginCreate(s);
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    return err.status.message ?? "";
  }
  return "";
}

describe("static band sizes (Kubernetes' calculateRangeOffset)", () => {
  it.each([
    [65534, 16, 256, 16, 256],
    [254, 16, 256, 16, 16],
    [10, 16, 256, 16, 0],
    [2768, 16, 128, 32, 86],
  ])("size %i", (size, min, max, step, want) => expect(staticBandSize(size, min, max, step)).toBe(want));
});

describe("BitmapRange", () => {
  it("hands out the upper band first, then the static band, never a reserved index", () => {
    const r = new BitmapRange(8, 4, new Set([1]));
    const got = [];
    for (let i = 0; i < 7; i++) got.push(r.takeNext(() => 0));
    expect(got).toEqual([4, 5, 6, 7, 0, 2, 3]);
    expect(r.takeNext(() => 0)).toBeUndefined();
    expect(r.take(1)).toBe(true);
    expect(r.take(1)).toBe(false);
    r.release(5);
    expect(r.takeNext(() => 0.99)).toBe(5);
    expect(r.used).toBe(8);
  });
});

describe("ServiceAllocator", () => {
  it("allocates cluster IPs outside the static band and fills clusterIPs and families", () => {
    const a = new ServiceAllocator({ random: () => 0 });
    const s = svc({});
    a.beginCreate(s).commit();
    expect(specOf(s)).toMatchObject({ clusterIP: "10.96.1.1", clusterIPs: ["10.96.1.1"], ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" });
    expect(a.isIPAllocated("10.96.1.1")).toBe(true);
    expect(nthServiceIP("10.96.0.0/16", 10)).toBe("10.96.0.10");
  });

  it("never hands 10.96.0.1 or 10.96.0.10 out dynamically", () => {
    const a = new ServiceAllocator({ serviceSubnet: "10.96.0.0/28", random: () => 0 });
    const got = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const s = svc({}, `s${i}`);
      a.beginCreate(s).commit();
      got.add(specOf(s).clusterIP);
    }
    expect(got.size).toBe(12);
    expect(got.has("10.96.0.1") || got.has("10.96.0.10")).toBe(false);
    expect(createError(a, svc({}, "full"))).toBe("Internal error occurred: failed to allocate a serviceIP: range is full");
    // Asked for by name, the reserved ones are still available.
    a.beginCreate(svc({ clusterIP: "10.96.0.10" }, "dns")).commit();
    expect(a.isIPAllocated("10.96.0.10")).toBe(true);
  });

  it.each([
    ["a taken IP", { clusterIP: "10.96.0.10" }, 'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated'],
    [
      "an IP outside the range",
      { clusterIP: "10.0.0.5" },
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    ],
    [
      "the network address",
      { clusterIP: "10.96.0.0" },
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.0"}: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    ],
    ["a taken node port", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }, 'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
    [
      "a node port out of range",
      { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] },
      'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
    ["IPv6", { ipFamilies: ["IPv6"] }, 'Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
    ["RequireDualStack", { ipFamilyPolicy: "RequireDualStack" }, 'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'],
  ])("refuses %s with Kubernetes' error and takes nothing", (_n, spec, message) => {
    const a = new ServiceAllocator();
    a.beginCreate(svc({ clusterIP: "10.96.0.10", type: "NodePort", ports: [{ port: 53, nodePort: 30080 }] }, "holder")).commit();
    expect(createError(a, svc(spec))).toBe(message);
    expect([a.usedIPs, a.usedPorts]).toEqual([1, 1]);
  });

  it("node ports: explicit first, one per port, shared across protocols, freed on revert and release", () => {
    const a = new ServiceAllocator({ random: () => 0 });
    const s = svc({
      type: "NodePort",
      ports: [
        { name: "a", port: 80 },
        { name: "b", port: 81, nodePort: 30086 },
        { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 },
        { name: "dns-tcp", port: 53, protocol: "TCP", nodePort: 30053 },
      ],
    });
    const txn = a.beginCreate(s);
    expect(specOf(s).ports.map((p: Obj) => p.nodePort)).toEqual([30087, 30086, 30053, 30053]);
    expect(a.usedPorts).toBe(3);
    txn.revert();
    expect([a.usedIPs, a.usedPorts]).toEqual([0, 0]);
    a.beginCreate(s).commit();
    a.release(s);
    expect([a.usedIPs, a.usedPorts]).toEqual([0, 0]);
  });

  it("headless and ExternalName take nothing; LoadBalancer takes node ports and a health check port", () => {
    const a = new ServiceAllocator();
    const headless = svc({ clusterIP: "None" });
    a.beginCreate(headless).commit();
    expect(specOf(headless)).toMatchObject({ clusterIP: "None", clusterIPs: ["None"], ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4"] });
    const selectorless = svc({ clusterIP: "None", selector: undefined });
    a.beginCreate(selectorless).commit();
    expect(specOf(selectorless)).toMatchObject({ ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4"] });
    const ext = svc({ type: "ExternalName", externalName: "example.com", ports: [] });
    a.beginCreate(ext).commit();
    expect(specOf(ext).clusterIP).toBeUndefined();
    expect([a.usedIPs, a.usedPorts]).toEqual([0, 0]);
    const lb = svc({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
    a.beginCreate(lb).commit();
    expect(specOf(lb).ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(specOf(lb).healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect([a.usedIPs, a.usedPorts]).toEqual([1, 2]);
    const noPorts = svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: false }, "np");
    a.beginCreate(noPorts).commit();
    expect(specOf(noPorts).ports[0].nodePort).toBeUndefined();
  });

  it("restores held values from stored Services and reports clashes", () => {
    const a = new ServiceAllocator();
    const s = svc({ clusterIP: "10.96.5.5", type: "NodePort", ports: [{ port: 80, nodePort: 31000 }] });
    specOf(s).clusterIPs = ["10.96.5.5"];
    expect(a.restore(s)).toEqual([]);
    expect(a.isIPAllocated("10.96.5.5") && a.isPortAllocated(31000)).toBe(true);
    expect(a.restore(svc({ clusterIP: "10.96.5.5", clusterIPs: ["10.96.5.5"] }, "twin"))).toEqual(["service default/twin: cluster IP 10.96.5.5 is held twice"]);
    expect(a.restore(svc({ clusterIP: "10.0.0.1", clusterIPs: ["10.0.0.1"] }, "old"))).toEqual(["service default/old: cluster IP 10.0.0.1 is outside 10.96.0.0/16"]);
  });

  describe("updates", () => {
    function update(a: ServiceAllocator, old: KubeObject, change: (spec: Obj) => void): KubeObject {
      const next = structuredClone(old);
      change(specOf(next));
      serviceDefaults(next);
      servicePrepareForUpdate(next, old);
      return next;
    }

    it("keeps the IP and node ports, adds new ports, frees dropped ones on commit only", () => {
      const a = new ServiceAllocator();
      const old = svc({ type: "NodePort", ports: [{ name: "a", port: 80, nodePort: 30001 }, { name: "b", port: 81, nodePort: 30002 }] });
      a.beginCreate(old).commit();
      const next = update(a, old, (sp) => (sp.ports = [{ name: "a", port: 80 }, { name: "c", port: 82, nodePort: 30003 }]));
      const txn = a.beginUpdate(next, old);
      expect(specOf(next).clusterIP).toBe(specOf(old).clusterIP);
      expect(specOf(next).ports.map((p: Obj) => p.nodePort)).toEqual([30001, 30003]);
      expect(a.isPortAllocated(30002)).toBe(true);
      txn.commit();
      expect([30001, 30002, 30003].map((p) => a.isPortAllocated(p))).toEqual([true, false, true]);
      expect(a.usedIPs).toBe(1);
    });

    it("a reverted update gives back only what it took", () => {
      const a = new ServiceAllocator();
      const old = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] });
      a.beginCreate(old).commit();
      const next = update(a, old, (sp) => sp.ports.push({ name: "b", port: 81, nodePort: 30002 }) && (sp.ports[0].name = "a"));
      a.beginUpdate(next, old).revert();
      expect([a.isPortAllocated(30001), a.isPortAllocated(30002)]).toEqual([true, false]);
    });

    it("NodePort to ClusterIP drops and frees the node ports; ClusterIP to ExternalName frees the IP", () => {
      const a = new ServiceAllocator();
      const old = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] });
      a.beginCreate(old).commit();
      const cip = update(a, old, (sp) => (sp.type = "ClusterIP"));
      expect(specOf(cip).ports[0].nodePort).toBeUndefined();
      a.beginUpdate(cip, old).commit();
      expect([a.usedIPs, a.usedPorts]).toEqual([1, 0]);
      const ext = update(a, cip, (sp) => ((sp.type = "ExternalName"), (sp.externalName = "example.com")));
      expect(specOf(ext).clusterIP).toBeUndefined();
      a.beginUpdate(ext, cip).commit();
      expect([a.usedIPs, a.usedPorts]).toEqual([0, 0]);
      const back = update(a, ext, (sp) => ((sp.type = "ClusterIP"), delete sp.externalName));
      a.beginUpdate(back, ext).commit();
      expect(specOf(back).clusterIP).toMatch(/^10\.96\./);
      expect(a.usedIPs).toBe(1);
    });

    it("refuses a node port another Service holds", () => {
      const a = new ServiceAllocator();
      a.beginCreate(svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }, "other")).commit();
      const old = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] });
      a.beginCreate(old).commit();
      const next = update(a, old, (sp) => (sp.ports[0].nodePort = 30080));
      expect(() => a.beginUpdate(next, old)).toThrow("spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated");
      expect(a.isPortAllocated(30001)).toBe(true);
    });
  });
});
