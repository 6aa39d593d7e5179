import { describe, expect, it } from "vitest";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { expandVars, lookupIn } from "./expand.js";
import { formatMap, podFieldValue, resourceFieldValue } from "./fields.js";
import { ContainerConfigError, DEFAULT_PATH, mergeEnv, resolveContainerEnv, resolveEnv } from "./resolve.js";
import { fakeClient } from "./test-client.js";
import type { ImageRecord } from "../oci/image-record.js";

describe("expandVars", () => {
  const lookup = lookupIn({ A: "a", B: "b", EMPTY: "" });
  it.each([
    ["plain", "plain"],
    ["$(A)", "a"],
    ["x$(A)y$(B)z", "xaybz"],
    ["$(MISSING)", "$(MISSING)"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$a"],
    ["$$", "$"],
    ["a$", "a$"],
    ["$A", "$A"],
    ["$(A", "$(A"],
    ["$()", "$()"],
    ["$(EMPTY)x", "x"],
    ["$($(A))", "$($(A))"],
    ["$(A)$(B)", "ab"],
  ])("%s → %s", (input, want) => {
    expect(expandVars(input, lookup)).toBe(want);
  });
});

const pod: Pod = {
  metadata: { name: "web-1", namespace: "ns1", uid: "u-1", labels: { app: "web", tier: "a\"b" }, annotations: { note: "x" } },
  spec: {
    nodeName: "n1",
    serviceAccountName: "sa",
    containers: [
      { name: "c", image: "busybox", resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { memory: "128Mi" } } },
      { name: "d", image: "busybox" },
    ],
  },
  status: { hostIP: "172.18.0.3", podIP: "10.244.1.5", podIPs: [{ ip: "10.244.1.5" }] },
};

describe("podFieldValue", () => {
  it.each([
    ["metadata.name", "web-1"],
    ["metadata.namespace", "ns1"],
    ["metadata.uid", "u-1"],
    ["metadata.labels['app']", "web"],
    ["metadata.labels['missing']", ""],
    ["metadata.annotations['note']", "x"],
    ["spec.nodeName", "n1"],
    ["spec.serviceAccountName", "sa"],
    ["status.hostIP", "172.18.0.3"],
    ["status.podIP", "10.244.1.5"],
    ["status.podIPs", "10.244.1.5"],
  ])("%s", (fieldPath, want) => {
    expect(podFieldValue(pod, { fieldPath })).toBe(want);
  });
  it("takes IPs from the context before the status has them", () => {
    const bare: Pod = { metadata: { name: "p" }, spec: { containers: [] } };
    expect(podFieldValue(bare, { fieldPath: "status.podIP" }, { podIP: "10.0.0.9" })).toBe("10.0.0.9");
    expect(podFieldValue(bare, { fieldPath: "status.podIPs" }, { podIP: "10.0.0.9" })).toBe("10.0.0.9");
    expect(podFieldValue(bare, { fieldPath: "spec.nodeName" }, { nodeName: "n9" })).toBe("n9");
  });
  it("formats whole label maps only for volumes", () => {
    expect(podFieldValue(pod, { fieldPath: "metadata.labels" }, {}, true)).toBe('app="web"\ntier="a\\"b"');
    expect(() => podFieldValue(pod, { fieldPath: "metadata.labels" })).toThrow(/unsupported fieldPath/);
    expect(formatMap({})).toBe("");
  });
});

describe("resourceFieldValue", () => {
  const c: Container = { name: "c", resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "1500m", memory: "128Mi" } } };
  const alloc = { cpu: "4", memory: "8Gi", "ephemeral-storage": "100Gi" };
  it.each([
    ["limits.cpu", undefined, "2"],
    ["limits.cpu", "1m", "1500"],
    ["requests.cpu", undefined, "1"],
    ["requests.cpu", "1m", "250"],
    ["requests.cpu", "100m", "3"],
    ["limits.memory", undefined, String(128 * 1024 * 1024)],
    ["limits.memory", "1Mi", "128"],
    ["requests.memory", "1Mi", "64"],
    ["requests.memory", "1M", "68"],
  ])("%s divisor %s → %s", (resource, divisor, want) => {
    expect(resourceFieldValue(c, { resource, ...(divisor ? { divisor } : {}) }, alloc)).toBe(want);
  });
  it("falls back to node allocatable for unset limits, zero for unset requests", () => {
    const bare: Container = { name: "b" };
    expect(resourceFieldValue(bare, { resource: "limits.cpu" }, alloc)).toBe("4");
    expect(resourceFieldValue(bare, { resource: "limits.memory", divisor: "1Gi" }, alloc)).toBe("8");
    expect(resourceFieldValue(bare, { resource: "requests.memory" }, alloc)).toBe("0");
    expect(() => resourceFieldValue(bare, { resource: "cpu" }, alloc)).toThrow(/unsupported/);
  });
});

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const objects = {
  "configmaps/ns1/cfg": { data: { LOG: "debug", "bad key": "x", "1X": "y", PORT: "80" } },
  "secrets/ns1/sec": { data: { PASSWORD: b64("s3cr$t"), TOKEN: b64("t") } },
  "nodes/n1": { status: { allocatable: { cpu: "8", memory: "16Gi" } } },
};
const image: ImageRecord = { id: "sha256:x", repoTags: [], layers: [], size: 0, config: { env: ["PATH=/image/bin", "IMG=1", "LOG=info"] } };
const ctx = () => ({ client: fakeClient(objects), nodeName: "n1", hostIP: "172.18.0.3", podIP: "10.244.1.5" });

describe("resolveContainerEnv", () => {
  it("resolves envFrom, then env in order with expansion over earlier values", async () => {
    const warnings: string[] = [];
    const c: Container = {
      name: "c",
      resources: { limits: { memory: "128Mi" } },
      envFrom: [{ configMapRef: { name: "cfg" } }, { secretRef: { name: "sec" }, prefix: "S_" }],
      env: [
        { name: "A", value: "a" },
        { name: "B", value: "$(A)-$(LOG)-$(S_TOKEN)-$(C)-$$(A)" },
        { name: "C", value: "c" },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "LIT", valueFrom: { secretKeyRef: { name: "sec", key: "PASSWORD" } } },
        { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "PORT", valueFrom: { configMapKeyRef: { name: "cfg", key: "PORT" } } },
        { name: "OPT", valueFrom: { configMapKeyRef: { name: "nope", key: "x", optional: true } } },
        { name: "OPTKEY", valueFrom: { secretKeyRef: { name: "sec", key: "nope", optional: true } } },
        { name: "EMPTY" },
      ],
    };
    const env = await resolveContainerEnv(pod, c, { ...ctx(), onWarning: (r, m) => warnings.push(`${r}: ${m}`) });
    expect(env).toEqual([
      ["LOG", "debug"],
      ["PORT", "80"],
      ["S_PASSWORD", "s3cr$t"],
      ["S_TOKEN", "t"],
      ["A", "a"],
      ["B", "a-debug-t-$(C)-$(A)"],
      ["C", "c"],
      ["POD", "web-1"],
      ["LIT", "s3cr$t"],
      ["MEM", "128"],
      ["CPU", "8"],
      ["EMPTY", ""],
    ]);
    expect(warnings).toEqual([
      "InvalidEnvironmentVariableNames: Keys [1X, bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.",
    ]);
  });

  it.each([
    [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }, 'configmap "nope" not found'],
    [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }, "couldn't find key k in ConfigMap ns1/cfg"],
    [{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }, 'secret "nope" not found'],
    [{ name: "X", valueFrom: { secretKeyRef: { name: "sec", key: "k" } } }, "couldn't find key k in Secret ns1/sec"],
  ])("missing non-optional source is a config error: %j", async (v, msg) => {
    const err = await resolveContainerEnv(pod, { name: "c", env: [v] }, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerConfigError);
    expect((err as ContainerConfigError).message).toBe(msg);
    expect((err as ContainerConfigError).reason).toBe("CreateContainerConfigError");
  });

  it("missing envFrom: optional skipped, required an error", async () => {
    expect(await resolveContainerEnv(pod, { name: "c", envFrom: [{ configMapRef: { name: "nope", optional: true } }] }, ctx())).toEqual([]);
    await expect(resolveContainerEnv(pod, { name: "c", envFrom: [{ secretRef: { name: "nope" } }] }, ctx())).rejects.toThrow('secret "nope" not found');
  });

  it("adds service variables that the container does not set, and expands with them", async () => {
    const env = await resolveContainerEnv(pod, { name: "c", env: [{ name: "X", value: "$(SVC_HOST)" }, { name: "SVC_PORT", value: "1" }] }, {
      ...ctx(),
      serviceEnv: { SVC_HOST: "10.96.0.5", SVC_PORT: "80" },
    });
    expect(env).toEqual([
      ["X", "10.96.0.5"],
      ["SVC_PORT", "1"],
      ["SVC_HOST", "10.96.0.5"],
    ]);
  });
});

describe("final env", () => {
  it("mergeEnv replaces in place and appends", () => {
    expect(mergeEnv(["A=1", "B=2"], ["B=3", "C=4", "A=5"])).toEqual(["A=5", "B=3", "C=4"]);
  });
  it("default PATH, then the image env, then the container's", async () => {
    const env = await resolveEnv(pod, { name: "c", env: [{ name: "LOG", value: "warn" }, { name: "NEW", value: "n" }] }, image, ctx());
    expect(env).toEqual(["PATH=/image/bin", "IMG=1", "LOG=warn", "NEW=n"]);
    const bare = await resolveEnv(pod, { name: "c" }, { ...image, config: {} }, ctx());
    expect(bare).toEqual([`PATH=${DEFAULT_PATH}`]);
  });
});
