import { describe, expect, it } from "vitest";
import type { Pod, Volume } from "kubernetes-types/core/v1.js";
import { volumePayload, type ObjectSource } from "./payload.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const src: ObjectSource = {
  configMap: (n) => Promise.resolve(n === "cfg" ? { data: { a: "A", b: "B" }, binaryData: { bin: b64("\x00\x01") } } : undefined),
  secret: (n) => Promise.resolve(n === "sec" ? { data: { pw: b64("hunter2") } } : undefined),
  allocatable: () => Promise.resolve({ cpu: "4", memory: "1Gi" }),
};
const pod: Pod = {
  metadata: { name: "p", namespace: "ns", uid: "u", labels: { b: "2", a: "1" } },
  spec: { containers: [{ name: "c", resources: { requests: { cpu: "500m" } } }] },
};

const files = async (vol: Omit<Volume, "name">, s: ObjectSource = src): Promise<Record<string, [string, string]>> => {
  const p = await volumePayload(pod, { name: "v", ...vol }, s);
  return Object.fromEntries([...p!].map(([k, f]) => [k, [Buffer.from(f.data).toString("latin1"), f.mode.toString(8)]]));
};

describe("volumePayload", () => {
  it("configMap: all keys incl. binaryData with defaultMode", async () => {
    expect(await files({ configMap: { name: "cfg" } })).toEqual({ a: ["A", "644"], b: ["B", "644"], bin: ["\x00\x01", "644"] });
    expect(await files({ configMap: { name: "cfg", defaultMode: 0o400 } })).toMatchObject({ a: ["A", "400"] });
  });
  it("configMap items: paths and modes", async () => {
    expect(await files({ configMap: { name: "cfg", items: [{ key: "a", path: "dir/x" }, { key: "b", path: "y", mode: 0o600 }] } })).toEqual({
      "dir/x": ["A", "644"],
      y: ["B", "600"],
    });
  });
  it.each<[string, Omit<Volume, "name">, string]>([
    ["missing configmap", { configMap: { name: "nope" } }, 'configmap "nope" not found'],
    ["missing key", { configMap: { name: "cfg", items: [{ key: "z", path: "z" }] } }, "configmap references non-existent config key: z"],
    ["missing secret", { secret: { secretName: "nope" } }, 'secret "nope" not found'],
    ["missing secret key", { secret: { secretName: "sec", items: [{ key: "z", path: "z" }] } }, "references non-existent secret key: z"],
  ])("%s is an error", async (_, vol, msg) => {
    await expect(volumePayload(pod, { name: "v", ...vol }, src)).rejects.toThrow(msg);
  });
  it("optional sources and keys", async () => {
    expect(await files({ configMap: { name: "nope", optional: true } })).toEqual({});
    expect(await files({ secret: { secretName: "sec", optional: true, items: [{ key: "z", path: "z" }, { key: "pw", path: "p" }] } })).toEqual({ p: ["hunter2", "644"] });
  });
  it("downwardAPI", async () => {
    expect(
      await files({
        downwardAPI: {
          items: [
            { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
            { path: "name", fieldRef: { fieldPath: "metadata.name" }, mode: 0o400 },
            { path: "cpu", resourceFieldRef: { containerName: "c", resource: "requests.cpu", divisor: "1m" } },
            { path: "mem", resourceFieldRef: { containerName: "c", resource: "limits.memory", divisor: "1Mi" } },
          ],
        },
      }),
    ).toEqual({ labels: ['a="1"\nb="2"', "644"], name: ["p", "400"], cpu: ["500", "644"], mem: ["1024", "644"] });
  });
  it("projected: sources together under one defaultMode; token only with a source", async () => {
    const vol: Omit<Volume, "name"> = {
      projected: {
        defaultMode: 0o440,
        sources: [
          { configMap: { name: "cfg", items: [{ key: "a", path: "a" }] } },
          { secret: { name: "sec" } },
          { downwardAPI: { items: [{ path: "ns", fieldRef: { fieldPath: "metadata.namespace" } }] } },
          { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
        ],
      },
    };
    expect(await files(vol)).toEqual({ a: ["A", "440"], pw: ["hunter2", "440"], ns: ["ns", "440"] });
    expect(await files(vol, { ...src, serviceAccountToken: () => Promise.resolve("jwt") })).toMatchObject({ token: ["jwt", "440"] });
  });
  it("other volume types have no payload", async () => {
    expect(await volumePayload(pod, { name: "v", emptyDir: {} }, src)).toBeUndefined();
  });
});
