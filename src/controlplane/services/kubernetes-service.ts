// The `default/kubernetes` Service and its Endpoints and EndpointSlice, as the API server's
// controller reconciler keeps them: the first IP of the service subnet, port https 443 to the API
// server's port on its advertise address. Reconciled at start and every 10 s, so a deleted or
// edited object comes back and a changed address (a node container restarted) is picked up.

import os from "node:os";
import type { KubeObject } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";
import { StaticServiceReconciler } from "./static-service.js";

const CALLER: Caller = { user: "system:apiserver", groups: ["system:masters"], userAgent: "kube-apiserver" };
const NAME = "kubernetes";
const NAMESPACE = "default";

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

export class KubernetesServiceReconciler extends StaticServiceReconciler {
  constructor(registry: Registry, log: (m: string) => void, opts: KubernetesServiceOptions) {
    super(registry, log, {
      what: "kubernetes service",
      namespace: NAMESPACE,
      name: NAME,
      caller: CALLER,
      serviceIP: opts.serviceIP,
      service: desiredService(opts),
      endpoints: desiredEndpoints(opts),
      slice: desiredEndpointSlice(opts),
      intervalMs: opts.intervalMs,
    });
  }
}
