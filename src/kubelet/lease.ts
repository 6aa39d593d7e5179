// The node Lease: the kubelet's cheap heartbeat (kube-node-lease/<node>), renewed every 10 s.
// The node lifecycle controller marks a node unknown when it stops being renewed.

import type { Lease } from "kubernetes-types/coordination/v1.js";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
export const LEASE_DURATION_SECONDS = 40;

/** metav1.MicroTime: RFC 3339 with six fractional digits ("2006-01-02T15:04:05.000000Z"). */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface NodeRef {
  name: string;
  uid: string;
}

/**
 * The lease to write: `current` (as read from the server, keeping its resourceVersion so the write
 * is conditional) renewed to `now`, or a new one. Ownership by the Node makes the garbage
 * collector delete the lease with the node.
 */
export function renewedLease(current: Lease | undefined, node: NodeRef, now: Date, durationSeconds = LEASE_DURATION_SECONDS): Lease {
  const owner = { apiVersion: "v1", kind: "Node", name: node.name, uid: node.uid };
  const others = (current?.metadata?.ownerReferences ?? []).filter((o) => !(o.kind === "Node" && o.apiVersion === "v1"));
  return {
    ...current,
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { ...current?.metadata, name: node.name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [...others, owner] },
    spec: { ...current?.spec, holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}
