// The EndpointSlices a Service should have (pkg/controller/endpointslice's reconciler, pure):
// one endpoint per pod with an IPv4 address (ready, serving, terminating conditions), grouped by
// the ports the Service's targetPorts resolve to on that pod, at most 100 endpoints per slice.
// `planSlices` turns the desired groups and the existing slices into the fewest writes: existing
// slices keep the endpoints they already hold, new endpoints fill slices with room, and only
// what remains becomes a new slice.

import type { Endpoint, EndpointPort, EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Pod, Service } from "kubernetes-types/core/v1.js";
import { endpointLabels, findPort, hostnameFor, isPodReady, podIPv4, sameLabels, shouldPodBeInEndpoints } from "./pods.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const MANAGED_BY = "endpointslice-controller.k8s.io";
export const TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoints sharing one resolution of the Service's ports. */
export interface EndpointGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

/** JSON with object keys sorted, so stored and computed values compare equal whatever their key order. */
export function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function podToEndpoint(pod: Pod, svc: Service, zoneOf: (node: string) => string | undefined): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never "ready", unless the Service publishes not-ready addresses.
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [podIPv4(pod)!],
    conditions: { ready, serving, terminating },
    targetRef: { kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  const node = pod.spec?.nodeName;
  if (node) {
    ep.nodeName = node;
    const zone = zoneOf(node);
    if (zone) ep.zone = zone;
  }
  const hostname = hostnameFor(pod, svc);
  if (hostname) ep.hostname = hostname;
  return ep;
}

/** The ports of a Service as one pod resolves them; ports whose name the pod lacks are left out. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP" };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** The desired endpoints of a Service, by port resolution (key: canonical ports). Pods must match the selector. */
export function desiredGroups(svc: Service, pods: readonly Pod[], zoneOf: (node: string) => string | undefined): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  const sorted = [...pods].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "", "en", { numeric: true }));
  for (const pod of sorted) {
    // Terminating pods stay in slices, marked terminating (kube-proxy drains them).
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = canon(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podToEndpoint(pod, svc, zoneOf));
  }
  return groups;
}

export function sliceLabels(svc: Service): Record<string, string> {
  return { ...endpointLabels(svc), [SERVICE_NAME_LABEL]: svc.metadata!.name!, [MANAGED_BY_LABEL]: MANAGED_BY };
}

export function ownerRefOf(svc: Service) {
  return { apiVersion: "v1", kind: "Service", name: svc.metadata!.name!, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((r) => r.controller && r.kind === "Service" && r.uid === svc.metadata?.uid);
}

export interface SlicePlan {
  /** New slices (metadata.generateName set, no name). */
  create: EndpointSlice[];
  /** Existing slices with new content (metadata as stored, resourceVersion included). */
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export interface PlanInput {
  service: Service;
  /** The pods the Service selects (same namespace). */
  pods: readonly Pod[];
  /** The slices this controller manages for the Service (label kubernetes.io/service-name). */
  existing: readonly EndpointSlice[];
  zoneOf?: (node: string) => string | undefined;
  maxPerSlice?: number;
  /** Set as the last-change-trigger-time annotation on slices written. */
  triggerTime?: string;
}

const epKey = (e: Endpoint): string => e.targetRef?.uid ?? e.addresses.join(",");

interface Working {
  slice: EndpointSlice;
  endpoints: Endpoint[];
  changed: boolean;
}

export function planSlices(input: PlanInput): SlicePlan {
  const { service: svc, existing } = input;
  const max = input.maxPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const labels = sliceLabels(svc);
  const groups = desiredGroups(svc, input.pods, input.zoneOf ?? (() => undefined));
  const plan: SlicePlan = { create: [], update: [], delete: [] };

  const metaOk = (s: EndpointSlice) =>
    s.addressType === "IPv4" && sameLabels(s.metadata?.labels, labels) && canon(s.metadata?.ownerReferences ?? []) === canon([ownerRefOf(svc)]);
  const write = (s: EndpointSlice, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => {
    const annotations = { ...(s.metadata?.annotations ?? {}) };
    if (input.triggerTime) annotations[TRIGGER_TIME_ANNOTATION] = input.triggerTime;
    const metadata = { ...s.metadata, labels, ownerReferences: [ownerRefOf(svc)] };
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    return { ...s, metadata, addressType: "IPv4", ports, endpoints };
  };
  const fresh = (ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice =>
    write({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { namespace: svc.metadata!.namespace, generateName: slicePrefix(svc.metadata!.name!) }, addressType: "IPv4", endpoints: [] }, ports, endpoints);

  // Slices of another owner (a Service since replaced) or of another address type go.
  const usable: EndpointSlice[] = [];
  for (const s of existing) {
    if (!ownedBy(s, svc) || s.addressType !== "IPv4") plan.delete.push(s);
    else usable.push(s);
  }

  let total = 0;
  for (const g of groups.values()) total += g.endpoints.length;
  if (total === 0) {
    // No endpoints: one placeholder slice (no ports, no endpoints) stands for the Service.
    const keep = usable.find((s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0) ?? usable[0];
    for (const s of usable) if (s !== keep) plan.delete.push(s);
    if (!keep) plan.create.push(fresh([], []));
    else if (!metaOk(keep) || (keep.endpoints ?? []).length || (keep.ports ?? []).length) plan.update.push(write(keep, [], []));
    return plan;
  }

  const placed = new Set<string>();
  const byGroup = new Map<string, Working[]>();
  const emptied: Working[] = [];
  for (const s of usable) {
    const key = canon(s.ports ?? []);
    const g = groups.get(key);
    if (!g) {
      emptied.push({ slice: s, endpoints: [], changed: true });
      continue;
    }
    const want = new Map(g.endpoints.map((e) => [epKey(e), e]));
    const kept: Endpoint[] = [];
    for (const e of s.endpoints ?? []) {
      const k = epKey(e);
      const d = want.get(k);
      if (!d || placed.has(k) || kept.length >= max) continue;
      placed.add(k);
      kept.push(d);
    }
    const w = { slice: s, endpoints: kept, changed: !metaOk(s) || canon(kept) !== canon(s.endpoints ?? []) };
    if (kept.length === 0) emptied.push(w);
    else byGroup.set(key, [...(byGroup.get(key) ?? []), w]);
  }

  for (const [key, g] of groups) {
    const rest = g.endpoints.filter((e) => !placed.has(epKey(e)));
    const slices = byGroup.get(key) ?? [];
    // Fill slices already being written first, then untouched ones, then emptied ones.
    const order = [...slices.filter((w) => w.changed), ...slices.filter((w) => !w.changed)];
    for (const w of order) {
      while (rest.length && w.endpoints.length < max) {
        w.endpoints.push(rest.shift()!);
        w.changed = true;
      }
    }
    while (rest.length && emptied.length) {
      const w = emptied.shift()!;
      w.endpoints = rest.splice(0, max);
      w.changed = true;
      plan.update.push(write(w.slice, g.ports, w.endpoints));
    }
    while (rest.length) plan.create.push(fresh(g.ports, rest.splice(0, max)));
    for (const w of slices) if (w.changed) plan.update.push(write(w.slice, g.ports, w.endpoints));
  }
  for (const w of emptied) plan.delete.push(w.slice);
  return plan;
}

/** generateName for a Service's slices (names `<service>-xxxxx`). */
export function slicePrefix(name: string): string {
  return `${name}-`;
}
