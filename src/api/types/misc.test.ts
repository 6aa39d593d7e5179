import { describe, expect, it } from "vitest";
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { nameValidatorFor, prepareForUpdate, strategies } from "./index.js";
import type { Obj } from "./util.js";

const pairs = (errs: FieldError[]) => errs.map((e) => [e.type, e.field]);

/** Defaults then validates an object of the given gvk key. */
function check(key: string, obj: Obj): Array<[string, string]> {
  const s = strategies[key];
  s.defaults?.(obj as KubeObject);
  return pairs(s.validate?.(obj as KubeObject) ?? []) as Array<[string, string]>;
}
function defaulted(key: string, obj: Obj): Obj {
  strategies[key].defaults?.(obj as KubeObject);
  return obj;
}
const meta = (name = "x", namespace: string | undefined = "default") => (namespace ? { name, namespace } : { name });

describe("every served kind has a strategy", () => {
  it.each([
    "v1/Namespace", "v1/Pod", "v1/Service", "v1/Endpoints", "v1/ConfigMap", "v1/Secret", "v1/ServiceAccount", "v1/Node", "v1/Event",
    "v1/PersistentVolume", "v1/PersistentVolumeClaim", "v1/LimitRange", "v1/ResourceQuota", "apps/v1/Deployment", "apps/v1/ReplicaSet",
    "apps/v1/StatefulSet", "apps/v1/DaemonSet", "apps/v1/ControllerRevision", "batch/v1/Job", "batch/v1/CronJob",
    "coordination.k8s.io/v1/Lease", "discovery.k8s.io/v1/EndpointSlice", "events.k8s.io/v1/Event", "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/RoleBinding", "rbac.authorization.k8s.io/v1/ClusterRole", "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "storage.k8s.io/v1/StorageClass", "policy/v1/PodDisruptionBudget",
  ])("%s", (key) => {
    expect(strategies[key]).toBeDefined();
  });

  it("picks each kind's name format", () => {
    expect(nameValidatorFor("v1/Service")("1abc", false)).toHaveLength(1);
    expect(nameValidatorFor("v1/Namespace")("a.b", false)).toEqual(["must not contain dots"]);
    expect(nameValidatorFor("rbac.authorization.k8s.io/v1/ClusterRole")("system:controller:x", false)).toEqual([]);
    expect(nameValidatorFor("v1/ConfigMap")("a.b", false)).toEqual([]);
  });
});

describe("ConfigMap and Secret", () => {
  it.each([
    ["valid configmap", "v1/ConfigMap", { metadata: meta(), data: { "app.properties": "x=1" } }, []],
    ["bad key", "v1/ConfigMap", { metadata: meta(), data: { "a/b": "x" } }, [["FieldValueInvalid", "data[a/b]"]]],
    ["key in both maps", "v1/ConfigMap", { metadata: meta(), data: { k: "x" }, binaryData: { k: "eA==" } }, [["FieldValueInvalid", "data[k]"], ["FieldValueInvalid", "binaryData[k]"]]],
    ["too large", "v1/ConfigMap", { metadata: meta(), data: { k: "x".repeat(1024 * 1024 + 1) } }, [["FieldValueTooLong", ""]]],
    ["valid secret", "v1/Secret", { metadata: meta(), data: { password: "aHVudGVyMg==" } }, []],
    ["secret not base64", "v1/Secret", { metadata: meta(), data: { password: "not base64!" } }, [["FieldValueInvalid", "data[password]"]]],
    ["tls secret without key", "v1/Secret", { metadata: meta(), type: "kubernetes.io/tls", data: { "tls.crt": "eA==" } }, [["FieldValueRequired", "data[tls.key]"]]],
    [
      "service account token without annotation",
      "v1/Secret",
      { metadata: meta(), type: "kubernetes.io/service-account-token" },
      [["FieldValueRequired", "metadata.annotations[kubernetes.io/service-account.name]"]],
    ],
  ])("%s", (_n, key, obj, expected) => {
    expect(check(key, obj as Obj)).toEqual(expected);
  });

  it("defaults Secret type and folds stringData into data", () => {
    const s = defaulted("v1/Secret", { metadata: meta(), stringData: { user: "admin" }, data: { other: "eA==" } });
    expect(s).toEqual({ metadata: meta(), type: "Opaque", data: { other: "eA==", user: "YWRtaW4=" } });
  });

  it("immutable ConfigMaps and Secrets refuse data changes", () => {
    const old = { metadata: meta(), immutable: true, data: { a: "1" } } as KubeObject;
    const next = { metadata: meta(), immutable: true, data: { a: "2" } } as KubeObject;
    expect(pairs(strategies["v1/ConfigMap"].validateUpdate!(next, old))).toEqual([["FieldValueForbidden", "data"]]);
    const unlock = { metadata: meta(), immutable: false, data: { a: "1" } } as KubeObject;
    expect(pairs(strategies["v1/ConfigMap"].validateUpdate!(unlock, old))).toEqual([["FieldValueForbidden", "immutable"]]);
    const sOld = { metadata: meta(), type: "Opaque" } as KubeObject;
    expect(pairs(strategies["v1/Secret"].validateUpdate!({ metadata: meta(), type: "kubernetes.io/tls" } as KubeObject, sOld))).toEqual([["FieldValueInvalid", "type"]]);
  });
});

describe("Namespace and Node", () => {
  it("defaults a Namespace", () => {
    const ns = defaulted("v1/Namespace", { metadata: { name: "team-a" } });
    expect(ns).toEqual({
      metadata: { name: "team-a", labels: { "kubernetes.io/metadata.name": "team-a" } },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  });

  it("validates namespace finalizers", () => {
    expect(check("v1/Namespace", { metadata: { name: "a" }, spec: { finalizers: ["custom"] } })).toEqual([["FieldValueInvalid", "spec.finalizers"]]);
    expect(check("v1/Namespace", { metadata: { name: "a" }, spec: { finalizers: ["example.com/x"] } })).toEqual([]);
  });

  it("keeps namespace finalizers and status on update", () => {
    const old = defaulted("v1/Namespace", { metadata: { name: "a" } }) as KubeObject;
    const next = { metadata: { name: "a" }, spec: { finalizers: [] }, status: { phase: "Terminating" } } as KubeObject;
    prepareForUpdate["v1/Namespace"](next, old);
    expect(next.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(next.status).toEqual({ phase: "Active" });
  });

  it.each([
    ["valid node", { metadata: meta("n1", undefined), spec: { podCIDR: "10.244.1.0/24", taints: [{ key: "k", effect: "NoSchedule" }] } }, []],
    ["bad podCIDR", { metadata: meta("n1", undefined), spec: { podCIDR: "10.244.1.0" } }, [["FieldValueInvalid", "spec.podCIDRs[0]"], ["FieldValueInvalid", "spec.podCIDR"]]],
    ["taint effect enum", { metadata: meta("n1", undefined), spec: { taints: [{ key: "k", effect: "Never" }] } }, [["FieldValueNotSupported", "spec.taints[0].effect"]]],
    [
      "duplicate taint",
      { metadata: meta("n1", undefined), spec: { taints: [{ key: "k", effect: "NoSchedule" }, { key: "k", value: "v", effect: "NoSchedule" }] } },
      [["FieldValueDuplicate", "spec.taints[1]"]],
    ],
  ])("%s", (_n, obj, expected) => {
    expect(check("v1/Node", obj as Obj)).toEqual(expected);
  });

  it("refuses changing a node's pod CIDR", () => {
    const old = defaulted("v1/Node", { metadata: meta("n1", undefined), spec: { podCIDR: "10.244.1.0/24" } }) as KubeObject;
    const next = defaulted("v1/Node", { metadata: meta("n1", undefined), spec: { podCIDR: "10.244.2.0/24" } }) as KubeObject;
    expect(pairs(strategies["v1/Node"].validateUpdate!(next, old))).toEqual([["FieldValueForbidden", "spec.podCIDRs"]]);
  });
});

describe("storage", () => {
  const pv = (spec: Obj) => ({ metadata: meta("pv1", undefined), spec });
  const pvc = (spec: Obj) => ({ metadata: meta("data"), spec });
  it.each([
    ["valid PV", "v1/PersistentVolume", pv({ accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" }, hostPath: { path: "/data" } }), []],
    ["PV without capacity", "v1/PersistentVolume", pv({ accessModes: ["ReadWriteOnce"], hostPath: { path: "/d" } }), [["FieldValueRequired", "spec.capacity"], ["FieldValueNotSupported", "spec.capacity"]]],
    ["PV access mode enum", "v1/PersistentVolume", pv({ accessModes: ["ReadAll"], capacity: { storage: "1Gi" }, hostPath: { path: "/d" } }), [["FieldValueNotSupported", "spec.accessModes"]]],
    ["PV without source", "v1/PersistentVolume", pv({ accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } }), [["FieldValueRequired", "spec"]]],
    ["valid PVC", "v1/PersistentVolumeClaim", pvc({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } }), []],
    ["PVC without access modes", "v1/PersistentVolumeClaim", pvc({ resources: { requests: { storage: "1Gi" } } }), [["FieldValueRequired", "spec.accessModes"]]],
    ["PVC without storage", "v1/PersistentVolumeClaim", pvc({ accessModes: ["ReadWriteOnce"] }), [["FieldValueRequired", "spec.resources[storage]"]]],
    ["PVC zero storage", "v1/PersistentVolumeClaim", pvc({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "0" } } }), [["FieldValueInvalid", "spec.resources[storage]"]]],
    ["valid StorageClass", "storage.k8s.io/v1/StorageClass", { metadata: meta("standard", undefined), provisioner: "rancher.io/local-path" }, []],
    ["StorageClass without provisioner", "storage.k8s.io/v1/StorageClass", { metadata: meta("s", undefined) }, [["FieldValueRequired", "provisioner"]]],
    ["StorageClass binding mode enum", "storage.k8s.io/v1/StorageClass", { metadata: meta("s", undefined), provisioner: "p", volumeBindingMode: "Later" }, [["FieldValueNotSupported", "volumeBindingMode"]]],
  ])("%s", (_n, key, obj, expected) => {
    expect(check(key, obj as Obj)).toEqual(expected);
  });

  it("defaults PV, PVC and StorageClass", () => {
    expect(defaulted("v1/PersistentVolume", pv({}))).toMatchObject({ spec: { persistentVolumeReclaimPolicy: "Retain", volumeMode: "Filesystem" }, status: { phase: "Pending" } });
    expect(defaulted("v1/PersistentVolumeClaim", pvc({}))).toMatchObject({ spec: { volumeMode: "Filesystem" }, status: { phase: "Pending" } });
    expect(defaulted("storage.k8s.io/v1/StorageClass", { provisioner: "p" })).toEqual({ provisioner: "p", reclaimPolicy: "Delete", volumeBindingMode: "Immediate" });
  });

  it("PVC spec is immutable except a bound claim's storage request", () => {
    const old = defaulted("v1/PersistentVolumeClaim", pvc({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } })) as KubeObject;
    const bind = structuredClone(old);
    (bind.spec as Obj).volumeName = "pv1";
    expect(strategies["v1/PersistentVolumeClaim"].validateUpdate!(bind, old)).toEqual([]);
    const grow = structuredClone(old);
    (grow.spec as Obj).resources.requests.storage = "2Gi";
    expect(pairs(strategies["v1/PersistentVolumeClaim"].validateUpdate!(grow, old))).toEqual([["FieldValueForbidden", "spec"]]);
    const bound = { ...old, status: { phase: "Bound" } };
    expect(strategies["v1/PersistentVolumeClaim"].validateUpdate!(grow, bound)).toEqual([]);
  });

  it("StorageClass parameters are immutable", () => {
    const old = { metadata: meta("s", undefined), provisioner: "p", parameters: { a: "1" }, reclaimPolicy: "Delete", volumeBindingMode: "Immediate" } as KubeObject;
    const errs = strategies["storage.k8s.io/v1/StorageClass"].validateUpdate!({ ...old, parameters: { a: "2" } }, old);
    expect(errs).toEqual([{ type: "FieldValueForbidden", field: "parameters", detail: "Forbidden: updates to parameters are forbidden." }]);
  });
});

describe("RBAC", () => {
  const rb = (extra: Obj) => ({ metadata: meta("rb"), roleRef: { kind: "Role", name: "reader" }, subjects: [{ kind: "User", name: "jane" }], ...extra });
  it.each([
    ["valid role", "rbac.authorization.k8s.io/v1/Role", { metadata: meta("r"), rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] }, []],
    ["rule without verbs", "rbac.authorization.k8s.io/v1/Role", { metadata: meta("r"), rules: [{ apiGroups: [""], resources: ["pods"] }] }, [["FieldValueRequired", "rules[0].verbs"]]],
    [
      "rule without groups and resources",
      "rbac.authorization.k8s.io/v1/ClusterRole",
      { metadata: meta("r", undefined), rules: [{ verbs: ["get"] }] },
      [["FieldValueRequired", "rules[0].apiGroups"], ["FieldValueRequired", "rules[0].resources"]],
    ],
    ["namespaced non-resource URL", "rbac.authorization.k8s.io/v1/Role", { metadata: meta("r"), rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] }, [["FieldValueInvalid", "rules[0].nonResourceURLs"]]],
    ["valid rolebinding", "rbac.authorization.k8s.io/v1/RoleBinding", rb({}), []],
    ["subject kind enum", "rbac.authorization.k8s.io/v1/RoleBinding", rb({ subjects: [{ kind: "Robot", name: "r2" }] }), [["FieldValueNotSupported", "subjects[0].kind"]]],
    ["roleRef kind enum", "rbac.authorization.k8s.io/v1/RoleBinding", rb({ roleRef: { kind: "Policy", name: "x" } }), [["FieldValueNotSupported", "roleRef.kind"]]],
    [
      "cluster binding to a Role, SA without namespace",
      "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
      { metadata: meta("crb", undefined), roleRef: { kind: "Role", name: "x" }, subjects: [{ kind: "ServiceAccount", name: "default" }] },
      [["FieldValueNotSupported", "roleRef.kind"], ["FieldValueRequired", "subjects[0].namespace"]],
    ],
  ])("%s", (_n, key, obj, expected) => {
    expect(check(key, obj as Obj)).toEqual(expected);
  });

  it("defaults API groups of roleRef and subjects", () => {
    const b = defaulted("rbac.authorization.k8s.io/v1/RoleBinding", rb({ subjects: [{ kind: "User", name: "j" }, { kind: "ServiceAccount", name: "d" }] }));
    expect(b.roleRef.apiGroup).toBe("rbac.authorization.k8s.io");
    expect(b.subjects).toEqual([
      { kind: "User", name: "j", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "ServiceAccount", name: "d", apiGroup: "" },
    ]);
  });

  it("roleRef cannot change", () => {
    const old = defaulted("rbac.authorization.k8s.io/v1/RoleBinding", rb({})) as KubeObject;
    const next = defaulted("rbac.authorization.k8s.io/v1/RoleBinding", rb({ roleRef: { kind: "ClusterRole", name: "reader" } })) as KubeObject;
    const errs = strategies["rbac.authorization.k8s.io/v1/RoleBinding"].validateUpdate!(next, old);
    expect(pairs(errs)).toEqual([["FieldValueInvalid", "roleRef"]]);
    expect(errs[0].detail).toContain("cannot change roleRef");
  });
});

describe("other kinds", () => {
  it.each([
    ["PDB both set", "policy/v1/PodDisruptionBudget", { metadata: meta(), spec: { minAvailable: 1, maxUnavailable: 1 } }, [["FieldValueInvalid", "spec"]]],
    ["PDB percent over 100", "policy/v1/PodDisruptionBudget", { metadata: meta(), spec: { minAvailable: "120%" } }, [["FieldValueInvalid", "spec.minAvailable"]]],
    ["PDB valid", "policy/v1/PodDisruptionBudget", { metadata: meta(), spec: { minAvailable: "50%", selector: { matchLabels: { app: "a" } } } }, []],
    ["Lease duration", "coordination.k8s.io/v1/Lease", { metadata: meta(), spec: { holderIdentity: "a", leaseDurationSeconds: 0 } }, [["FieldValueInvalid", "spec.leaseDurationSeconds"]]],
    ["EndpointSlice addressType enum", "discovery.k8s.io/v1/EndpointSlice", { metadata: meta(), addressType: "IPv5", endpoints: [] }, [["FieldValueNotSupported", "addressType"]]],
    [
      "EndpointSlice bad address",
      "discovery.k8s.io/v1/EndpointSlice",
      { metadata: meta(), addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.300"] }, { addresses: [] }] },
      [["FieldValueInvalid", "endpoints[0].addresses[0]"], ["FieldValueRequired", "endpoints[1].addresses"]],
    ],
    ["EndpointSlice valid", "discovery.k8s.io/v1/EndpointSlice", { metadata: meta(), addressType: "IPv4", endpoints: [{ addresses: ["10.244.1.5"] }], ports: [{ port: 80 }] }, []],
    ["Endpoints loopback", "v1/Endpoints", { metadata: meta(), subsets: [{ addresses: [{ ip: "127.0.0.1" }], ports: [{ port: 80 }] }] }, [["FieldValueInvalid", "subsets[0].addresses[0].ip"]]],
    ["Endpoints subset without addresses", "v1/Endpoints", { metadata: meta(), subsets: [{ ports: [{ port: 80 }] }] }, [["FieldValueRequired", "subsets[0]"]]],
    ["core Event namespace mismatch", "v1/Event", { metadata: meta("e", "team"), involvedObject: { kind: "Pod", name: "p", namespace: "other" } }, [["FieldValueInvalid", "involvedObject.namespace"]]],
    ["core Event valid", "v1/Event", { metadata: meta("e", "team"), involvedObject: { kind: "Pod", name: "p", namespace: "team" } }, []],
    [
      "events.k8s.io Event missing fields",
      "events.k8s.io/v1/Event",
      { metadata: meta("e"), eventTime: "2024-01-01T00:00:00.000000Z", type: "Normal", regarding: { namespace: "default" } },
      [
        ["FieldValueRequired", "reportingController"],
        ["FieldValueInvalid", "reportingController"],
        ["FieldValueInvalid", "reportingController"],
        ["FieldValueRequired", "reportingInstance"], ["FieldValueRequired", "action"], ["FieldValueRequired", "reason"]],
    ],
    [
      "LimitRange min above max",
      "v1/LimitRange",
      { metadata: meta(), spec: { limits: [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }] } },
      // default and defaultRequest were filled from max, so they conflict with min too
      [
        ["FieldValueInvalid", "spec.limits[0].min[cpu]"],
        ["FieldValueInvalid", "spec.limits[0].defaultRequest[cpu]"],
        ["FieldValueInvalid", "spec.limits[0].default[cpu]"],
      ],
    ],
    ["ResourceQuota negative", "v1/ResourceQuota", { metadata: meta(), spec: { hard: { pods: "-1" } } }, [["FieldValueInvalid", "spec.hard[pods]"]]],
    ["ControllerRevision without data", "apps/v1/ControllerRevision", { metadata: meta(), revision: 1 }, [["FieldValueRequired", "data"]]],
  ])("%s", (_n, key, obj, expected) => {
    expect(check(key, obj as Obj)).toEqual(expected);
  });

  it("defaults LimitRange container defaults from max and min", () => {
    const lr = defaulted("v1/LimitRange", { spec: { limits: [{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" } }] } });
    expect(lr.spec.limits[0]).toMatchObject({ default: { cpu: "1" }, defaultRequest: { cpu: "1", memory: "64Mi" } });
  });

  it("defaults EndpointSlice and Endpoints port protocol", () => {
    expect(defaulted("discovery.k8s.io/v1/EndpointSlice", { ports: [{ port: 80 }] }).ports).toEqual([{ port: 80, name: "", protocol: "TCP" }]);
    expect(defaulted("v1/Endpoints", { subsets: [{ ports: [{ port: 80 }] }] }).subsets[0].ports[0].protocol).toBe("TCP");
  });

  it("EndpointSlice addressType is immutable", () => {
    const old = { metadata: meta(), addressType: "IPv4" } as KubeObject;
    expect(pairs(strategies["discovery.k8s.io/v1/EndpointSlice"].validateUpdate!({ ...old, addressType: "IPv6" }, old))).toEqual([["FieldValueInvalid", "addressType"]]);
  });
});
