import { describe, expect, it } from "vitest";
import { StatusError } from "../errors.js";
import { strategicMergePatch } from "./strategic-merge-patch.js";
import { deploymentSchema, podSchema } from "./testdata/schemas.js";

const livePod = () => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", labels: { app: "web", tier: "fe" }, finalizers: ["a", "b"] },
  spec: {
    containers: [
      {
        name: "web",
        image: "nginx:1.25",
        env: [{ name: "A", value: "1" }, { name: "B", value: "2" }],
        ports: [{ containerPort: 80, protocol: "TCP" }, { containerPort: 443, protocol: "TCP" }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      },
      { name: "sidecar", image: "busybox" },
    ],
    tolerations: [{ key: "a", operator: "Exists" }],
    restartPolicy: "Always",
  },
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

const smp = (patch: unknown, obj: unknown = livePod()) => strategicMergePatch(obj, patch, podSchema) as ReturnType<typeof livePod>;

describe("strategicMergePatch: maps and scalars", () => {
  it("merges maps and deletes a label with null", () => {
    const out = smp({ metadata: { labels: { tier: null, env: "prod" } } });
    expect(out.metadata.labels).toEqual({ app: "web", env: "prod" });
  });

  it("replaces scalars and adds new fields", () => {
    const out = smp({ spec: { restartPolicy: "Never", nodeName: "n1" } });
    expect(out.spec).toMatchObject({ restartPolicy: "Never", nodeName: "n1" });
  });

  it("$patch: replace on a map replaces it", () => {
    const out = smp({ metadata: { labels: { $patch: "replace", only: "this" } } });
    expect(out.metadata.labels).toEqual({ only: "this" });
  });

  it("$patch: delete on a map empties it", () => {
    const out = smp({ metadata: { labels: { $patch: "delete" } } });
    expect(out.metadata.labels).toEqual({});
  });

  it("does not mutate its inputs", () => {
    const live = livePod();
    const patch = { spec: { containers: [{ name: "web", image: "x" }] } };
    smp(patch, live);
    expect(live).toEqual(livePod());
    expect(patch).toEqual({ spec: { containers: [{ name: "web", image: "x" }] } });
  });

  it("behaves as a JSON merge where the schema is unknown", () => {
    const out = strategicMergePatch({ a: { b: [1, 2], c: 1 } }, { a: { b: [3], c: null } }, undefined);
    expect(out).toEqual({ a: { b: [3] } });
  });
});

describe("strategicMergePatch: lists", () => {
  it("merges containers by name, keeping untouched items", () => {
    const out = smp({ spec: { containers: [{ name: "web", image: "nginx:1.26" }] } });
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ["web", "nginx:1.26"],
      ["sidecar", "busybox"],
    ]);
    expect(out.spec.containers[0].env).toHaveLength(2);
  });

  it("puts new items of a merge list first, as Kubernetes does", () => {
    const out = smp({ spec: { containers: [{ name: "extra", image: "x" }] } });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["extra", "web", "sidecar"]);
  });

  it("replaces lists without a merge strategy (tolerations)", () => {
    const out = smp({ spec: { tolerations: [{ key: "b", operator: "Equal", value: "v" }] } });
    expect(out.spec.tolerations).toEqual([{ key: "b", operator: "Equal", value: "v" }]);
  });

  it("deletes a list item with $patch: delete", () => {
    const out = smp({ spec: { containers: [{ name: "sidecar", $patch: "delete" }] } });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["web"]);
  });

  it("replaces a merge list with a $patch: replace item", () => {
    const out = smp({ spec: { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] } });
    expect(out.spec.containers).toEqual([{ name: "only", image: "x" }]);
  });

  it("unions primitive merge lists (finalizers) and deletes with $deleteFromPrimitiveList", () => {
    expect(smp({ metadata: { finalizers: ["c", "a"] } }).metadata.finalizers).toEqual(["c", "a", "b"]);
    expect(smp({ metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }).metadata.finalizers).toEqual(["b"]);
  });

  it("orders with $setElementOrder (patch order over live order)", () => {
    const out = smp({
      spec: {
        "$setElementOrder/containers": [{ name: "sidecar" }, { name: "web" }],
        containers: [{ name: "web", image: "nginx:2" }],
      },
    });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["sidecar", "web"]);
    expect(out.spec.containers[1].image).toBe("nginx:2");
  });

  it("orders primitive lists with $setElementOrder", () => {
    const out = smp({ metadata: { "$setElementOrder/finalizers": ["b", "c", "a"], finalizers: ["c"] } });
    expect(out.metadata.finalizers).toEqual(["b", "c", "a"]);
  });

  it("applies the patch kubectl apply sends for an edited Deployment", () => {
    // last applied: labels {app, tier}, env A,B, ports 80,443, image 1.25; new: no tier, env A, port 80, image 1.26.
    const patch = {
      metadata: { labels: { tier: null } },
      spec: {
        "$setElementOrder/containers": [{ name: "web" }, { name: "sidecar" }],
        containers: [
          {
            "$setElementOrder/env": [{ name: "A" }],
            "$setElementOrder/ports": [{ containerPort: 80 }],
            env: [{ $patch: "delete", name: "B" }],
            image: "nginx:1.26",
            name: "web",
            ports: [{ $patch: "delete", containerPort: 443 }],
          },
        ],
      },
    };
    const out = smp(patch);
    expect(out.metadata.labels).toEqual({ app: "web" });
    const web = out.spec.containers[0];
    expect(web).toEqual({
      name: "web",
      image: "nginx:1.26",
      env: [{ name: "A", value: "1" }],
      ports: [{ containerPort: 80, protocol: "TCP" }],
      volumeMounts: [{ name: "data", mountPath: "/data" }],
    });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["web", "sidecar"]);
  });

  it("adds a container at the position $setElementOrder gives", () => {
    const out = smp({
      spec: {
        "$setElementOrder/containers": [{ name: "web" }, { name: "new" }, { name: "sidecar" }],
        containers: [{ name: "new", image: "x", env: [{ name: "X", value: null }] }],
      },
    });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["web", "new", "sidecar"]);
    expect(out.spec.containers[1]).toEqual({ name: "new", image: "x", env: [{ name: "X" }] });
  });

  it("merges list-map items by their merge key (ports by containerPort)", () => {
    const out = smp({ spec: { containers: [{ name: "web", ports: [{ containerPort: 80, name: "http" }] }] } });
    expect(out.spec.containers[0].ports).toEqual([
      { containerPort: 80, protocol: "TCP", name: "http" },
      { containerPort: 443, protocol: "TCP" },
    ]);
  });
});

describe("strategicMergePatch: $retainKeys", () => {
  const live = () => ({ spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } } } });

  it("clears fields not retained (switching a Deployment to Recreate)", () => {
    const out = strategicMergePatch(live(), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, deploymentSchema);
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("refuses patch fields missing from $retainKeys with 400", () => {
    const err = statusOf(() => strategicMergePatch(live(), { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: { maxSurge: 2 } } } }, deploymentSchema));
    expect(err.code).toBe(400);
    expect(err.message).toBe("invalid patch format of retainKeys");
  });
});

describe("strategicMergePatch: errors", () => {
  it("merge list item without its merge key is a 500 like Kubernetes", () => {
    const err = statusOf(() => smp({ spec: { containers: [{ image: "x" }] } }));
    expect(err.code).toBe(500);
    expect(err.message).toBe("map: map[image:x] does not contain declared merge key: name");
  });

  it("unknown $patch directive", () => {
    expect(statusOf(() => smp({ metadata: { labels: { $patch: "explode" } } })).code).toBe(500);
  });

  it("a lists-of-lists merge is 422", () => {
    const obj = { metadata: { finalizers: [["a"]] } };
    const err = statusOf(() => strategicMergePatch(obj, { metadata: { finalizers: [["b"]] } }, podSchema));
    expect(err.code).toBe(422);
  });

  it("a malformed $deleteFromPrimitiveList key is 400", () => {
    const err = statusOf(() => smp({ metadata: { $deleteFromPrimitiveList: ["a"] } }));
    expect(err.code).toBe(400);
    expect(err.message).toBe("invalid patch format of primitive list");
  });

  it("a patch body that is not an object is 400", () => {
    expect(statusOf(() => smp([1])).code).toBe(400);
  });
});
