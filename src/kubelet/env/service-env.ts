// Service link variables (the kubelet's getServiceEnvVarMap + envvars.FromServices): for every
// Service with a cluster IP in the pod's namespace (unless spec.enableServiceLinks is false) and
// always for default/kubernetes: <SVC>_SERVICE_HOST, <SVC>_SERVICE_PORT, <SVC>_SERVICE_PORT_<NAME>
// per named port, and the Docker-link style <SVC>_PORT, <SVC>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}.

import type { Pod, Service } from "kubernetes-types/core/v1.js";
import { isNotFound } from "../../client/api-error.js";
import type { RestClient } from "../../client/rest.js";

const SERVICES = { group: "", version: "v1", plural: "services", namespaced: true } as const;
const MASTER_SERVICE = "kubernetes";

const envName = (s: string): string => s.toUpperCase().replace(/-/g, "_");
const ipSet = (s: Service): boolean => !!s.spec?.clusterIP && s.spec.clusterIP !== "None";
const hostPort = (ip: string, port: number): string => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The variables of one Service, in Kubernetes' order. */
export function serviceVars(svc: Service): Array<[string, string]> {
  const ports = svc.spec?.ports ?? [];
  if (!ipSet(svc) || ports.length === 0) return [];
  const ip = svc.spec!.clusterIP!;
  const prefix = envName(svc.metadata?.name ?? "");
  const out: Array<[string, string]> = [[`${prefix}_SERVICE_HOST`, ip], [`${prefix}_SERVICE_PORT`, String(ports[0].port)]];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = p.protocol || "TCP";
    const url = `${proto.toLowerCase()}://${hostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto.toLowerCase()], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/**
 * The service variables of a pod in `namespace`: `services` may hold Services of any namespace;
 * only those of the pod's namespace (when `enableServiceLinks`) and default/kubernetes count. A
 * Service named kubernetes in the pod's own namespace wins over the master one, as in the kubelet.
 */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Record<string, string> {
  const chosen = new Map<string, Service>();
  for (const s of services) {
    if (!ipSet(s)) continue;
    const name = s.metadata?.name ?? "";
    const ns = s.metadata?.namespace ?? "";
    if (ns === "default" && name === MASTER_SERVICE) {
      if (!chosen.has(name)) chosen.set(name, s);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, s);
    }
  }
  const out: Record<string, string> = {};
  for (const s of [...chosen.values()].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))) for (const [k, v] of serviceVars(s)) out[k] = v;
  return out;
}

/** Reads the Services a pod's environment needs (its namespace's, unless links are off, and default/kubernetes). */
export async function serviceEnvFor(client: Pick<RestClient, "list" | "get">, pod: Pod): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const links = pod.spec?.enableServiceLinks !== false;
  const [local, master] = await Promise.all([
    links ? client.list<Service>(SERVICES, { namespace }).then((l) => l.items) : Promise.resolve([]),
    client.get<Service>(SERVICES, MASTER_SERVICE, { namespace: "default" }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    }),
  ]);
  const withNs = (s: Service, ns: string): Service => ({ ...s, metadata: { ...s.metadata, namespace: s.metadata?.namespace ?? ns } });
  return serviceEnv([...local.map((s) => withNs(s, namespace)), ...(master ? [withNs(master, "default")] : [])], namespace, links);
}
