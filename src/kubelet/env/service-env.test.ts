import { describe, expect, it } from "vitest";
import type { Service } from "kubernetes-types/core/v1.js";
import { serviceEnv, serviceVars } from "./service-env.js";

const svc = (namespace: string, name: string, clusterIP: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service => ({
  metadata: { namespace, name },
  spec: { clusterIP, ports: ports.map((p) => ({ ...p })) },
});

const master = svc("default", "kubernetes", "10.96.0.1", [{ name: "https", port: 443 }]);

describe("serviceVars", () => {
  it("makes the Kubernetes variables of a multi-port service", () => {
    expect(serviceVars(svc("a", "my-web", "10.96.3.4", [{ port: 80, name: "http" }, { port: 53, name: "dns-udp", protocol: "UDP" }]))).toEqual([
      ["MY_WEB_SERVICE_HOST", "10.96.3.4"],
      ["MY_WEB_SERVICE_PORT", "80"],
      ["MY_WEB_SERVICE_PORT_HTTP", "80"],
      ["MY_WEB_SERVICE_PORT_DNS_UDP", "53"],
      ["MY_WEB_PORT", "tcp://10.96.3.4:80"],
      ["MY_WEB_PORT_80_TCP", "tcp://10.96.3.4:80"],
      ["MY_WEB_PORT_80_TCP_PROTO", "tcp"],
      ["MY_WEB_PORT_80_TCP_PORT", "80"],
      ["MY_WEB_PORT_80_TCP_ADDR", "10.96.3.4"],
      ["MY_WEB_PORT_53_UDP", "udp://10.96.3.4:53"],
      ["MY_WEB_PORT_53_UDP_PROTO", "udp"],
      ["MY_WEB_PORT_53_UDP_PORT", "53"],
      ["MY_WEB_PORT_53_UDP_ADDR", "10.96.3.4"],
    ]);
  });

  it("brackets IPv6 addresses in URLs", () => {
    expect(serviceVars(svc("a", "v6", "fd00::10", [{ port: 8080 }]))).toContainEqual(["V6_PORT", "tcp://[fd00::10]:8080"]);
  });

  it.each([
    ["headless", svc("a", "h", "None", [{ port: 80 }])],
    ["ExternalName (no cluster IP)", svc("a", "e", "", [{ port: 80 }])],
    ["no ports", svc("a", "n", "10.96.0.9", [])],
  ])("gives nothing for a %s service", (_what, s) => {
    expect(serviceVars(s)).toEqual([]);
  });
});

describe("serviceEnv", () => {
  const local = svc("team", "db", "10.96.0.20", [{ port: 5432 }]);
  const other = svc("elsewhere", "cache", "10.96.0.30", [{ port: 6379 }]);

  it.each<[string, Service[], string, boolean, Record<string, string | undefined>]>([
    ["links on: own namespace and the master service", [master, local, other], "team", true, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", KUBERNETES_SERVICE_PORT_HTTPS: "443", KUBERNETES_PORT: "tcp://10.96.0.1:443", DB_SERVICE_HOST: "10.96.0.20", CACHE_SERVICE_HOST: undefined }],
    ["links off: only KUBERNETES_*", [master, local], "team", false, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_PORT_443_TCP_ADDR: "10.96.0.1", DB_SERVICE_HOST: undefined }],
    ["a kubernetes service in the pod's namespace wins", [master, svc("team", "kubernetes", "10.96.9.9", [{ port: 80 }])], "team", true, { KUBERNETES_SERVICE_HOST: "10.96.9.9", KUBERNETES_SERVICE_PORT: "80" }],
    ["no master service: none of its variables", [local], "team", true, { KUBERNETES_SERVICE_HOST: undefined, DB_SERVICE_PORT: "5432" }],
  ])("%s", (_what, services, ns, links, expected) => {
    const env = serviceEnv(services, ns, links);
    for (const [k, v] of Object.entries(expected)) expect(env[k], k).toBe(v);
  });
});
