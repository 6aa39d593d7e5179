import { describe, expect, it } from "vitest";
import { admitPodServiceAccount, randomSuffix, SERVICE_ACCOUNT_MOUNT_PATH } from "./pod-serviceaccount.js";
import type { Obj } from "./util.js";

const pod = (spec: Obj, metadata: Obj = { name: "p", namespace: "ns" }): Obj => ({ apiVersion: "v1", kind: "Pod", metadata, spec });

describe("admitPodServiceAccount", () => {
  it("defaults the ServiceAccount and mounts kube-api-access-* in every container", () => {
    const p = pod({ initContainers: [{ name: "i", image: "x" }], containers: [{ name: "a", image: "x", volumeMounts: [{ name: "d", mountPath: "/d" }] }], volumes: [{ name: "d", emptyDir: {} }] });
    admitPodServiceAccount(p);
    expect(p.spec.serviceAccountName).toBe("default");
    const vol = p.spec.volumes[1];
    expect(vol.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vol.projected.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ]);
    const mount = { name: vol.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH };
    expect(p.spec.initContainers[0].volumeMounts).toEqual([mount]);
    expect(p.spec.containers[0].volumeMounts).toEqual([{ name: "d", mountPath: "/d" }, mount]);
  });

  it("keeps a named ServiceAccount (and the deprecated alias)", () => {
    const a = pod({ serviceAccountName: "robot", containers: [{ name: "a" }] });
    admitPodServiceAccount(a);
    expect(a.spec.serviceAccountName).toBe("robot");
    const b = pod({ serviceAccount: "old", containers: [{ name: "a" }] });
    admitPodServiceAccount(b);
    expect(b.spec.serviceAccountName).toBe("old");
  });

  it("skips the token when automount is false, and mirror pods entirely", () => {
    const a = pod({ automountServiceAccountToken: false, containers: [{ name: "a" }] });
    admitPodServiceAccount(a);
    expect(a.spec.serviceAccountName).toBe("default");
    expect(a.spec.volumes).toBeUndefined();
    expect(a.spec.containers[0].volumeMounts).toBeUndefined();
    const m = pod({ containers: [{ name: "a" }] }, { name: "m", annotations: { "kubernetes.io/config.mirror": "x" } });
    admitPodServiceAccount(m);
    expect(m.spec.volumes).toBeUndefined();
    expect(m.spec.serviceAccountName).toBeUndefined();
  });

  it("follows the ServiceAccount's automountServiceAccountToken: false unless the pod sets its own", () => {
    const sa = { metadata: { name: "default" }, automountServiceAccountToken: false };
    const a = pod({ containers: [{ name: "a" }] });
    admitPodServiceAccount(a, Math.random, sa);
    expect(a.spec.volumes).toBeUndefined();
    const b = pod({ automountServiceAccountToken: true, containers: [{ name: "a" }] });
    admitPodServiceAccount(b, Math.random, sa);
    expect(b.spec.volumes).toHaveLength(1);
    const c = pod({ containers: [{ name: "a" }] });
    admitPodServiceAccount(c, Math.random, { metadata: { name: "default" }, automountServiceAccountToken: true });
    expect(c.spec.volumes).toHaveLength(1);
  });

  it("leaves containers that mount the path themselves, and adds no volume if none needs it", () => {
    const own = { name: "mine", mountPath: SERVICE_ACCOUNT_MOUNT_PATH };
    const a = pod({ containers: [{ name: "a", volumeMounts: [own] }], volumes: [{ name: "mine", secret: { secretName: "s" } }] });
    admitPodServiceAccount(a);
    expect(a.spec.volumes).toHaveLength(1);
    expect(a.spec.containers[0].volumeMounts).toEqual([own]);
    const b = pod({ containers: [{ name: "a", volumeMounts: [own] }, { name: "b" }] });
    admitPodServiceAccount(b);
    expect(b.spec.containers[0].volumeMounts).toEqual([own]);
    expect(b.spec.containers[1].volumeMounts[0].name).toBe(b.spec.volumes[0].name);
  });

  it("reuses an existing kube-api-access-* volume", () => {
    const a = pod({ containers: [{ name: "a" }], volumes: [{ name: "kube-api-access-abcde", projected: { sources: [] } }] });
    admitPodServiceAccount(a);
    expect(a.spec.volumes).toHaveLength(1);
    expect(a.spec.containers[0].volumeMounts[0].name).toBe("kube-api-access-abcde");
    // The suffix comes from the random source, over Kubernetes' alphabet.
    const b = pod({ containers: [{ name: "a" }] });
    admitPodServiceAccount(b, () => 0);
    expect(b.spec.volumes[0].name).toBe("kube-api-access-bbbbb");
  });

  it("randomSuffix has the requested length", () => {
    expect(randomSuffix(5)).toHaveLength(5);
  });
});
