// The real kubectl (1.32, /usr/bin/kubectl) against an in-process control plane: the everyday
// workflow of apply, get in every output format, describe, label, annotate, patch, replace,
// scale, delete, explain, server-side apply, diff, imperative create and wait.

import path from "node:path";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

const MANIFEST = path.join(import.meta.dirname, "fixtures/app.yaml");
let c: TestCluster;

/** Creates a ConfigMap from a manifest on stdin (kubectl's generic path, which sends JSON). */
async function createCm(name: string, namespace: string, data: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<any> {
  const manifest = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...extra }, data };
  const r = await c.kubectl(["create", "-f", "-", "-o", "json"], { input: JSON.stringify(manifest) });
  if (r.code !== 0) throw new Error(`kubectl create -f exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.stop();
});

describe("kubectl apply of a multi-document manifest", () => {
  it("creates every object and reports each", async () => {
    const out = await c.k("apply", "-f", MANIFEST);
    expect(out).toContain("namespace/shop created");
    expect(out).toContain("configmap/settings created");
    expect(out).toContain("secret/creds created");
    expect(out).toContain("deployment.apps/web created");
    expect(out).toContain("service/web created");
    expect(out).toContain("job.batch/migrate created");
    expect(out).toContain("cronjob.batch/nightly created");
    expect(out).toContain("statefulset.apps/db created");
    expect(out).toContain("daemonset.apps/agent created");
  });

  it("is idempotent: a second apply changes nothing", async () => {
    const out = await c.k("apply", "-f", MANIFEST);
    expect(out).toContain("deployment.apps/web unchanged");
    expect(out).toContain("configmap/settings unchanged");
  });

  it("applied defaults as Kubernetes does", async () => {
    const d = JSON.parse(await c.k("get", "deploy", "web", "-n", "shop", "-o", "json"));
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.metadata.generation).toBe(1);
    const pod = d.spec.template.spec;
    expect(pod.restartPolicy).toBe("Always");
    expect(pod.dnsPolicy).toBe("ClusterFirst");
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.containers[0].imagePullPolicy).toBe("IfNotPresent");
    expect(pod.containers[0].ports[0].protocol).toBe("TCP");
    const svc = JSON.parse(await c.k("get", "svc", "web", "-n", "shop", "-o", "json"));
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.sessionAffinity).toBe("None");
    expect(svc.spec.ports[0].protocol).toBe("TCP");
  });

  it("a changed manifest updates with a strategic merge patch and bumps generation", async () => {
    const text = fs.readFileSync(MANIFEST, "utf8").replace("example.com/web:1.0", "example.com/web:2.0").replace("replicas: 3", "replicas: 4");
    const out = await c.kubectl(["apply", "-f", "-"], { input: text });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("deployment.apps/web configured");
    const d = JSON.parse(await c.k("get", "deploy", "web", "-n", "shop", "-o", "json"));
    expect(d.spec.template.spec.containers[0].image).toBe("example.com/web:2.0");
    expect(d.spec.replicas).toBe(4);
    expect(d.metadata.generation).toBe(2);
    // The env var set through valueFrom survived the merge by name.
    expect(d.spec.template.spec.containers[0].env[0].name).toBe("MODE");
  });
});

describe("kubectl get", () => {
  it("prints the server's table with the real columns", async () => {
    const out = await c.k("get", "deployments", "-n", "shop");
    const [header, row] = out.trim().split("\n");
    expect(header.split(/\s+/)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    // UP-TO-DATE moves as the deployment controller creates pods; none is ever ready here.
    expect(row).toMatch(/^web\s+0\/4\s+\d+\s+0\s+\d+s$/);
  });

  it("-o wide adds the wide columns", async () => {
    const out = await c.k("get", "deploy", "-n", "shop", "-o", "wide");
    expect(out.split("\n")[0].split(/\s+/)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(out).toContain("example.com/web:2.0");
    expect(out).toContain("app=web");
  });

  it("-o yaml, -o json, -o name and jsonpath", async () => {
    expect(await c.k("get", "cm", "settings", "-n", "shop", "-o", "yaml")).toContain("mode: production");
    const cm = JSON.parse(await c.k("get", "configmap", "settings", "-n", "shop", "-o", "json"));
    expect(cm.data.greeting).toBe("hello");
    expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(cm.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await c.k("get", "deploy,svc", "-n", "shop", "-o", "name")).trim().split("\n").sort()).toEqual(["deployment.apps/web", "service/web"]);
    expect(await c.k("get", "secret", "creds", "-n", "shop", "-o", "jsonpath={.data.password}")).toBe(Buffer.from("s3cret").toString("base64"));
  });

  it("short names and the `all` category resolve through discovery", async () => {
    const out = await c.k("get", "all", "-n", "shop", "-o", "name");
    for (const want of ["service/web", "deployment.apps/web", "statefulset.apps/db", "daemonset.apps/agent", "job.batch/migrate", "cronjob.batch/nightly"]) {
      expect(out).toContain(want);
    }
    expect(await c.k("get", "sts,ds,cj,cm", "-n", "shop", "-o", "name")).toContain("statefulset.apps/db");
  });

  it("-A lists across namespaces with a NAMESPACE column", async () => {
    const out = await c.k("get", "ns");
    for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease", "shop"]) expect(out).toMatch(new RegExp(`^${ns}\\s+Active`, "m"));
    await createCm("other", "default", { a: "1" });
    const all = await c.k("get", "cm", "-A");
    expect(all.split("\n")[0].split(/\s+/)).toEqual(["NAMESPACE", "NAME", "DATA", "AGE"]);
    expect(all).toMatch(/^shop\s+settings\s+2\s+/m);
    expect(all).toMatch(/^default\s+other\s+1\s+/m);
  });

  it("-l and --field-selector filter on the server", async () => {
    await createCm("labelled", "default", { x: "y" });
    await c.k("label", "cm", "labelled", "-n", "default", "tier=backend", "env=prod");
    expect((await c.k("get", "cm", "-A", "-l", "tier=backend", "-o", "name")).trim()).toBe("configmap/labelled");
    expect((await c.k("get", "cm", "-A", "-l", "tier in (backend,frontend),env!=dev", "-o", "name")).trim()).toBe("configmap/labelled");
    expect((await c.k("get", "cm", "-A", "-l", "!tier", "-o", "name"))).not.toContain("labelled");
    expect((await c.k("get", "cm", "-A", "--field-selector", "metadata.name=settings", "-o", "name")).trim()).toBe("configmap/settings");
    expect((await c.k("get", "cm", "-A", "--field-selector", "metadata.namespace!=shop", "-o", "name"))).not.toContain("settings");
    const bad = await c.kubectl(["get", "cm", "--field-selector", "spec.nope=1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('"spec.nope" is not a known field selector');
  });

  it("--chunk-size pages through limit/continue", async () => {
    for (let i = 0; i < 7; i++) await createCm(`page-${i}`, "default");
    const out = await c.k("get", "cm", "-n", "default", "--chunk-size=2", "-o", "name");
    for (let i = 0; i < 7; i++) expect(out).toContain(`configmap/page-${i}`);
  });
});

describe("kubectl describe, label, annotate", () => {
  it("describes a deployment", async () => {
    const out = await c.k("describe", "deployment", "web", "-n", "shop");
    expect(out).toMatch(/Name:\s+web/);
    expect(out).toMatch(/Namespace:\s+shop/);
    expect(out).toMatch(/Selector:\s+app=web/);
    expect(out).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(out).toContain("example.com/web:2.0");
  });

  it("labels and annotates, overwrite and removal", async () => {
    await c.k("label", "svc", "web", "-n", "shop", "tier=frontend");
    const again = await c.kubectl(["label", "svc", "web", "-n", "shop", "tier=edge"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already has a value");
    await c.k("label", "svc", "web", "-n", "shop", "tier=edge", "--overwrite");
    await c.k("annotate", "svc", "web", "-n", "shop", "owner=team-a");
    let svc = JSON.parse(await c.k("get", "svc", "web", "-n", "shop", "-o", "json"));
    expect(svc.metadata.labels.tier).toBe("edge");
    expect(svc.metadata.annotations.owner).toBe("team-a");
    await c.k("label", "svc", "web", "-n", "shop", "tier-");
    await c.k("annotate", "svc", "web", "-n", "shop", "owner-");
    svc = JSON.parse(await c.k("get", "svc", "web", "-n", "shop", "-o", "json"));
    expect(svc.metadata.labels?.tier).toBeUndefined();
    expect(svc.metadata.annotations?.owner).toBeUndefined();
  });

  it("rejects an invalid label value with the API's message", async () => {
    const r = await c.kubectl(["label", "svc", "web", "-n", "shop", "bad=has space"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid label value|Invalid value/);
  });
});

describe("kubectl patch", () => {
  it("strategic merge patch merges containers by name", async () => {
    await c.k("patch", "deploy", "web", "-n", "shop", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"example.com/side:1"}]}}}}');
    const d = JSON.parse(await c.k("get", "deploy", "web", "-n", "shop", "-o", "json"));
    expect(d.spec.template.spec.containers.map((x: { name: string }) => x.name).sort()).toEqual(["sidecar", "web"]);
    expect(d.spec.template.spec.containers.find((x: { name: string }) => x.name === "web").image).toBe("example.com/web:2.0");
  });

  it("merge patch replaces lists", async () => {
    await c.k("patch", "cm", "settings", "-n", "shop", "--type=merge", "-p", '{"data":{"mode":"staging","greeting":null}}');
    const cm = JSON.parse(await c.k("get", "cm", "settings", "-n", "shop", "-o", "json"));
    expect(cm.data).toEqual({ mode: "staging" });
  });

  it("json patch", async () => {
    await c.k("patch", "cm", "settings", "-n", "shop", "--type=json", "-p", '[{"op":"add","path":"/data/extra","value":"1"},{"op":"replace","path":"/data/mode","value":"dev"}]');
    const cm = JSON.parse(await c.k("get", "cm", "settings", "-n", "shop", "-o", "json"));
    expect(cm.data).toEqual({ mode: "dev", extra: "1" });
    const bad = await c.kubectl(["patch", "cm", "settings", "-n", "shop", "--type=json", "-p", '[{"op":"remove","path":"/data/missing"}]']);
    expect(bad.code).not.toBe(0);
  });

  it("status is a separate subresource", async () => {
    // A StatefulSet: no controller of ours writes its status (the deployment controller would).
    await c.k("patch", "statefulset", "db", "-n", "shop", "--subresource=status", "--type=merge", "-p", '{"status":{"replicas":4,"readyReplicas":2}}');
    const d = JSON.parse(await c.k("get", "statefulset", "db", "-n", "shop", "-o", "json"));
    expect(d.status.readyReplicas).toBe(2);
    // Status written through the main resource is ignored.
    await c.k("patch", "statefulset", "db", "-n", "shop", "--type=merge", "-p", '{"status":{"readyReplicas":99}}');
    const again = JSON.parse(await c.k("get", "statefulset", "db", "-n", "shop", "-o", "json"));
    expect(again.status.readyReplicas).toBe(2);
    expect(again.metadata.generation).toBe(d.metadata.generation);
  });
});

describe("kubectl replace and scale", () => {
  it("replace with a stale resourceVersion conflicts; a fresh one succeeds", async () => {
    const cm = JSON.parse(await c.k("get", "cm", "settings", "-n", "shop", "-o", "json"));
    cm.data.mode = "replaced";
    const ok = await c.kubectl(["replace", "-f", "-"], { input: JSON.stringify(cm) });
    expect(ok.code).toBe(0);
    cm.data.mode = "stale";
    const stale = await c.kubectl(["replace", "-f", "-"], { input: JSON.stringify(cm) });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain("the object has been modified");
  });

  it("scales through the scale subresource", async () => {
    expect(await c.k("scale", "deploy", "web", "-n", "shop", "--replicas=2")).toContain("deployment.apps/web scaled");
    expect(await c.k("get", "deploy", "web", "-n", "shop", "-o", "jsonpath={.spec.replicas}")).toBe("2");
    const scale = JSON.parse(await c.k("get", "--raw", "/apis/apps/v1/namespaces/shop/deployments/web/scale"));
    expect(scale).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { selector: "app=web" } });
    await c.k("scale", "sts", "db", "-n", "shop", "--replicas=3");
    expect(await c.k("get", "sts", "db", "-n", "shop", "-o", "jsonpath={.spec.replicas}")).toBe("3");
    const wrong = await c.kubectl(["scale", "deploy", "web", "-n", "shop", "--replicas=5", "--current-replicas=9"]);
    expect(wrong.code).not.toBe(0);
  });
});

describe("discovery and schema", () => {
  it("api-resources lists kinds, short names and scope", async () => {
    const out = await c.k("api-resources");
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
    expect(out).toMatch(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    expect(out).toMatch(/^leases\s+coordination.k8s.io\/v1\s+true\s+Lease$/m);
  });

  it("api-versions lists every group version", async () => {
    const out = (await c.k("api-versions")).trim().split("\n");
    for (const gv of ["v1", "apps/v1", "batch/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1"]) {
      expect(out).toContain(gv);
    }
  });

  it("explain reads the OpenAPI v3 documents", async () => {
    const out = await c.k("explain", "deployment.spec.strategy");
    expect(out).toContain("KIND:");
    expect(out).toMatch(/rollingUpdate/);
    const pod = await c.k("explain", "pods.spec.containers.image");
    expect(pod).toMatch(/FIELD:\s+image/);
  });
});

describe("server-side apply and diff", () => {
  const cm = (mode: string, extra = "") => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa
  namespace: default
  labels:
    owner: ssa${extra}
data:
  mode: ${mode}
`;

  it("creates with managedFields and re-applies", async () => {
    expect((await c.kubectl(["apply", "--server-side", "-f", "-"], { input: cm("a") })).stdout).toContain("configmap/ssa serverside-applied");
    const obj = JSON.parse(await c.k("get", "cm", "ssa", "-o", "json", "--show-managed-fields"));
    expect(obj.metadata.managedFields[0]).toMatchObject({ manager: "kubectl", operation: "Apply", fieldsType: "FieldsV1" });
    expect(obj.metadata.managedFields[0].fieldsV1).toMatchObject({ "f:data": { "f:mode": {} } });
    const again = await c.kubectl(["apply", "--server-side", "-f", "-"], { input: cm("b") });
    expect(again.code).toBe(0);
    expect(await c.k("get", "cm", "ssa", "-o", "jsonpath={.data.mode}")).toBe("b");
  });

  it("a second manager conflicts unless it forces", async () => {
    const conflict = await c.kubectl(["apply", "--server-side", "--field-manager=other", "-f", "-"], { input: cm("c") });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain("conflict");
    const forced = await c.kubectl(["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], { input: cm("c") });
    expect(forced.code).toBe(0);
    expect(await c.k("get", "cm", "ssa", "-o", "jsonpath={.data.mode}")).toBe("c");
  });

  it("diff shows the change a manifest would make (server-side dry run)", async () => {
    const same = await c.kubectl(["diff", "--server-side", "--force-conflicts", "-f", "-"], { input: cm("c") });
    expect(same.stdout).toBe("");
    expect(same.code).toBe(0);
    const changed = await c.kubectl(["diff", "--server-side", "--force-conflicts", "-f", "-"], { input: cm("d") });
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("+  mode: d");
    // Nothing was written.
    expect(await c.k("get", "cm", "ssa", "-o", "jsonpath={.data.mode}")).toBe("c");
  });
});

describe("kubectl create imperatives", () => {
  it("creates objects of many kinds", async () => {
    await c.k("create", "namespace", "imperative");
    await c.k("create", "deployment", "nginx", "--image=example.com/nginx:1", "--replicas=2", "-n", "imperative");
    await c.k("create", "service", "clusterip", "nginx", "--tcp=80:8080", "-n", "imperative");
    await c.k("create", "secret", "generic", "token", "--from-literal=t=abc", "-n", "imperative");
    await c.k("create", "job", "once", "--image=example.com/once:1", "-n", "imperative");
    await c.k("create", "cronjob", "tick", "--image=example.com/tick:1", "--schedule=*/5 * * * *", "-n", "imperative");
    await c.k("create", "serviceaccount", "robot", "-n", "imperative");
    await c.k("create", "role", "reader", "--verb=get,list", "--resource=pods", "-n", "imperative");
    await c.k("create", "rolebinding", "reader", "--role=reader", "--serviceaccount=imperative:robot", "-n", "imperative");
    await c.k("create", "clusterrole", "nodes-reader", "--verb=get", "--resource=nodes");
    await c.k("create", "priorityclass", "x", "--value=1").catch(() => undefined); // not served: must fail cleanly
    await c.k("create", "poddisruptionbudget", "pdb", "--selector=app=nginx", "--min-available=1", "-n", "imperative");
    await c.k("create", "quota", "q", "--hard=pods=10", "-n", "imperative");
    const out = await c.k("get", "deploy,svc,secret,job,cronjob,sa,role,rolebinding,pdb,quota", "-n", "imperative", "-o", "name");
    for (const want of ["deployment.apps/nginx", "service/nginx", "secret/token", "job.batch/once", "cronjob.batch/tick", "serviceaccount/robot", "role.rbac.authorization.k8s.io/reader", "rolebinding.rbac.authorization.k8s.io/reader", "poddisruptionbudget.policy/pdb", "resourcequota/q"]) {
      expect(out).toContain(want);
    }
  });

  it("refuses an invalid object with 422 and field causes", async () => {
    const r = await c.kubectl(["create", "deployment", "Bad_Name", "--image=x"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is invalid');
    expect(r.stderr).toContain("metadata.name");
  });

  it("refuses a duplicate with AlreadyExists", async () => {
    const r = await c.kubectl(["create", "namespace", "imperative"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('namespaces "imperative" already exists');
  });
});

describe("delete", () => {
  it("deletes by name and by label", async () => {
    expect(await c.k("delete", "cm", "page-0", "-n", "default")).toContain('configmap "page-0" deleted');
    await c.k("label", "cm", "page-1", "page-2", "-n", "default", "batch=x");
    const out = await c.k("delete", "cm", "-l", "batch=x", "-n", "default");
    expect(out).toContain('configmap "page-1" deleted');
    expect(out).toContain('configmap "page-2" deleted');
    const missing = await c.kubectl(["get", "cm", "page-1", "-n", "default"]);
    expect(missing.stderr).toContain('configmaps "page-1" not found');
  });

  it("--cascade=foreground waits for dependents, orphan leaves them", async () => {
    const owner = await createCm("owner", "default");
    const dep = (name: string) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid, blockOwnerDeletion: true }] },
    });
    await c.kubectl(["create", "-f", "-"], { input: JSON.stringify(dep("child-1")) });
    await c.k("delete", "cm", "owner", "-n", "default", "--cascade=foreground");
    const gone = await c.kubectl(["get", "cm", "owner", "child-1", "-n", "default"]);
    expect(gone.stderr).toContain('"owner" not found');
    expect(gone.stderr).toContain('"child-1" not found');

    const owner2 = await createCm("owner", "default");
    const d2 = dep("child-2");
    d2.metadata.ownerReferences[0].uid = owner2.metadata.uid;
    await c.kubectl(["create", "-f", "-"], { input: JSON.stringify(d2) });
    await c.k("delete", "cm", "owner", "-n", "default", "--cascade=orphan");
    const child = JSON.parse(await c.k("get", "cm", "child-2", "-n", "default", "-o", "json"));
    expect(child.metadata.ownerReferences).toBeUndefined();
  });

  it("background cascade removes dependents after the owner", async () => {
    const owner = await createCm("bg-owner", "default");
    await c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bg-child", namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "bg-owner", uid: owner.metadata.uid }] } }),
    });
    await c.k("delete", "cm", "bg-owner", "-n", "default");
    await c.k("wait", "--for=delete", "cm/bg-child", "-n", "default", "--timeout=10s");
  });

  it("deleting a namespace removes its contents, then the namespace", async () => {
    await c.k("delete", "namespace", "shop", "--wait=false");
    await c.k("wait", "--for=delete", "namespace/shop", "--timeout=20s");
    const r = await c.kubectl(["get", "deploy", "-n", "shop", "-o", "name"]);
    expect(r.stdout.trim()).toBe("");
  });

  it("creating in a missing namespace is refused", async () => {
    const r = await c.kubectl(["create", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "nowhere" } }) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('namespaces "nowhere" not found');
  });

  it("protected namespaces cannot be deleted", async () => {
    const r = await c.kubectl(["delete", "ns", "kube-system"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("forbidden");
  });
});

describe("watch", () => {
  it("kubectl get --watch streams changes as table rows", async () => {
    await createCm("watched", "default", { v: "1" });
    const child = (await import("node:child_process")).spawn("/usr/bin/kubectl", ["--kubeconfig", c.kubeconfig, "get", "cm", "watched", "-n", "default", "--watch", "-o", "custom-columns=NAME:.metadata.name,V:.data.v"]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const waitFor = async (s: string) => {
      for (let i = 0; i < 100 && !out.includes(s); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor("watched");
    await c.k("patch", "cm", "watched", "-n", "default", "--type=merge", "-p", '{"data":{"v":"2"}}');
    await waitFor("watched   2");
    child.kill();
    expect(out).toMatch(/watched\s+1/);
    expect(out).toMatch(/watched\s+2/);
  });
});
