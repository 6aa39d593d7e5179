// What both endpoint controllers need to know about a Service and its pods (Kubernetes'
// endpointutil and podutil.FindPort): which Services the controllers manage, which pods belong in
// endpoints at all, readiness, hostnames, and how a Service port's targetPort resolves per pod.

import type { Pod, Service, ServicePort } from "kubernetes-types/core/v1.js";
import { selectorFromSet, type LabelMatcher } from "../../../api/selectors/labels.js";

/**
 * The selector of a Service whose endpoints the controllers keep, or undefined: ExternalName
 * Services and Services without a selector are left alone (their endpoints are user-managed).
 */
export function managedSelector(svc: Service): LabelMatcher | undefined {
  if (svc.spec?.type === "ExternalName") return undefined;
  const sel = svc.spec?.selector;
  // An empty selector is no selector (the API drops empty maps).
  if (!sel || Object.keys(sel).length === 0) return undefined;
  return selectorFromSet(sel);
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** The pod's IPv4 address (status.podIPs first, then status.podIP), or undefined. */
export function podIPv4(pod: Pod): string | undefined {
  const ips = [...(pod.status?.podIPs ?? []).map((p) => p.ip), pod.status?.podIP].filter((ip): ip is string => !!ip);
  return ips.find((ip) => /^\d{1,3}(\.\d{1,3}){3}$/.test(ip));
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and (unless terminating pods are wanted) not being deleted. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!podIPv4(pod)) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** A pod's hostname is published when its subdomain is the Service's name (headless DNS records). */
export function hostnameFor(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  if (h && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace) return h;
  return undefined;
}

/**
 * The port number a Service port reaches on a pod (FindPort): a number as it is (an unset or zero
 * targetPort means the Service's port), a name looked up among the pod's container ports with the
 * same protocol. Undefined when the name is not found: the pod gets no endpoint for that port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort;
  const protocol = sp.protocol ?? "TCP";
  if (typeof target === "string") {
    if (/^\d+$/.test(target)) return Number(target);
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
    }
    return undefined;
  }
  return target || sp.port;
}

/** The pod fields the controllers read: events that leave them unchanged need no sync. */
export function podSignature(pod: Pod | undefined): string {
  if (!pod) return "";
  return JSON.stringify([
    pod.metadata?.labels ?? {},
    pod.metadata?.deletionTimestamp ?? "",
    pod.metadata?.uid,
    pod.status?.podIP ?? "",
    pod.status?.podIPs ?? [],
    pod.status?.phase ?? "",
    isPodReady(pod),
    pod.spec?.nodeName ?? "",
    pod.spec?.hostname ?? "",
    pod.spec?.subdomain ?? "",
    (pod.spec?.containers ?? []).map((c) => c.ports ?? []),
  ]);
}

/** Label values equal as maps (key order ignored). */
export function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}

/** The labels a Service's Endpoints and EndpointSlices carry: the Service's own, plus the headless marker. */
export function endpointLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  else delete labels["service.kubernetes.io/headless"];
  return labels;
}
