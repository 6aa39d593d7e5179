import { describe, expect, it } from "vitest";
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { strategies } from "./index.js";
import type { Obj } from "./util.js";

const pairs = (errs: FieldError[]) => errs.map((e) => [e.type, e.field]);

function workload(kind: string, mutate: (spec: Obj) => void = () => {}): KubeObject {
  const spec: Obj = {
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx:1.25" }] } },
  };
  mutate(spec);
  const obj: KubeObject = { apiVersion: "apps/v1", kind, metadata: { name: "web", namespace: "default" }, spec };
  strategies[`apps/v1/${kind}`].defaults!(obj);
  return obj;
}
const validate = (o: KubeObject) => strategies[`apps/v1/${o.kind}`].validate!(o);

describe("apps defaults", () => {
  it("Deployment", () => {
    const spec = workload("Deployment").spec as Obj;
    expect(spec).toMatchObject({
      replicas: 1,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(spec.template.spec).toMatchObject({ restartPolicy: "Always", dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
    expect(spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
    // Pod-only defaults stay off templates.
    expect(spec.template.spec.serviceAccountName).toBeUndefined();
  });

  it("Deployment with Recreate gets no rollingUpdate", () => {
    const spec = workload("Deployment", (s) => (s.strategy = { type: "Recreate" })).spec as Obj;
    expect(spec.strategy).toEqual({ type: "Recreate" });
  });

  it("StatefulSet", () => {
    const spec = workload("StatefulSet", (s) => (s.volumeClaimTemplates = [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }])).spec as Obj;
    expect(spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    });
    expect(spec.volumeClaimTemplates[0]).toMatchObject({ spec: { volumeMode: "Filesystem" }, status: { phase: "Pending" } });
  });

  it("DaemonSet", () => {
    expect(workload("DaemonSet").spec).toMatchObject({
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
  });

  it("ReplicaSet", () => {
    expect((workload("ReplicaSet").spec as Obj).replicas).toBe(1);
  });
});

describe("apps validation", () => {
  const cases: Array<[string, string, (s: Obj) => void, Array<[string, string]>]> = [
    ["valid deployment", "Deployment", () => {}, []],
    ["valid statefulset", "StatefulSet", () => {}, []],
    ["valid daemonset", "DaemonSet", () => {}, []],
    ["valid replicaset", "ReplicaSet", () => {}, []],
    ["missing selector", "Deployment", (s) => delete s.selector, [["FieldValueRequired", "spec.selector"]]],
    ["empty selector", "Deployment", (s) => (s.selector = {}), [["FieldValueInvalid", "spec.selector"]]],
    ["selector mismatch", "Deployment", (s) => (s.selector.matchLabels.app = "api"), [["FieldValueInvalid", "spec.template.metadata.labels"]]],
    ["negative replicas", "ReplicaSet", (s) => (s.replicas = -1), [["FieldValueInvalid", "spec.replicas"]]],
    ["template restartPolicy", "Deployment", (s) => (s.template.spec.restartPolicy = "Never"), [["FieldValueNotSupported", "spec.template.spec.restartPolicy"]]],
    [
      "both surge and unavailable zero",
      "Deployment",
      (s) => (s.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }),
      [["FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable"]],
    ],
    [
      "maxUnavailable above 100%",
      "Deployment",
      (s) => (s.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "150%" } }),
      [["FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable"]],
    ],
    [
      "bad percent",
      "Deployment",
      (s) => (s.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "abc" } }),
      [["FieldValueInvalid", "spec.strategy.rollingUpdate.maxSurge"]],
    ],
    [
      "rollingUpdate with Recreate",
      "Deployment",
      (s) => (s.strategy = { type: "Recreate", rollingUpdate: {} }),
      [["FieldValueForbidden", "spec.strategy.rollingUpdate"]],
    ],
    ["strategy type enum", "Deployment", (s) => (s.strategy = { type: "BlueGreen" }), [["FieldValueNotSupported", "spec.strategy"]]],
    ["progress deadline below minReady", "Deployment", (s) => ((s.minReadySeconds = 700), (s.progressDeadlineSeconds = 600)), [["FieldValueInvalid", "spec.progressDeadlineSeconds"]]],
    ["podManagementPolicy", "StatefulSet", (s) => (s.podManagementPolicy = "Random"), [["FieldValueInvalid", "spec.podManagementPolicy"]]],
    ["sts OnDelete with rollingUpdate", "StatefulSet", (s) => (s.updateStrategy = { type: "OnDelete", rollingUpdate: { partition: 1 } }), [["FieldValueInvalid", "spec.updateStrategy.rollingUpdate"]]],
    [
      "daemonset surge and unavailable",
      "DaemonSet",
      (s) => (s.updateStrategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }),
      [["FieldValueInvalid", "spec.updateStrategy.rollingUpdate.maxSurge"]],
    ],
    ["daemonset activeDeadlineSeconds", "DaemonSet", (s) => (s.template.spec.activeDeadlineSeconds = 10), [["FieldValueForbidden", "spec.template.spec.activeDeadlineSeconds"]]],
    ["container errors are reported under the template", "Deployment", (s) => delete s.template.spec.containers[0].image, [["FieldValueRequired", "spec.template.spec.containers[0].image"]]],
  ];
  it.each(cases)("%s", (_n, kind, mutate, expected) => {
    expect(pairs(validate(workload(kind, mutate)))).toEqual(expected);
  });

  it("uses Kubernetes' messages", () => {
    const [mismatch] = validate(workload("Deployment", (s) => (s.selector.matchLabels.app = "api")));
    expect(mismatch.detail).toBe('Invalid value: {"app":"web"}: `selector` does not match template `labels`');
    const [empty] = validate(workload("Deployment", (s) => (s.selector = {})));
    expect(empty.detail).toBe("Invalid value: {}: empty selector is invalid for deployment");
    const [rsEmpty] = validate(workload("ReplicaSet", (s) => (s.selector = {})));
    expect(rsEmpty.detail).toBe("Invalid value: {}: empty selector is invalid for deployment");
    const [rp] = validate(workload("Deployment", (s) => (s.template.spec.restartPolicy = "Never")));
    expect(rp.detail).toBe('Unsupported value: "Never": supported values: "Always"');
  });
});

describe("apps updates", () => {
  it("selector is immutable", () => {
    const old = workload("Deployment");
    const next = workload("Deployment", (s) => {
      s.selector.matchLabels.tier = "fe";
      s.template.metadata.labels.tier = "fe";
    });
    const errs = strategies["apps/v1/Deployment"].validateUpdate!(next, old);
    expect(pairs(errs)).toEqual([["FieldValueInvalid", "spec.selector"]]);
    expect(errs[0].detail).toContain("field is immutable");
  });

  it("StatefulSet allows only some spec fields to change", () => {
    const old = workload("StatefulSet");
    const ok = workload("StatefulSet", (s) => ((s.replicas = 3), (s.template.spec.containers[0].image = "nginx:2")));
    expect(strategies["apps/v1/StatefulSet"].validateUpdate!(ok, old)).toEqual([]);
    const bad = workload("StatefulSet", (s) => (s.serviceName = "other"));
    expect(pairs(strategies["apps/v1/StatefulSet"].validateUpdate!(bad, old))).toEqual([["FieldValueForbidden", "spec"]]);
  });
});
