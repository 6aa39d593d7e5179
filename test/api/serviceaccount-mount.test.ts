// The ServiceAccount admission (kube-api-access-* volume and mounts), the kube-root-ca.crt
// publisher, and the kubelet's projected-token source against the in-process control plane: the
// token file the VolumeManager writes authenticates as the pod's ServiceAccount.

import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigMap, Pod } from "kubernetes-types/core/v1.js";
import { isNotFound } from "../../src/client/api-error.js";
import { RestClient } from "../../src/client/rest.js";
import { VolumeManager } from "../../src/kubelet/volumes/index.js";
import { jwtClaims, startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

const PODS = { group: "", version: "v1", plural: "pods", namespaced: true } as const;
const CONFIGMAPS = { group: "", version: "v1", plural: "configmaps", namespaced: true } as const;
const NAMESPACES = { group: "", version: "v1", plural: "namespaces", namespaced: false } as const;
const MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

let tc: TestCluster;
let api: RestClient;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mc-sa-mount-"));
  tc = await startTestCluster({ store: "memory" });
  api = new RestClient({ server: tc.cp.url, ca: tc.cp.pki.ca.cert, cert: tc.cp.pki.admin.cert, key: tc.cp.pki.admin.key });
});

afterAll(async () => {
  await api?.close();
  await tc?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const createPod = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  api.create<Pod>(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [{ name: "main", image: "busybox" }], ...spec } } as Pod, { namespace });

/** GET with a bearer token; resolves to the HTTP status. */
function statusWithToken(token: string, p: string): Promise<number> {
  const u = new URL(tc.cp.url);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path: p, ca: tc.cp.pki.ca.cert, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function ensureNamespace(name: string): Promise<void> {
  await api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

describe("ServiceAccount admission", () => {
  it("gives a new pod the kube-api-access volume and a read-only mount in every container", async () => {
    const pod = await createPod("default", "sa-mounted", { initContainers: [{ name: "init", image: "busybox" }] });
    expect(pod.spec!.serviceAccountName).toBe("default");
    const vol = pod.spec!.volumes!.find((v) => v.name.startsWith("kube-api-access-"))!;
    expect(vol.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(vol.projected!.sources!.map((s) => Object.keys(s)[0])).toEqual(["serviceAccountToken", "configMap", "downwardAPI"]);
    expect(vol.projected!.sources![0]!.serviceAccountToken).toEqual({ expirationSeconds: 3607, path: "token" });
    for (const c of [...pod.spec!.initContainers!, ...pod.spec!.containers]) {
      expect(c.volumeMounts).toContainEqual({ name: vol.name, readOnly: true, mountPath: MOUNT });
    }
  });

  it("skips the token when automountServiceAccountToken is false", async () => {
    const pod = await createPod("default", "sa-no-automount", { automountServiceAccountToken: false });
    expect(pod.spec!.serviceAccountName).toBe("default");
    expect(pod.spec!.volumes ?? []).toEqual([]);
    expect(pod.spec!.containers[0]!.volumeMounts ?? []).toEqual([]);
  });

  it("follows the ServiceAccount's automountServiceAccountToken: false unless the pod overrides it", async () => {
    const SAS = { group: "", version: "v1", plural: "serviceaccounts", namespaced: true } as const;
    await api.create(SAS, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "quiet", namespace: "default" }, automountServiceAccountToken: false }, { namespace: "default" });
    const off = await createPod("default", "sa-quiet", { serviceAccountName: "quiet" });
    expect(off.spec!.volumes ?? []).toEqual([]);
    const on = await createPod("default", "sa-quiet-but-mounted", { serviceAccountName: "quiet", automountServiceAccountToken: true });
    expect(on.spec!.volumes!.map((v) => v.name)).toEqual([expect.stringMatching(/^kube-api-access-/)]);
  });

  it("can update a pod that got the volume (no second volume is added)", async () => {
    const pod = await api.get<Pod>(PODS, "sa-mounted", { namespace: "default" });
    pod.metadata!.labels = { touched: "yes" };
    const updated = await api.update<Pod>(PODS, pod, { namespace: "default" });
    expect(updated.spec!.volumes).toEqual(pod.spec!.volumes);
  });
});

describe("kube-root-ca.crt", () => {
  it("is published with the cluster CA in a new namespace", async () => {
    await ensureNamespace("sa-ca");
    const cm = await waitFor("kube-root-ca.crt in sa-ca", () =>
      api.get<ConfigMap>(CONFIGMAPS, "kube-root-ca.crt", { namespace: "sa-ca" }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
    );
    expect(cm.data).toEqual({ "ca.crt": tc.cp.pki.ca.cert });
  });
});

describe("kubelet projected token source", () => {
  it("writes token, ca.crt and namespace; the token authenticates as the pod's ServiceAccount", async () => {
    await ensureNamespace("sa-kubelet");
    await waitFor("default SA and CA in sa-kubelet", async () => {
      try {
        await api.get(CONFIGMAPS, "kube-root-ca.crt", { namespace: "sa-kubelet" });
        await api.get({ group: "", version: "v1", plural: "serviceaccounts", namespaced: true }, "default", { namespace: "sa-kubelet" });
        return true;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
    const pod = await createPod("sa-kubelet", "tokened");
    const volumes = new VolumeManager({ client: api, tokenClient: api, nodeName: "test-node", podsDir: path.join(tmp, "pods") });
    const prepared = await volumes.prepare(pod);
    const vol = pod.spec!.volumes!.find((v) => v.name.startsWith("kube-api-access-"))!;
    const dir = prepared.get(vol.name)!.path;
    expect(prepared.get(vol.name)!.readOnly).toBe(true);
    expect(fs.readFileSync(path.join(dir, "ca.crt"), "utf8")).toBe(tc.cp.pki.ca.cert);
    expect(fs.readFileSync(path.join(dir, "namespace"), "utf8")).toBe("sa-kubelet");
    const token = fs.readFileSync(path.join(dir, "token"), "utf8");
    const claims = jwtClaims(token) as { sub: string; "kubernetes.io": { pod: unknown } };
    expect(claims.sub).toBe("system:serviceaccount:sa-kubelet:default");
    expect(claims["kubernetes.io"].pod).toEqual({ name: "tokened", uid: pod.metadata!.uid });
    expect(await statusWithToken(token, "/api/v1/namespaces/sa-kubelet/pods")).toBe(200);
    expect(await statusWithToken(token.slice(0, -4) + "AAAA", "/api/v1/namespaces/sa-kubelet/pods")).toBe(401);

    // A refresh within the token's lifetime keeps the same token (no rewrite).
    const results = await volumes.refresh(pod);
    expect(results.find((r) => r.volume === vol.name)).toEqual({ volume: vol.name, changed: false });
    expect(fs.readFileSync(path.join(dir, "token"), "utf8")).toBe(token);

    // The token is bound to the pod: deleting the pod invalidates it.
    await api.delete(PODS, "tokened", { namespace: "sa-kubelet", gracePeriodSeconds: 0 });
    await waitFor("token rejected", async () => ((await statusWithToken(token, "/api/v1/namespaces/sa-kubelet/pods")) === 401 ? true : undefined));
    await volumes.cleanup(pod.metadata!.uid!);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
