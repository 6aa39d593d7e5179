// Deployments and ReplicaSets with the real kubectl against the in-process control plane. There is
// no kubelet here: a stand-in marks each pod Running and Ready (through pods/status) a short
// while after it appears, so rollouts progress as on a cluster, only faster.

import type { Pod } from "kubernetes-types/core/v1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCES } from "../../src/api/registry/resources.js";
import type { Caller } from "../../src/controlplane/apiserver/rest.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor as waitUntil } from "../test-utils/wait.js";

const POD = RESOURCES.find((r) => r.kind === "Pod" && r.group === "")!;
const KUBELET: Caller = { user: "system:node:fake", groups: ["system:nodes"], userAgent: "fake-kubelet" };
const READY_AFTER_MS = 150;
/** Pods with this image never become ready (a rollout that cannot progress). */
const NEVER_READY = "never-ready";

let c: TestCluster;
let stopKubelet: () => void;

/** Marks pods Running and Ready READY_AFTER_MS after first seeing them (pods/status). */
function fakeKubelet(cluster: TestCluster, namespace: string): () => void {
  const seen = new Map<string, number>();
  let stopped = false;
  const tick = async () => {
    const page = await cluster.cp.registry.list(POD, { namespace });
    const now = Date.now();
    for (const obj of page.items) {
      const pod = obj as Pod;
      const uid = pod.metadata!.uid!;
      if (pod.metadata?.deletionTimestamp || pod.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")) continue;
      if (pod.spec?.containers[0]?.image === NEVER_READY) continue;
      if (!seen.has(uid)) seen.set(uid, now);
      if (now - seen.get(uid)! < READY_AFTER_MS) continue;
      const ts = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      await cluster.cp.registry
        .update(
          POD,
          namespace,
          pod.metadata!.name!,
          (cur) => {
            if (cur.metadata?.uid !== uid) return cur;
            cur.status = {
              phase: "Running",
              conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: ts })),
              startTime: ts,
            };
            return cur;
          },
          KUBELET,
          { subresource: "status" },
        )
        .catch(() => {});
    }
  };
  const loop = async () => {
    while (!stopped) {
      await tick().catch(() => {});
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

async function json(...args: string[]): Promise<any> {
  return JSON.parse(await c.k(...args, "-o", "json"));
}

function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return waitUntil(what, fn, timeoutMs);
}

async function podsOf(app: string): Promise<Pod[]> {
  const page = await c.cp.registry.list(POD, { namespace: "default" });
  return (page.items as Pod[]).filter((p) => p.metadata?.labels?.app === app);
}

const liveImages = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec!.containers[0].image);

beforeAll(async () => {
  c = await startTestCluster();
  stopKubelet = fakeKubelet(c, "default");
});
afterAll(async () => {
  stopKubelet?.();
  await c?.stop();
});

describe("a Deployment made with kubectl create deployment", () => {
  it("creates one ReplicaSet with the pod-template-hash and six pods", async () => {
    await c.k("create", "deployment", "web", "--image=x", "--replicas=6");
    const rs = await waitFor("a ReplicaSet", async () => (await json("get", "rs", "-l", "app=web")).items[0]);
    const hash = rs.metadata.labels["pod-template-hash"];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    expect(rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"]).toBe("6");
    expect(rs.metadata.annotations["deployment.kubernetes.io/max-replicas"]).toBe("8");
    expect(rs.metadata.ownerReferences[0]).toMatchObject({ kind: "Deployment", name: "web", controller: true, blockOwnerDeletion: true });
    const pods = await waitFor("six pods", async () => {
      const p = await podsOf("web");
      return p.length === 6 && p;
    });
    for (const p of pods) {
      expect(p.metadata!.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata!.ownerReferences![0]).toMatchObject({ kind: "ReplicaSet", name: rs.metadata.name, controller: true });
    }
  });

  it("kubectl rollout status completes, and status and conditions are reported", async () => {
    const out = await c.k("rollout", "status", "deployment/web", "--timeout=30s");
    expect(out).toContain('deployment "web" successfully rolled out');
    const d = await json("get", "deploy", "web");
    expect(d.status).toMatchObject({ replicas: 6, updatedReplicas: 6, readyReplicas: 6, availableReplicas: 6, observedGeneration: 1 });
    const cond = Object.fromEntries(d.status.conditions.map((x: any) => [x.type, x]));
    expect(cond.Available).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(cond.Progressing).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    const rs = (await json("get", "rs", "-l", "app=web")).items[0];
    expect(rs.status).toMatchObject({ replicas: 6, fullyLabeledReplicas: 6, readyReplicas: 6, availableReplicas: 6, observedGeneration: 1 });
    const events = await c.k("get", "events", "--field-selector", "involvedObject.name=web");
    expect(events).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-\w+ to 6/);
  });

  it("kubectl set image rolls within maxSurge and maxUnavailable", async () => {
    // 6 replicas, 25%/25%: at most 8 pods, at least 5 ready at every moment.
    let violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const pods = (await podsOf("web")).filter((p) => !p.metadata?.deletionTimestamp);
        const ready = pods.filter((p) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")).length;
        samples++;
        if (ready < 5) violations.push(`only ${ready} ready`);
        if (pods.length > 8) violations.push(`${pods.length} pods`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await c.k("set", "image", "deployment/web", "x=y");
    const out = await c.k("rollout", "status", "deployment/web", "--timeout=30s");
    sampling = false;
    await sampler;
    expect(out).toContain("successfully rolled out");
    expect(samples).toBeGreaterThan(10);
    expect(violations).toEqual([]);
    violations = [];
    expect(new Set(liveImages(await podsOf("web")))).toEqual(new Set(["y"]));
    const rss = (await json("get", "rs", "-l", "app=web")).items;
    expect(rss).toHaveLength(2);
    const byRev = Object.fromEntries(rss.map((rs: any) => [rs.metadata.annotations["deployment.kubernetes.io/revision"], rs]));
    expect(byRev["1"].spec.replicas).toBe(0);
    expect(byRev["2"].spec.replicas).toBe(6);
    expect((await json("get", "deploy", "web")).metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
  });

  it("kubectl rollout history lists both revisions, and rollout undo returns to the old template", async () => {
    const history = await c.k("rollout", "history", "deployment/web");
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    const out = await c.k("rollout", "undo", "deployment/web");
    expect(out).toContain("rolled back");
    await c.k("rollout", "status", "deployment/web", "--timeout=30s");
    const d = await json("get", "deploy", "web");
    expect(d.spec.template.spec.containers[0].image).toBe("x");
    expect(d.spec.template.metadata.labels["pod-template-hash"]).toBeUndefined();
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    const rss = (await json("get", "rs", "-l", "app=web")).items;
    // The first ReplicaSet is the new one again, with revision 3 (history "1").
    expect(rss).toHaveLength(2);
    const active = rss.find((rs: any) => rs.spec.replicas === 6);
    expect(active.spec.template.spec.containers[0].image).toBe("x");
    expect(active.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(active.metadata.annotations["deployment.kubernetes.io/revision-history"]).toBe("1");
    await waitFor("pods back on image x", async () => {
      const imgs = liveImages(await podsOf("web"));
      return imgs.length === 6 && imgs.every((i) => i === "x");
    });
  });

  it("kubectl scale changes the pod count", async () => {
    await c.k("scale", "deployment/web", "--replicas=3");
    await waitFor("three pods", async () => liveImages(await podsOf("web")).length === 3);
    await c.k("rollout", "status", "deployment/web", "--timeout=30s");
    const d = await json("get", "deploy", "web");
    expect(d.status).toMatchObject({ replicas: 3, availableReplicas: 3 });
    const rs = (await json("get", "rs", "-l", "app=web")).items.find((x: any) => x.spec.replicas > 0);
    expect(rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"]).toBe("3");
    await c.k("scale", "deployment/web", "--replicas=5");
    await waitFor("five pods", async () => liveImages(await podsOf("web")).length === 5);
  });

  it("a paused deployment does not roll until resumed", async () => {
    await c.k("rollout", "pause", "deployment/web");
    await c.k("set", "image", "deployment/web", "x=z");
    const d = await waitFor("the paused condition", async () => {
      const x = await json("get", "deploy", "web");
      return x.status.observedGeneration === x.metadata.generation && x.status.conditions.some((k: any) => k.reason === "DeploymentPaused") && x;
    });
    expect(d.status.conditions.find((k: any) => k.type === "Progressing")).toMatchObject({ status: "Unknown", message: "Deployment is paused" });
    expect((await json("get", "rs", "-l", "app=web")).items).toHaveLength(2);
    expect(new Set(liveImages(await podsOf("web")))).toEqual(new Set(["x"]));
    await c.k("rollout", "resume", "deployment/web");
    await c.k("rollout", "status", "deployment/web", "--timeout=30s");
    await waitFor("pods on image z", async () => {
      const imgs = liveImages(await podsOf("web"));
      return imgs.length === 5 && imgs.every((i) => i === "z");
    });
    expect((await json("get", "rs", "-l", "app=web")).items).toHaveLength(3);
  });
});

async function apply(obj: object): Promise<void> {
  const r = await c.kubectl(["apply", "-f", "-"], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(r.stderr);
}

function deployment(name: string, replicas: number, spec: Record<string, unknown> = {}, image = "x"): object {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }] } },
      ...spec,
    },
  };
}

describe("strategies and limits", () => {
  it("Recreate removes every old pod before the first new one", async () => {
    await apply(deployment("rec", 3, { strategy: { type: "Recreate" } }));
    await c.k("rollout", "status", "deployment/rec", "--timeout=30s");
    let mixed = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const imgs = new Set((await podsOf("rec")).map((p) => p.spec!.containers[0].image));
        if (imgs.size > 1) mixed = true;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await c.k("set", "image", "deployment/rec", "c=y");
    await c.k("rollout", "status", "deployment/rec", "--timeout=30s");
    sampling = false;
    await sampler;
    expect(mixed).toBe(false);
    expect(new Set(liveImages(await podsOf("rec")))).toEqual(new Set(["y"]));
    await c.k("delete", "deployment", "rec");
  });

  it("a rollout that makes no progress exceeds progressDeadlineSeconds", async () => {
    await apply(deployment("stuck", 2, { progressDeadlineSeconds: 1 }));
    await c.k("rollout", "status", "deployment/stuck", "--timeout=30s");
    await c.k("set", "image", "deployment/stuck", `c=${NEVER_READY}`);
    const r = await c.kubectl(["rollout", "status", "deployment/stuck", "--timeout=30s"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "stuck" exceeded its progress deadline');
    const d = await json("get", "deploy", "stuck");
    expect(d.status.conditions.find((x: any) => x.type === "Progressing")).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
    // maxUnavailable 25% of 2 rounds down to 0: both old pods stay.
    expect(d.status.availableReplicas).toBe(2);
    await c.k("delete", "deployment", "stuck");
  });

  it("revisionHistoryLimit prunes old ReplicaSets; rollout restart rolls the same image", async () => {
    await apply(deployment("hist", 1, { revisionHistoryLimit: 1 }));
    await c.k("rollout", "status", "deployment/hist", "--timeout=30s");
    for (const img of ["y", "z"]) {
      await c.k("set", "image", "deployment/hist", `c=${img}`);
      await c.k("rollout", "status", "deployment/hist", "--timeout=30s");
    }
    await waitFor("two ReplicaSets left", async () => (await json("get", "rs", "-l", "app=hist")).items.length === 2);
    await c.k("rollout", "restart", "deployment/hist");
    await c.k("rollout", "status", "deployment/hist", "--timeout=30s");
    const rss = (await json("get", "rs", "-l", "app=hist")).items;
    const revs = rss.map((rs: any) => Number(rs.metadata.annotations["deployment.kubernetes.io/revision"])).sort();
    expect(revs).toEqual([3, 4]);
    await c.k("delete", "deployment", "hist");
  });

  it("minReadySeconds delays availability", async () => {
    // Ready times have whole seconds, so a pod may count as ready up to 1 s early: 3 s leaves a margin.
    await apply(deployment("slow", 2, { minReadySeconds: 3 }));
    await waitFor("ready pods", async () => (await json("get", "deploy", "slow")).status?.readyReplicas === 2);
    const early = await json("get", "deploy", "slow");
    expect(early.status.availableReplicas ?? 0).toBeLessThan(2);
    await c.k("rollout", "status", "deployment/slow", "--timeout=30s");
    expect((await json("get", "deploy", "slow")).status.availableReplicas).toBe(2);
    await c.k("delete", "deployment", "slow");
  });
});

describe("deleting a deployment", () => {
  async function deployed(name: string, replicas: number): Promise<void> {
    await c.k("create", "deployment", name, "--image=x", `--replicas=${replicas}`);
    await c.k("rollout", "status", `deployment/${name}`, "--timeout=30s");
  }

  it("background (the default) removes its ReplicaSets and pods", async () => {
    await c.k("delete", "deployment", "web");
    await waitFor("no ReplicaSets or pods", async () => (await json("get", "rs", "-l", "app=web")).items.length === 0 && (await podsOf("web")).length === 0);
  });

  it("--cascade=foreground removes dependents before the deployment", async () => {
    await deployed("fg", 2);
    await c.k("delete", "deployment", "fg", "--cascade=foreground", "--wait=true", "--timeout=30s");
    expect((await json("get", "rs", "-l", "app=fg")).items).toHaveLength(0);
    expect(await podsOf("fg")).toHaveLength(0);
  });

  it("--cascade=orphan keeps the ReplicaSet and pods, without owner references", async () => {
    await deployed("orph", 2);
    await c.k("delete", "deployment", "orph", "--cascade=orphan");
    const rs = await waitFor("the orphaned ReplicaSet", async () => {
      const x = (await json("get", "rs", "-l", "app=orph")).items[0];
      return x && !x.metadata.ownerReferences && x;
    });
    expect(rs.spec.replicas).toBe(2);
    // The ReplicaSet still owns its pods and keeps them.
    await new Promise((r) => setTimeout(r, 300));
    expect(liveImages(await podsOf("orph"))).toHaveLength(2);
  });
});

describe("a ReplicaSet on its own", () => {
  it("adopts matching orphan pods and releases pods whose labels change", async () => {
    await c.kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "stray", labels: { app: "solo" } }, spec: { containers: [{ name: "c", image: "x" }] } }),
    });
    const rs = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "solo" },
      spec: { replicas: 2, selector: { matchLabels: { app: "solo" } }, template: { metadata: { labels: { app: "solo" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
    };
    await c.kubectl(["create", "-f", "-"], { input: JSON.stringify(rs) });
    const pods = await waitFor("two pods", async () => {
      const p = (await podsOf("solo")).filter((x) => !x.metadata?.deletionTimestamp);
      return p.length === 2 && p.every((x) => x.metadata?.ownerReferences?.[0]?.name === "solo") && p;
    });
    expect(pods.map((p) => p.metadata!.name)).toContain("stray");
    // Relabelled: released, and replaced by a new pod.
    await c.k("label", "pod", "stray", "app=gone", "--overwrite");
    await waitFor("stray released", async () => !(await json("get", "pod", "stray")).metadata.ownerReferences);
    await waitFor("a replacement", async () => (await podsOf("solo")).filter((x) => !x.metadata?.deletionTimestamp).length === 2);
    const st = await waitFor("status", async () => {
      const x = await json("get", "rs", "solo");
      return x.status.readyReplicas === 2 && x;
    });
    expect(st.status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 2 });
    await c.k("delete", "rs", "solo");
    await c.k("delete", "pod", "stray");
  });
});
