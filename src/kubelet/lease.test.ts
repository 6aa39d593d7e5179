import { describe, expect, it } from "vitest";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import { microTime, renewedLease } from "./lease.js";

describe("node lease", () => {
  it("writes MicroTime with six fractional digits", () => {
    expect(microTime(new Date("2026-01-02T15:04:05.123Z"))).toBe("2026-01-02T15:04:05.123000Z");
    expect(microTime(new Date("2026-01-02T15:04:05Z"))).toBe("2026-01-02T15:04:05.000000Z");
  });

  it("makes a new lease held by the node and owned by it", () => {
    expect(renewedLease(undefined, { name: "n1", uid: "u1" }, new Date("2026-01-01T00:00:00Z"))).toEqual({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "n1", namespace: "kube-node-lease", ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "u1" }] },
      spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:00.000000Z" },
    });
  });

  it("renews an existing lease: keeps its resourceVersion, moves renewTime, re-points the owner to the current node", () => {
    const current: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "n1", namespace: "kube-node-lease", resourceVersion: "42", uid: "lease-uid", ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "old" }] },
      spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:00.000000Z", leaseTransitions: 1 },
    };
    const next = renewedLease(current, { name: "n1", uid: "new" }, new Date("2026-01-01T00:00:10.5Z"), 30);
    expect(next.metadata).toMatchObject({ resourceVersion: "42", uid: "lease-uid", ownerReferences: [{ uid: "new" }] });
    expect(next.metadata!.ownerReferences).toHaveLength(1);
    expect(next.spec).toEqual({ holderIdentity: "n1", leaseDurationSeconds: 30, renewTime: "2026-01-01T00:00:10.500000Z", leaseTransitions: 1 });
    expect(current.spec!.renewTime).toBe("2026-01-01T00:00:00.000000Z"); // not mutated
  });
});
