// `minicluster create` / `delete` end to end: real Docker, the built single executable, the real
// kubectl. One 3-node cluster shared by the file, a second cluster beside it, restarts of the node
// containers and of the Docker engine, the error cases, and deletion that leaves nothing behind.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Agent, request } from "undici";
import { parse as parseYaml } from "yaml";
import { docker, dockerObjects, e2eEnv, eventually, restartDockerEngine } from "../test-utils/e2e.js";
import { freePort } from "../test-utils/ports.js";

const env = e2eEnv("cluster");
const A = "e2e-a";
const B = "e2e-b";
const C = "e2e-c";

interface NodeObj {
  metadata: { name: string; labels: Record<string, string> };
  spec: { taints?: Array<{ key: string; effect: string }> };
  status: {
    conditions: Array<{ type: string; status: string; reason?: string }>;
    addresses: Array<{ type: string; address: string }>;
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    nodeInfo: Record<string, string>;
  };
}

async function nodes(name: string): Promise<NodeObj[]> {
  const r = await env.kubectl(name, ["get", "nodes", "-o", "json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { items: NodeObj[] }).items;
}

const isReady = (n: NodeObj) => n.status.conditions.some((c) => c.type === "Ready" && c.status === "True");

async function allReady(name: string, count: number): Promise<boolean> {
  const ns = await nodes(name);
  return ns.length === count && ns.every(isReady);
}

function kubeconfigDoc(): { contexts?: Array<{ name: string }>; "current-context"?: string } {
  return parseYaml(fs.readFileSync(env.kubeconfig, "utf8")) as { contexts?: Array<{ name: string }>; "current-context"?: string };
}

beforeAll(async () => {
  // Leftovers of an interrupted earlier run must not fail this one.
  await env.mc(["delete", "--name", A]);
  await env.mc(["delete", "--name", B]);
  await env.mc(["delete", "--name", C]);
  const built = await env.mc(["build", "node-image"]);
  expect(built.code, built.stderr).toBe(0);
});

afterAll(async () => {
  await env.mc(["delete", "--name", A]);
  await env.mc(["delete", "--name", B]);
  await env.mc(["delete", "--name", C]);
});

describe("create --nodes 3", () => {
  test("makes three Ready nodes with roles, labels, taint and renewing leases", async () => {
    const r = await env.mc(["create", "--name", A, "--nodes", "3"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`Cluster "${A}" is ready`);

    expect(kubeconfigDoc()["current-context"]).toBe(`minicluster-${A}`);
    const ns = await nodes(A);
    expect(ns.map((n) => n.metadata.name).sort()).toEqual([`${A}-control-plane`, `${A}-worker`, `${A}-worker2`]);
    for (const n of ns) {
      expect(isReady(n)).toBe(true);
      expect(n.metadata.labels["kubernetes.io/hostname"]).toBe(n.metadata.name);
      expect(n.metadata.labels["kubernetes.io/os"]).toBe("linux");
      expect(n.metadata.labels["kubernetes.io/arch"]).toMatch(/^(amd64|arm64)$/);
      expect(n.status.addresses.find((a) => a.type === "InternalIP")?.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(n.status.addresses.find((a) => a.type === "Hostname")?.address).toBe(n.metadata.name);
      expect(n.status.capacity.pods).toBe("110");
      expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
      expect(n.status.allocatable.memory).toMatch(/^\d+Ki$/);
      expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^runc:\/\//);
      expect(n.status.nodeInfo.osImage).toMatch(/Debian/);
      for (const t of ["MemoryPressure", "DiskPressure", "PIDPressure"]) expect(n.status.conditions.find((c) => c.type === t)?.status).toBe("False");
      const cp = n.metadata.name.endsWith("-control-plane");
      expect("node-role.kubernetes.io/control-plane" in n.metadata.labels).toBe(cp);
      const taint = (n.spec.taints ?? []).find((t) => t.key === "node-role.kubernetes.io/control-plane");
      expect(taint?.effect).toBe(cp ? "NoSchedule" : undefined);
    }

    const wide = await env.kubectl(A, ["get", "nodes"]);
    expect(wide.stdout).toMatch(new RegExp(`${A}-control-plane\\s+Ready\\s+control-plane`));

    const leases = async () => {
      const l = await env.kubectl(A, ["get", "leases", "-n", "kube-node-lease", "-o", "json"]);
      return (JSON.parse(l.stdout) as { items: Array<{ metadata: { name: string }; spec: { holderIdentity: string; renewTime: string } }> }).items;
    };
    const before = await leases();
    expect(before.map((l) => l.metadata.name).sort()).toEqual(ns.map((n) => n.metadata.name).sort());
    for (const l of before) expect(l.spec.holderIdentity).toBe(l.metadata.name);
    // Leases renew every 10 s.
    const renewed = await eventually(async () => {
      const after = await leases();
      return before.every((b) => {
        const a = after.find((x) => x.metadata.name === b.metadata.name);
        return a !== undefined && Date.parse(a.spec.renewTime) > Date.parse(b.spec.renewTime);
      });
    }, 25_000, 1000);
    expect(renewed).toBe(true);
  });

  test("lists clusters and nodes, prints the kubeconfig (also --internal)", async () => {
    const clusters = await env.mc(["get", "clusters"]);
    expect(clusters.stdout.split("\n")).toContain(A);
    const ns = await env.mc(["get", "nodes", "--name", A]);
    expect(ns.code).toBe(0);
    expect(ns.stdout).toMatch(new RegExp(`${A}-control-plane\\s+control-plane\\s+running`));
    expect(ns.stdout).toMatch(new RegExp(`${A}-worker2\\s+worker\\s+running`));

    const kc = await env.mc(["get", "kubeconfig", "--name", A]);
    expect(kc.code).toBe(0);
    const doc = parseYaml(kc.stdout) as { clusters: Array<{ cluster: { server: string } }> };
    expect(doc.clusters[0]!.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const internal = await env.mc(["get", "kubeconfig", "--name", A, "--internal"]);
    expect((parseYaml(internal.stdout) as typeof doc).clusters[0]!.cluster.server).toBe(`https://${A}-control-plane:6443`);

    // Without a client certificate the API answers 401 (only /healthz, /readyz, /version are public).
    const server = doc.clusters[0]!.cluster.server;
    const ca = Buffer.from((parseYaml(kc.stdout) as { clusters: Array<{ cluster: { "certificate-authority-data": string } }> }).clusters[0]!.cluster["certificate-authority-data"], "base64").toString();
    const anon = await request(`${server}/api/v1/nodes`, { dispatcher: new Agent({ connect: { ca } }) });
    expect(anon.statusCode).toBe(401);
    await anon.body.dump();

    // The printed kubeconfig works on its own.
    const file = path.join(env.home, "printed.yaml");
    fs.writeFileSync(file, kc.stdout);
    const r = await env.kubectl(A, ["--kubeconfig", file, "get", "ns", "default", "-o", "name"]);
    expect(r.stdout.trim()).toBe("namespace/default");
  });

  test("a second and third cluster, created in parallel (one from a config file), run alongside", async () => {
    const port = await freePort();
    const cfg = path.join(env.home, "b.yaml");
    fs.writeFileSync(
      cfg,
      [
        "kind: Cluster",
        "apiVersion: minicluster.dev/v1alpha1",
        "nodes:",
        "  - role: control-plane",
        "    labels: { tier: gold }",
        "  - role: worker",
        "    labels: { tier: silver }",
        "networking:",
        `  apiServerPort: ${port}`,
        "",
      ].join("\n"),
    );
    const [r, c] = await Promise.all([env.mc(["create", "--name", B, "--config", cfg]), env.mc(["create", "--name", C, "--nodes", "2", "--wait", "0"])]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(c.code, `${c.stdout}\n${c.stderr}`).toBe(0);
    // --wait 0 returned once the API answered; the nodes follow.
    expect(await eventually(() => allReady(C, 2), 30_000)).toBe(true);
    expect((await env.mc(["delete", "--name", C])).code).toBe(0);
    expect(r.stdout).toContain(`https://127.0.0.1:${port}`);
    const ns = await nodes(B);
    expect(ns.map((n) => [n.metadata.name, n.metadata.labels.tier])).toEqual([
      [`${B}-control-plane`, "gold"],
      [`${B}-worker`, "silver"],
    ]);
    expect(await allReady(A, 3)).toBe(true);
    const contexts = kubeconfigDoc().contexts!.map((c) => c.name);
    expect(contexts).toEqual(expect.arrayContaining([`minicluster-${A}`, `minicluster-${B}`]));
  });
});

describe("errors", () => {
  test("name already in use: clear error, the existing cluster is untouched", async () => {
    const r = await env.mc(["create", "--name", A, "--wait", "0"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already exists/);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^minicluster: /);
    expect(await allReady(A, 3)).toBe(true);
  });

  test("invalid name, bad --nodes, unknown flag", async () => {
    for (const args of [
      ["create", "--name", "Bad_Name"],
      ["create", "--name", "ok", "--nodes", "0"],
      ["create", "--name", "ok", "--nodes", "two"],
      ["create", "--name", "ok", "--wait", "soon"],
      ["create", "--frobnicate"],
    ]) {
      const r = await env.mc(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    expect((await dockerObjects("ok")).containers).toEqual([]);
  });

  test("a bad config file names the file, line and field", async () => {
    const cfg = path.join(env.home, "bad.yaml");
    fs.writeFileSync(cfg, "kind: Cluster\napiVersion: minicluster.dev/v1alpha1\nnodes:\n  - role: control-plane\n  - role: master\n");
    const r = await env.mc(["create", "--name", "bad", "--config", cfg]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${cfg}:5`);
    expect(r.stderr).toContain("nodes[1].role");
    const typo = path.join(env.home, "typo.yaml");
    fs.writeFileSync(typo, "kind: Cluster\nnetworking:\n  apiServerPrt: 7000\n");
    const t = await env.mc(["create", "--name", "bad", "--config", typo]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`${typo}:3`);
    expect(t.stderr).toContain("apiServerPrt");
  });

  test("API server port already taken", async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    const cfg = path.join(env.home, "port.yaml");
    fs.writeFileSync(cfg, `kind: Cluster\napiVersion: minicluster.dev/v1alpha1\nnetworking:\n  apiServerPort: ${port}\n`);
    const r = await env.mc(["create", "--name", "porttaken", "--config", cfg]);
    srv.close();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`port ${port}`);
    expect(r.stderr).toContain("already in use");
    expect(await dockerObjects("porttaken")).toEqual({ containers: [], volumes: [], networks: [] });
  });

  test("a create that fails removes what it made, unless --retain", async () => {
    // A node image whose entrypoint fails at once: the control plane never answers.
    const image = "mctest-e2e/broken-node:1";
    const nodeImage = (await docker.listImages({ filters: { reference: ["minicluster/node"] } }))[0]!.RepoTags![0]!;
    await buildImage(image, `FROM ${nodeImage}\nENTRYPOINT ["/bin/false"]\n`);
    try {
      const r = await env.mc(["create", "--name", "broken", "--nodes", "2", "--image", image]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/broken-control-plane (restarted|exited)/);
      expect(await dockerObjects("broken")).toEqual({ containers: [], volumes: [], networks: [] });
      expect((kubeconfigDoc().contexts ?? []).map((c) => c.name)).not.toContain("minicluster-broken");

      const kept = await env.mc(["create", "--name", "broken", "--image", image, "--retain"]);
      expect(kept.code).not.toBe(0);
      expect((await dockerObjects("broken")).containers).toEqual(["broken-control-plane"]);
    } finally {
      await env.mc(["delete", "--name", "broken"]);
      await docker.getImage(image).remove({ force: true });
    }
  });

  test("no Docker engine reachable: one line saying so", async () => {
    const r = await env.mc(["create", "--name", "nodocker"], { env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach the Docker engine/);
  });
});

describe("survives restarts", () => {
  test("docker restart of every node container keeps nodes, objects and the kubeconfig", async () => {
    const cm = await env.kubectl(A, ["create", "configmap", "survivor", "--from-literal=k=v"]);
    expect(cm.code, cm.stderr).toBe(0);
    const names = (await dockerObjects(A)).containers;
    await Promise.all(names.map((n) => docker.getContainer(n).restart({ t: 10 })));
    expect(await eventually(() => allReady(A, 3), 60_000, 500)).toBe(true);
    const got = await env.kubectl(A, ["get", "configmap", "survivor", "-o", "jsonpath={.data.k}"]);
    expect(got.stdout).toBe("v");
  });

  test("a restart of the Docker engine brings both clusters back", async () => {
    await restartDockerEngine();
    expect(await eventually(() => allReady(A, 3), 90_000, 1000)).toBe(true);
    expect(await eventually(() => allReady(B, 2), 90_000, 1000)).toBe(true);
    const got = await env.kubectl(A, ["get", "configmap", "survivor", "-o", "jsonpath={.data.k}"]);
    expect(got.stdout).toBe("v");
    // Addresses follow the containers' (possibly new) IPs.
    for (const n of await nodes(A)) {
      const info = await docker.getContainer(n.metadata.name).inspect();
      const ip = info.NetworkSettings.Networks[`minicluster-${A}`]!.IPAddress;
      expect(n.status.addresses.find((a) => a.type === "InternalIP")?.address).toBe(ip);
    }
  });
});

describe("export logs and delete", () => {
  test("export logs writes every node's component logs", async () => {
    const dir = path.join(env.home, "logs");
    const r = await env.mc(["export", "logs", dir, "--name", A]);
    expect(r.code, r.stderr).toBe(0);
    for (const n of [`${A}-control-plane`, `${A}-worker`, `${A}-worker2`]) {
      expect(fs.existsSync(path.join(dir, n, "container.log"))).toBe(true);
      expect(fs.existsSync(path.join(dir, n, "minicluster", "kubelet.log"))).toBe(true);
    }
    expect(fs.existsSync(path.join(dir, `${A}-control-plane`, "minicluster", "server.log"))).toBe(true);
  });

  test("delete leaves no containers, volumes, networks or kubeconfig entries, and is idempotent", async () => {
    const r = await env.mc(["delete", "--name", A]);
    expect(r.code, r.stderr).toBe(0);
    expect(await dockerObjects(A)).toEqual({ containers: [], volumes: [], networks: [] });
    const doc = kubeconfigDoc();
    expect((doc.contexts ?? []).map((c) => c.name)).not.toContain(`minicluster-${A}`);
    expect(doc["current-context"] ?? "").not.toBe(`minicluster-${A}`);
    const again = await env.mc(["delete", "--name", A]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/does not exist/);
    // The other cluster is untouched.
    expect(await allReady(B, 2)).toBe(true);
    // --all only where it cannot take someone else's cluster with it.
    const others = (await env.mc(["get", "clusters"])).stdout.split("\n").filter((n) => n !== "" && n !== B);
    const all = await env.mc(others.length === 0 ? ["delete", "--all"] : ["delete", "--name", B]);
    expect(all.code).toBe(0);
    expect(await dockerObjects(B)).toEqual({ containers: [], volumes: [], networks: [] });
  });
});

async function buildImage(tag: string, dockerfile: string): Promise<void> {
  const pack = (await import("tar-stream")).pack();
  pack.entry({ name: "Dockerfile" }, dockerfile);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

