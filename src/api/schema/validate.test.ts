import { describe, it, expect } from "vitest";
import { schemaOf } from "./nodes.js";
import { validateStructure, pruneUnknown, unmarshalErrorMessage, base64Error } from "./validate.js";

const deployment = schemaOf("io.k8s.api.apps.v1.Deployment");
const pod = schemaOf("io.k8s.api.core.v1.Pod");

const baseDeployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }], resources: { limits: { cpu: 1, memory: "128Mi" } } }] },
    },
  },
});

describe("validateStructure", () => {
  it("accepts a well-formed object", () => {
    expect(validateStructure(baseDeployment(), deployment)).toEqual({ unknownFields: [], typeErrors: [] });
  });

  it("reports unknown fields with Kubernetes paths", () => {
    const d = baseDeployment() as any;
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].bar = true;
    d.metadata.nope = "x";
    d.status = { extra: 1 };
    expect(validateStructure(d, deployment).unknownFields).toEqual([
      "metadata.nope",
      "spec.template.spec.containers[0].bar",
      "spec.foo",
      "status.extra",
    ]);
  });

  it.each([
    ["string for int32", (d: any) => (d.spec.replicas = "3"), "spec.replicas", "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"],
    ["float for int32", (d: any) => (d.spec.replicas = 1.5), "spec.replicas", "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"],
    ["int32 overflow", (d: any) => (d.spec.replicas = 3_000_000_000), "spec.replicas", "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32"],
    ["object for array", (d: any) => (d.spec.template.spec.containers = { name: "x" }), "spec.template.spec.containers", "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"],
    ["string element for struct", (d: any) => (d.spec.template.spec.containers = ["x"]), "spec.template.spec.containers[0]", "json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type v1.Container"],
    ["number for string in array item", (d: any) => (d.spec.template.spec.containers[0].image = 5), "spec.template.spec.containers[0].image", "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string"],
    ["number in string map", (d: any) => (d.metadata.labels.app = 1), "metadata.labels[app]", "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"],
    ["string for object", (d: any) => (d.spec = "x"), "spec", "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec"],
    ["bool for IntOrString", (d: any) => (d.spec.strategy.rollingUpdate.maxSurge = true), "spec.strategy.rollingUpdate.maxSurge", "json: cannot unmarshal bool into Go value of type int32"],
    ["bad quantity", (d: any) => (d.spec.template.spec.containers[0].resources.limits.memory = "12 parsecs"), "spec.template.spec.containers[0].resources.limits[memory]", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ["bad time", (d: any) => (d.metadata.creationTimestamp = "yesterday"), "metadata.creationTimestamp", 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time'],
  ])("rejects %s", (_name, mutate, field, detail) => {
    const d = baseDeployment();
    mutate(d);
    const r = validateStructure(d, deployment);
    expect(r.typeErrors).toEqual([{ type: "FieldValueTypeInvalid", field, detail }]);
  });

  it("accepts nulls, quantities as numbers, IntOrString as either and RFC 3339 times", () => {
    const d = baseDeployment() as any;
    d.spec.replicas = null;
    d.metadata.creationTimestamp = "2024-05-01T10:00:00Z";
    d.spec.strategy.rollingUpdate.maxSurge = 2;
    d.spec.template.spec.containers[0].resources.requests = { cpu: "250m", memory: "1.5Gi", storage: "1e3" };
    expect(validateStructure(d, deployment)).toEqual({ unknownFields: [], typeErrors: [] });
  });

  it("accepts int64 values beyond int32", () => {
    const p = { metadata: { name: "a", generation: 5_000_000_000 }, spec: { containers: [{ name: "a" }], activeDeadlineSeconds: 5_000_000_000 } };
    expect(validateStructure(p, pod).typeErrors).toEqual([]);
  });

  it("accepts anything inside a RawExtension (ControllerRevision.data)", () => {
    const rev = { metadata: { name: "r" }, revision: 1, data: { spec: { whatever: [1, "x", { y: null }] } } };
    expect(validateStructure(rev, schemaOf("io.k8s.api.apps.v1.ControllerRevision"))).toEqual({ unknownFields: [], typeErrors: [] });
  });

  it("checks base64 in Secret data", () => {
    const secret = schemaOf("io.k8s.api.core.v1.Secret");
    expect(validateStructure({ data: { a: "aGVsbG8=" } }, secret).typeErrors).toEqual([]);
    expect(validateStructure({ data: { a: "hello!" } }, secret).typeErrors).toEqual([
      { type: "FieldValueTypeInvalid", field: "data[a]", detail: "illegal base64 data at input byte 5" },
    ]);
  });
});

describe("base64Error", () => {
  it.each([
    ["", undefined],
    ["aGk=", undefined],
    ["aGVsbG8gd29ybGQ=", undefined],
    ["aGk", 0],
    ["aGk=aGk=", 3],
    ["a b=", 1],
  ])("%j → %s", (s, want) => expect(base64Error(s)).toBe(want));
});

describe("pruneUnknown", () => {
  it("drops unknown fields in place and reports them", () => {
    const d = baseDeployment() as any;
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].bar = true;
    const r = pruneUnknown(d, deployment);
    expect(r.unknownFields).toEqual(["spec.template.spec.containers[0].bar", "spec.foo"]);
    expect(d.spec.foo).toBeUndefined();
    expect("bar" in d.spec.template.spec.containers[0]).toBe(false);
    expect(d).toEqual(baseDeployment());
  });

  it("keeps free-form content", () => {
    const rev = { revision: 1, data: { anything: { goes: 1 } } };
    pruneUnknown(rev, schemaOf("io.k8s.api.apps.v1.ControllerRevision"));
    expect(rev.data).toEqual({ anything: { goes: 1 } });
  });
});

describe("unmarshalErrorMessage", () => {
  it("wraps the decoder message the way the API server does", () => {
    const [err] = validateStructure({ spec: { replicas: "3" } }, deployment).typeErrors;
    expect(unmarshalErrorMessage("Deployment", "v1", err)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });
});
