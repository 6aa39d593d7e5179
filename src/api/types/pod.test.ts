import { describe, expect, it } from "vitest";
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { defaultPullPolicy, podDefaults, podSpecDefaults } from "./pod-defaults.js";
import { validatePodUpdate } from "./pod-update.js";
import { validatePod, validatePodTemplate } from "./pod-validation.js";
import type { Obj } from "./util.js";

const pairs = (errs: FieldError[]) => errs.map((e) => [e.type, e.field]);

/** A defaulted Pod, with `mutate` applied to its raw spec before defaulting. */
function pod(mutate: (spec: Obj) => void = () => {}): KubeObject {
  const spec: Obj = { containers: [{ name: "app", image: "nginx:1.25" }] };
  mutate(spec);
  const p: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default" }, spec };
  podDefaults(p as Obj);
  return p;
}

describe("pod defaults", () => {
  it("fills the PodSpec and container defaults as Kubernetes does", () => {
    const p = pod((s) => {
      s.containers[0].ports = [{ containerPort: 80 }];
      s.containers[0].livenessProbe = { httpGet: { port: 80 } };
      s.volumes = [{ name: "cfg", configMap: { name: "c" } }, { name: "tmp" }, { name: "sec", secret: { secretName: "s" } }];
    });
    const spec = p.spec as Obj;
    expect(spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: "default",
      serviceAccount: "default",
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
    });
    expect(spec.containers[0]).toMatchObject({
      imagePullPolicy: "IfNotPresent",
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      ports: [{ containerPort: 80, protocol: "TCP" }],
      livenessProbe: { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, httpGet: { path: "/", scheme: "HTTP", port: 80 } },
    });
    expect(spec.volumes).toEqual([
      { name: "cfg", configMap: { name: "c", defaultMode: 420 } },
      { name: "tmp", emptyDir: {} },
      { name: "sec", secret: { secretName: "s", defaultMode: 420 } },
    ]);
    expect(spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
    expect(p.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
  });

  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.25", "IfNotPresent"],
    ["localhost:5000/app", "Always"],
    ["localhost:5000/app:v2", "IfNotPresent"],
    ["busybox@sha256:abcdef", "IfNotPresent"],
  ])("image %s pulls %s", (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it("copies limits into missing requests and derives the QoS class", () => {
    const p = pod((s) => (s.containers[0].resources = { limits: { cpu: "500m", memory: "128Mi" } }));
    expect((p.spec as Obj).containers[0].resources.requests).toEqual({ cpu: "500m", memory: "128Mi" });
    expect((p.status as Obj).qosClass).toBe("Guaranteed");
    const b = pod((s) => (s.containers[0].resources = { requests: { cpu: "100m" } }));
    expect((b.status as Obj).qosClass).toBe("Burstable");
  });

  it("keeps what the user set, and does not add pod-only defaults to templates", () => {
    const spec: Obj = { restartPolicy: "Never", containers: [{ name: "a", image: "x", imagePullPolicy: "Never" }] };
    podSpecDefaults(spec);
    expect(spec.restartPolicy).toBe("Never");
    expect(spec.containers[0].imagePullPolicy).toBe("Never");
    expect(spec.enableServiceLinks).toBeUndefined();
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
  });

  it("does not duplicate an existing toleration for the default keys", () => {
    const p = pod((s) => (s.tolerations = [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }]));
    expect((p.spec as Obj).tolerations).toHaveLength(2);
    expect((p.spec as Obj).tolerations[0].tolerationSeconds).toBe(5);
  });

  it("defaults host ports under hostNetwork", () => {
    const p = pod((s) => {
      s.hostNetwork = true;
      s.containers[0].ports = [{ containerPort: 8080 }];
    });
    expect((p.spec as Obj).containers[0].ports[0].hostPort).toBe(8080);
  });
});

describe("pod validation", () => {
  const cases: Array<[string, (s: Obj) => void, Array<[string, string]>]> = [
    ["valid", () => {}, []],
    ["no containers", (s) => (s.containers = []), [["FieldValueRequired", "spec.containers"]]],
    ["missing image", (s) => delete s.containers[0].image, [["FieldValueRequired", "spec.containers[0].image"]]],
    ["bad container name", (s) => (s.containers[0].name = "App_1"), [["FieldValueInvalid", "spec.containers[0].name"]]],
    [
      "duplicate container names",
      (s) => s.containers.push({ name: "app", image: "x" }),
      [["FieldValueDuplicate", "spec.containers[1].name"]],
    ],
    [
      "init container name clashes with a container",
      (s) => (s.initContainers = [{ name: "app", image: "x" }]),
      [["FieldValueDuplicate", "spec.initContainers[0].name"]],
    ],
    ["container port zero", (s) => (s.containers[0].ports = [{ containerPort: 0 }]), [["FieldValueRequired", "spec.containers[0].ports[0].containerPort"]]],
    ["container port too big", (s) => (s.containers[0].ports = [{ containerPort: 70000 }]), [["FieldValueInvalid", "spec.containers[0].ports[0].containerPort"]]],
    ["bad protocol", (s) => (s.containers[0].ports = [{ containerPort: 80, protocol: "HTTP" }]), [["FieldValueNotSupported", "spec.containers[0].ports[0].protocol"]]],
    [
      "duplicate port names",
      (s) => (s.containers[0].ports = [{ containerPort: 80, name: "web" }, { containerPort: 81, name: "web" }]),
      [["FieldValueDuplicate", "spec.containers[0].ports[1].name"]],
    ],
    ["bad env name", (s) => (s.containers[0].env = [{ name: "1BAD", value: "x" }]), [["FieldValueInvalid", "spec.containers[0].env[0].name"]]],
    [
      "env with value and valueFrom",
      (s) => (s.containers[0].env = [{ name: "A", value: "x", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]),
      [["FieldValueInvalid", "spec.containers[0].env[0].valueFrom"]],
    ],
    [
      "env fieldRef path unsupported",
      (s) => (s.containers[0].env = [{ name: "A", valueFrom: { fieldRef: { fieldPath: "spec.foo" } } }]),
      [["FieldValueNotSupported", "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath"]],
    ],
    ["mount of unknown volume", (s) => (s.containers[0].volumeMounts = [{ name: "data", mountPath: "/data" }]), [["FieldValueNotFound", "spec.containers[0].volumeMounts[0].name"]]],
    [
      "duplicate mount path",
      (s) => {
        s.volumes = [{ name: "a" }, { name: "b" }];
        s.containers[0].volumeMounts = [{ name: "a", mountPath: "/d" }, { name: "b", mountPath: "/d" }];
      },
      [["FieldValueInvalid", "spec.containers[0].volumeMounts[1].mountPath"]],
    ],
    ["duplicate volume names", (s) => (s.volumes = [{ name: "a" }, { name: "a" }]), [["FieldValueDuplicate", "spec.volumes[1].name"]]],
    [
      "two volume sources",
      (s) => (s.volumes = [{ name: "a", emptyDir: {}, hostPath: { path: "/x" } }]),
      [["FieldValueForbidden", "spec.volumes[0].emptyDir"]],
    ],
    ["secret volume without name", (s) => (s.volumes = [{ name: "a", secret: {} }]), [["FieldValueRequired", "spec.volumes[0].secret.secretName"]]],
    ["restartPolicy enum", (s) => (s.restartPolicy = "Sometimes"), [["FieldValueNotSupported", "spec.restartPolicy"]]],
    ["dnsPolicy enum", (s) => (s.dnsPolicy = "Cluster"), [["FieldValueNotSupported", "spec.dnsPolicy"]]],
    ["imagePullPolicy enum", (s) => (s.containers[0].imagePullPolicy = "Sometimes"), [["FieldValueNotSupported", "spec.containers[0].imagePullPolicy"]]],
    ["bad quantity", (s) => (s.containers[0].resources = { requests: { cpu: "lots" } }), [["FieldValueInvalid", "spec.containers[0].resources.requests[cpu]"]]],
    [
      "request above limit",
      (s) => (s.containers[0].resources = { requests: { cpu: "2" }, limits: { cpu: "1" } }),
      [["FieldValueInvalid", "spec.containers[0].resources.requests"]],
    ],
    [
      "unknown resource (requests copied from limits are reported too)",
      (s) => (s.containers[0].resources = { limits: { gpu: "1" } }),
      [
        ["FieldValueInvalid", "spec.containers[0].resources.limits[gpu]"],
        ["FieldValueInvalid", "spec.containers[0].resources.requests[gpu]"],
      ],
    ],
    ["probe without handler", (s) => (s.containers[0].readinessProbe = {}), [["FieldValueRequired", "spec.containers[0].readinessProbe"]]],
    [
      "liveness successThreshold must be 1",
      (s) => (s.containers[0].livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 }),
      [["FieldValueInvalid", "spec.containers[0].livenessProbe.successThreshold"]],
    ],
    [
      "probe with two handlers",
      (s) => (s.containers[0].readinessProbe = { exec: { command: ["true"] }, tcpSocket: { port: 80 } }),
      [["FieldValueForbidden", "spec.containers[0].readinessProbe.tcpSocket"]],
    ],
    ["bad nodeSelector key", (s) => (s.nodeSelector = { "a/b/c": "x" }), [["FieldValueInvalid", "spec.nodeSelector"]]],
    [
      "toleration without key must be Exists",
      (s) => (s.tolerations = [{ operator: "Equal", value: "x" }]),
      [["FieldValueInvalid", "spec.tolerations[0].operator"]],
    ],
    [
      "toleration operator enum",
      (s) => (s.tolerations = [{ key: "k", operator: "Maybe" }]),
      [["FieldValueNotSupported", "spec.tolerations[0].operator"]],
    ],
    [
      "tolerationSeconds needs NoExecute",
      (s) => (s.tolerations = [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 3 }]),
      [["FieldValueInvalid", "spec.tolerations[0].effect"]],
    ],
    ["activeDeadlineSeconds zero", (s) => (s.activeDeadlineSeconds = 0), [["FieldValueInvalid", "spec.activeDeadlineSeconds"]]],
    ["dnsPolicy None needs dnsConfig", (s) => (s.dnsPolicy = "None"), [["FieldValueRequired", "spec.dnsConfig"]]],
    [
      "host port conflict",
      (s) => s.containers.push({ name: "b", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }) && (s.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]),
      [["FieldValueDuplicate", "spec.containers[1].ports[0].hostPort"]],
    ],
    ["probes forbidden on init containers", (s) => (s.initContainers = [{ name: "i", image: "x", readinessProbe: { exec: { command: ["x"] } } }]), [["FieldValueForbidden", "spec.initContainers[0].readinessProbe"]]],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    expect(pairs(validatePod(pod(mutate)))).toEqual(expected);
  });

  it("uses Kubernetes' messages", () => {
    const [req] = validatePod(pod((s) => (s.containers[0].resources = { requests: { cpu: "2" }, limits: { cpu: "1" } })));
    expect(req.detail).toBe('Invalid value: "2": must be less than or equal to cpu limit of 1');
    const [proto] = validatePod(pod((s) => (s.containers[0].ports = [{ containerPort: 80, protocol: "HTTP" }])));
    expect(proto.detail).toBe('Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"');
    const [rp] = validatePod(pod((s) => (s.restartPolicy = "Sometimes")));
    expect(rp.detail).toBe('Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    const [mnt] = validatePod(pod((s) => (s.containers[0].volumeMounts = [{ name: "data", mountPath: "/data" }])));
    expect(mnt.detail).toBe('Not found: "data"');
  });

  it("reports template labels at <path>.labels", () => {
    const errs = validatePodTemplate({ metadata: { labels: { app: "-x" } }, spec: pod().spec as Obj }, "spec.template");
    expect(pairs(errs)).toEqual([["FieldValueInvalid", "spec.template.labels"]]);
  });
});

describe("pod update", () => {
  const old = pod((s) => (s.activeDeadlineSeconds = 100));
  const upd = (mutate: (s: Obj) => void): KubeObject => {
    const n = structuredClone(old);
    mutate(n.spec as Obj);
    return n;
  };
  const cases: Array<[string, (s: Obj) => void, Array<[string, string]>]> = [
    ["image change allowed", (s) => (s.containers[0].image = "nginx:1.26"), []],
    ["shorter deadline allowed", (s) => (s.activeDeadlineSeconds = 50), []],
    ["longer deadline refused", (s) => (s.activeDeadlineSeconds = 200), [["FieldValueInvalid", "spec.activeDeadlineSeconds"]]],
    ["deadline removal refused", (s) => delete s.activeDeadlineSeconds, [["FieldValueInvalid", "spec.activeDeadlineSeconds"]]],
    ["added toleration allowed", (s) => s.tolerations.push({ key: "k", operator: "Exists" }), []],
    ["removed toleration refused", (s) => s.tolerations.pop(), [["FieldValueForbidden", "spec.tolerations"]]],
    ["port change refused", (s) => (s.containers[0].ports = [{ containerPort: 81, protocol: "TCP" }]), [["FieldValueForbidden", "spec"]]],
    ["adding a container refused", (s) => s.containers.push({ name: "b", image: "x" }), [["FieldValueForbidden", "spec.containers"]]],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    expect(pairs(validatePodUpdate(upd(mutate), old))).toEqual(expected);
  });

  it("explains which fields may change", () => {
    const [err] = validatePodUpdate(upd((s) => (s.restartPolicy = "Never")), old);
    expect(err.detail).toContain(
      "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    );
    expect(err.detail).toContain('spec.restartPolicy: "Always" -> "Never"');
  });
});
