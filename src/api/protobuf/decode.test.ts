import { describe, expect, it } from "vitest";
import { decodeKubeProtobuf, isKubeProtobuf, ProtobufDecodeError } from "./index.js";
import { type Field, kubeBody } from "./pb-writer.test-helper.js";

// ObjectMeta as gogo writes it: every non-pointer field present, even when empty.
const meta = (name: string, extra: Field[] = []): Field => [
  1,
  "msg",
  [
    [1, "string", name],
    [2, "string", ""],
    [3, "string", ""],
    [4, "string", ""],
    [5, "string", ""],
    [6, "string", ""],
    [7, "int64", 0],
    [8, "bytes", new Uint8Array()],
    ...extra,
  ],
];
const entry = (key: string, value: Field[2] extends never ? never : string | Uint8Array | Field[]): Field[] => [
  [1, "string", key],
  typeof value === "string" ? [2, "string", value] : value instanceof Uint8Array ? [2, "bytes", value] : [2, "msg", value],
];

describe("isKubeProtobuf", () => {
  it.each([
    ["application/vnd.kubernetes.protobuf", true],
    ["application/vnd.kubernetes.protobuf; charset=utf-8", true],
    ["Application/Vnd.Kubernetes.Protobuf", true],
    ["application/vnd.kubernetes.protobuf;stream=watch", false],
    ["application/json", false],
    [undefined, false],
  ])("%s → %s", (ct, want) => {
    expect(isKubeProtobuf(ct)).toBe(want);
  });
});

describe("decodeKubeProtobuf", () => {
  it("decodes a ConfigMap: kind/apiVersion from the envelope, maps, bytes as base64, empty optionals dropped", () => {
    const body = kubeBody("v1", "ConfigMap", [
      meta("c", [[11, "msg", entry("app", "x")]]),
      [2, "msg", entry("a", "b")],
      [2, "msg", entry("empty", "")],
      [3, "msg", entry("bin", new Uint8Array([0, 1, 255]))],
      [4, "bool", false], // immutable is a pointer: an explicit false stays
    ]);
    expect(decodeKubeProtobuf(body, "io.k8s.api.core.v1.ConfigMap")).toEqual({
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "c", creationTimestamp: null, labels: { app: "x" } },
      data: { a: "b", empty: "" },
      binaryData: { bin: "AAH/" },
      immutable: false,
    });
  });

  it("keeps explicit zeros of pointer fields and drops zeros of omitempty value fields", () => {
    const body = kubeBody("apps/v1", "Deployment", [
      meta("d"),
      [
        2,
        "msg",
        [
          [1, "varint", 0], // replicas *int32 = 0
          [4, "msg", [[1, "string", ""]]], // strategy {} (type "" dropped)
          [5, "varint", 0], // minReadySeconds int32 omitempty
          [7, "bool", false], // paused bool omitempty
        ],
      ],
      [3, "msg", []],
    ]);
    expect(decodeKubeProtobuf(body, "io.k8s.api.apps.v1.Deployment")).toEqual({
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "d", creationTimestamp: null },
      spec: { replicas: 0, strategy: {} },
      status: {},
    });
  });

  it("decodes a Pod: inlined volume sources and probe handlers, int-or-string, quantities, packed ints, negatives", () => {
    const container: Field[] = [
      [1, "string", "c"],
      [2, "string", "nginx"],
      [3, "string", "sh"],
      [3, "string", "-c"],
      [6, "msg", [[1, "string", "http"], [3, "varint", 80], [4, "string", "TCP"]]],
      [8, "msg", [[1, "msg", entry("cpu", [[1, "string", "500m"]])], [2, "msg", entry("memory", [[1, "string", "1Gi"]])]]],
      // livenessProbe: handler (inline ProbeHandler) = {httpGet {path, port "http"}}, periodSeconds
      [10, "msg", [[1, "msg", [[2, "msg", [[1, "string", "/healthz"], [2, "msg", [[1, "int64", 1], [3, "string", "http"]]]]]]], [4, "varint", 5]]],
    ];
    const spec: Field[] = [
      // volume: name + inline VolumeSource {configMap {inline LocalObjectReference {name}, defaultMode}}
      [1, "msg", [[1, "string", "cfg"], [2, "msg", [[19, "msg", [[1, "msg", [[1, "string", "cm"]]], [3, "varint", 420]]]]]]],
      [2, "msg", container],
      [4, "int64", -1], // terminationGracePeriodSeconds *int64, negative on purpose
      [14, "msg", [[4, "packed", [1000, 2000]], [2, "int64", 0]]], // securityContext {supplementalGroups, runAsUser: 0}
      [999, "string", "a field from the future"],
    ];
    const obj = decodeKubeProtobuf(kubeBody("v1", "Pod", [meta("p"), [2, "msg", spec], [3, "msg", []]]), "io.k8s.api.core.v1.Pod");
    expect(obj).toEqual({
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "p", creationTimestamp: null },
      spec: {
        volumes: [{ name: "cfg", configMap: { name: "cm", defaultMode: 420 } }],
        containers: [
          {
            name: "c",
            image: "nginx",
            command: ["sh", "-c"],
            ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
            resources: { limits: { cpu: "500m" }, requests: { memory: "1Gi" } },
            livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
          },
        ],
        terminationGracePeriodSeconds: -1,
        securityContext: { supplementalGroups: [1000, 2000], runAsUser: 0 },
      },
      status: {},
    });
  });

  it("decodes a Secret's data as base64 and a Lease's MicroTimes", () => {
    const secret = kubeBody("v1", "Secret", [meta("s"), [2, "msg", entry("p", new Uint8Array(Buffer.from("q")))], [3, "string", "Opaque"]]);
    expect(decodeKubeProtobuf(secret, "io.k8s.api.core.v1.Secret")).toMatchObject({ data: { p: "cQ==" }, type: "Opaque" });

    const lease = kubeBody("coordination.k8s.io/v1", "Lease", [
      meta("node-1"),
      [2, "msg", [[1, "string", "node-1"], [2, "varint", 40], [4, "msg", [[1, "int64", 1700000000], [2, "varint", 5000]]]]],
    ]);
    expect(decodeKubeProtobuf(lease, "io.k8s.api.coordination.v1.Lease")).toMatchObject({
      spec: { holderIdentity: "node-1", leaseDurationSeconds: 40, renewTime: "2023-11-14T22:13:20.000005Z" },
    });
  });

  it("decodes an Eviction with nested DeleteOptions and a Binding", () => {
    const eviction = kubeBody("policy/v1", "Eviction", [meta("p"), [2, "msg", [[1, "int64", 0], [2, "msg", [[1, "string", "uid-1"]]]]]]);
    expect(decodeKubeProtobuf(eviction, "io.k8s.api.policy.v1.Eviction")).toEqual({
      kind: "Eviction",
      apiVersion: "policy/v1",
      metadata: { name: "p", creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: "uid-1" } },
    });
    const binding = kubeBody("v1", "Binding", [meta("p"), [2, "msg", [[1, "string", "Node"], [3, "string", "n1"], [2, "string", ""]]]]);
    expect(decodeKubeProtobuf(binding, "io.k8s.api.core.v1.Binding")).toMatchObject({ target: { kind: "Node", name: "n1" } });
  });

  it("keeps managedFields' FieldsV1 JSON and RawExtension contents", () => {
    const mf: Field[] = [[1, "string", "kubectl"], [2, "string", "Update"], [6, "string", "FieldsV1"], [7, "msg", [[1, "bytes", Buffer.from('{"f:data":{}}')]]]];
    const obj = decodeKubeProtobuf(kubeBody("v1", "ConfigMap", [meta("c", [[17, "msg", mf]])]), "io.k8s.api.core.v1.ConfigMap");
    expect(obj).toMatchObject({ metadata: { managedFields: [{ manager: "kubectl", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:data": {} } }] } });
    const rev = kubeBody("apps/v1", "ControllerRevision", [meta("r"), [2, "msg", [[1, "bytes", Buffer.from('{"spec":{"x":1}}')]]], [3, "int64", 2]]);
    expect(decodeKubeProtobuf(rev, "io.k8s.api.apps.v1.ControllerRevision")).toMatchObject({ data: { spec: { x: 1 } }, revision: 2 });
  });

  it("rejects a body without the k8s magic, an encoded envelope and mistyped fields", () => {
    expect(() => decodeKubeProtobuf(Buffer.from("{}"), "io.k8s.api.core.v1.ConfigMap")).toThrow(ProtobufDecodeError);
    expect(() => decodeKubeProtobuf(kubeBody("v1", "ConfigMap", [meta("c")], "gzip"), "io.k8s.api.core.v1.ConfigMap")).toThrow(/content encoding gzip/);
    expect(() => decodeKubeProtobuf(kubeBody("v1", "WatchEvent", []), "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent")).toThrow(/no protobuf field table/);
    // data's entries must be length-delimited
    expect(() => decodeKubeProtobuf(kubeBody("v1", "ConfigMap", [[2, "varint", 1]]), "io.k8s.api.core.v1.ConfigMap")).toThrow(/expected length-delimited/);
  });
});
