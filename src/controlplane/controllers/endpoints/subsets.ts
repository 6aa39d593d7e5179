// The legacy Endpoints object of a Service (pkg/controller/endpoint, pure): one address per pod
// with an IPv4 address, in `addresses` when ready (or when the Service publishes not-ready
// addresses) and in `notReadyAddresses` otherwise, packed into subsets the way Kubernetes'
// RepackSubsets does — addresses offering the same set of ports share a subset.

import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from "kubernetes-types/core/v1.js";
import { endpointLabels, findPort, hostnameFor, isPodReady, podIPv4, sameLabels, shouldPodBeInEndpoints } from "../endpointslice/pods.js";
import { canon, TRIGGER_TIME_ANNOTATION } from "../endpointslice/slices.js";

interface Entry {
  address: EndpointAddress;
  ready: boolean;
  ports: EndpointPort[];
}

function entries(svc: Service, pods: readonly Pod[]): Entry[] {
  const tolerate = !!svc.spec?.publishNotReadyAddresses;
  const out: Entry[] = [];
  for (const pod of pods) {
    // Terminating pods are dropped, unless the Service publishes not-ready addresses.
    if (!shouldPodBeInEndpoints(pod, tolerate)) continue;
    const address: EndpointAddress = {
      ip: podIPv4(pod)!,
      targetRef: { kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    const hostname = hostnameFor(pod, svc);
    if (hostname) address.hostname = hostname;
    const ready = tolerate || isPodReady(pod);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      // A headless Service without ports still lists its pods.
      if (svc.spec?.clusterIP === "None") out.push({ address, ready, ports: [] });
      continue;
    }
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? "TCP" };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    if (ports.length) out.push({ address, ready, ports });
  }
  return out;
}

const addrKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ""}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byAddress = (a: EndpointAddress, b: EndpointAddress) => cmp(a.ip, b.ip) || cmp(a.targetRef?.uid ?? "", b.targetRef?.uid ?? "");
const byPort = (a: EndpointPort, b: EndpointPort) => cmp(a.name ?? "", b.name ?? "") || a.port - b.port || cmp(a.protocol ?? "", b.protocol ?? "");

/** The subsets of a Service's Endpoints; pods must match the Service's selector. */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  // Port → (address → ready); an address ready for a port in one entry stays ready.
  const addrs = new Map<string, EndpointAddress>();
  const portAddrs = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const e of entries(svc, pods)) {
    const ak = addrKey(e.address);
    if (!addrs.has(ak)) addrs.set(ak, e.address);
    for (const port of e.ports.length ? e.ports : [undefined]) {
      const pk = port ? canon(port) : "-";
      let pa = portAddrs.get(pk);
      if (!pa) portAddrs.set(pk, (pa = { port, ready: new Map() }));
      if (!pa.ready.get(ak)) pa.ready.set(ak, e.ready);
    }
  }
  // Address set (with readiness) → the ports it offers.
  const bySet = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of portAddrs.values()) {
    const setKey = [...ready].map(([k, r]) => `${k}=${r}`).sort().join(",");
    let s = bySet.get(setKey);
    if (!s) bySet.set(setKey, (s = { ready, ports: [] }));
    if (port) s.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { ready, ports } of bySet.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of ready) (r ? readyAddrs : notReady).push(addrs.get(k)!);
    const subset: EndpointSubset = {};
    if (readyAddrs.length) subset.addresses = readyAddrs.sort(byAddress);
    if (notReady.length) subset.notReadyAddresses = notReady.sort(byAddress);
    if (ports.length) subset.ports = ports.sort(byPort);
    subsets.push(subset);
  }
  return subsets.sort((a, b) => cmp(canon(a), canon(b)));
}

/** The labels the Endpoints object carries (the Service's, plus the headless marker). */
export const endpointsLabels = endpointLabels;

/**
 * The Endpoints object to write for a Service, or undefined when `current` already has the
 * desired subsets and labels (the trigger time alone never causes a write).
 */
export function endpointsToWrite(svc: Service, pods: readonly Pod[], current: Endpoints | undefined, triggerTime?: string): Endpoints | undefined {
  const subsets = desiredSubsets(svc, pods);
  const labels = endpointsLabels(svc);
  if (current && canon(current.subsets ?? []) === canon(subsets) && sameLabels(current.metadata?.labels, labels)) return undefined;
  const annotations = { ...(current?.metadata?.annotations ?? {}) };
  if (triggerTime) annotations[TRIGGER_TIME_ANNOTATION] = triggerTime;
  else delete annotations[TRIGGER_TIME_ANNOTATION];
  const metadata: NonNullable<Endpoints["metadata"]> = { ...(current?.metadata ?? { name: svc.metadata!.name, namespace: svc.metadata!.namespace }), labels };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: Endpoints = { apiVersion: "v1", kind: "Endpoints", metadata };
  if (subsets.length) out.subsets = subsets;
  return out;
}
