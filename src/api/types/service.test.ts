import { describe, expect, it } from "vitest";
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { serviceDefaults, servicePrepareForUpdate, validateService, validateServiceUpdate } from "./service.js";
import type { Obj } from "./util.js";

const pairs = (errs: FieldError[]) => errs.map((e) => [e.type, e.field]);

function svc(mutate: (spec: Obj) => void = () => {}): KubeObject {
  const spec: Obj = { selector: { app: "web" }, ports: [{ port: 80 }] };
  mutate(spec);
  const s: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec };
  serviceDefaults(s);
  return s;
}

describe("service defaults", () => {
  it("defaults a ClusterIP service", () => {
    expect(svc().spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
    });
  });

  it("defaults NodePort, LoadBalancer and ClientIP specifics", () => {
    const s = svc((sp) => {
      sp.type = "LoadBalancer";
      sp.sessionAffinity = "ClientIP";
      sp.ports[0].targetPort = "http";
    }).spec as Obj;
    expect(s).toMatchObject({
      externalTrafficPolicy: "Cluster",
      allocateLoadBalancerNodePorts: true,
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    });
    expect(s.ports[0].targetPort).toBe("http");
  });

  it("leaves ExternalName services without IP families", () => {
    const s = svc((sp) => {
      sp.type = "ExternalName";
      sp.externalName = "example.com";
      delete sp.ports;
    }).spec as Obj;
    expect(s.ipFamilies).toBeUndefined();
    expect(s.internalTrafficPolicy).toBeUndefined();
  });
});

describe("service validation", () => {
  const cases: Array<[string, (s: Obj) => void, Array<[string, string]>]> = [
    ["valid", () => {}, []],
    ["no ports", (s) => (s.ports = []), [["FieldValueRequired", "spec.ports"]]],
    ["headless without ports", (s) => ((s.ports = []), (s.clusterIP = "None")), []],
    [
      "port out of range (targetPort follows it)",
      (s) => (s.ports[0].port = 70000),
      [
        ["FieldValueInvalid", "spec.ports[0].port"],
        ["FieldValueInvalid", "spec.ports[0].targetPort"],
      ],
    ],
    ["protocol enum", (s) => (s.ports[0].protocol = "ICMP"), [["FieldValueNotSupported", "spec.ports[0].protocol"]]],
    ["names required with two ports", (s) => s.ports.push({ port: 81 }), [["FieldValueRequired", "spec.ports[0].name"], ["FieldValueRequired", "spec.ports[1].name"]]],
    ["duplicate names", (s) => (s.ports = [{ name: "a", port: 80 }, { name: "a", port: 81 }]), [["FieldValueDuplicate", "spec.ports[1].name"]]],
    ["duplicate port", (s) => (s.ports = [{ name: "a", port: 80 }, { name: "b", port: 80 }]), [["FieldValueDuplicate", "spec.ports[1]"]]],
    ["type enum", (s) => (s.type = "Internal"), [["FieldValueNotSupported", "spec.type"]]],
    ["ExternalName requires externalName", (s) => ((s.type = "ExternalName"), (s.ports = [])), [["FieldValueRequired", "spec.externalName"]]],
    ["nodePort on ClusterIP", (s) => (s.ports[0].nodePort = 30000), [["FieldValueForbidden", "spec.ports[0].nodePort"]]],
    ["bad selector", (s) => (s.selector = { app: "-x" }), [["FieldValueInvalid", "spec.selector"]]],
    ["bad clusterIP", (s) => (s.clusterIP = "10.0.0.300"), [["FieldValueInvalid", "spec.clusterIPs[0]"]]],
    ["externalTrafficPolicy on ClusterIP", (s) => (s.externalTrafficPolicy = "Local"), [["FieldValueInvalid", "spec.externalTrafficPolicy"]]],
    ["bad targetPort name", (s) => (s.ports[0].targetPort = "http_port"), [["FieldValueInvalid", "spec.ports[0].targetPort"]]],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    expect(pairs(validateService(svc(mutate)))).toEqual(expected);
  });
});

describe("service update", () => {
  const old = svc((s) => (s.clusterIP = "10.96.0.10"));

  it("keeps allocated values when the update omits them", () => {
    const next = svc();
    delete (next.spec as Obj).clusterIPs;
    servicePrepareForUpdate(next, old);
    expect((next.spec as Obj).clusterIP).toBe("10.96.0.10");
    expect(validateServiceUpdate(next, old)).toEqual([]);

    const np = svc((s) => ((s.type = "NodePort"), (s.ports[0].nodePort = 30080)));
    const npNext = svc((s) => (s.type = "NodePort"));
    servicePrepareForUpdate(npNext, np);
    expect((npNext.spec as Obj).ports[0].nodePort).toBe(30080);
  });

  it("refuses a new cluster IP", () => {
    const next = svc((s) => (s.clusterIP = "10.96.0.11"));
    expect(pairs(validateServiceUpdate(next, old))).toEqual([["FieldValueInvalid", "spec.clusterIPs[0]"]]);
  });

  it("refuses changing loadBalancerClass once set", () => {
    const lb = svc((s) => ((s.type = "LoadBalancer"), (s.loadBalancerClass = "example.com/a")));
    const next = svc((s) => ((s.type = "LoadBalancer"), (s.loadBalancerClass = "example.com/b")));
    const errs = validateServiceUpdate(next, lb);
    expect(errs).toEqual([{ type: "FieldValueInvalid", field: "spec.loadBalancerClass", detail: 'Invalid value: "example.com/b": may not change once set' }]);
  });

  it("allows the IP to go when switching to ExternalName", () => {
    const next = svc((s) => ((s.type = "ExternalName"), (s.externalName = "x.example.com")));
    expect(validateServiceUpdate(next, old)).toEqual([]);
  });
});
