// The `kube-system/kube-dns` Service and its Endpoints and EndpointSlice: the cluster DNS runs in
// the control plane's process (not as pods), so, like `default/kubernetes`
// (../services/kubernetes-service.ts), the Service has no selector and the control plane keeps
// its endpoints pointing at its own advertise address. The cluster IP is the 10th IP of the
// service subnet (10.96.0.10), which the allocator reserves. Reconciled at start and every 10 s.

import type { KubeObject } from "../../api/registry/types.js";
import type { Caller, Registry } from "../apiserver/rest.js";
import { StaticServiceReconciler } from "../services/static-service.js";

const CALLER: Caller = { user: "system:apiserver", groups: ["system:masters"], userAgent: "minicluster-dns" };
export const KUBE_DNS_NAME = "kube-dns";
export const KUBE_DNS_NAMESPACE = "kube-system";
const LABELS = { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" };

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

export class KubeDnsServiceReconciler extends StaticServiceReconciler {
  constructor(registry: Registry, log: (m: string) => void, opts: KubeDnsServiceOptions) {
    super(registry, log, {
      what: "kube-dns service",
      namespace: KUBE_DNS_NAMESPACE,
      name: KUBE_DNS_NAME,
      caller: CALLER,
      serviceIP: opts.serviceIP,
      service: desiredKubeDnsService(opts),
      endpoints: desiredKubeDnsEndpoints(opts),
      slice: desiredKubeDnsEndpointSlice(opts),
      intervalMs: opts.intervalMs,
    });
  }
}
