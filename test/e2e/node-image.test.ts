// The node image end to end: ensureNodeImage builds it into the real engine (or finds it), the
// image holds what node containers need, and an unchanged rebuild — from the library or from the
// single executable's `build node-image` — is a no-op.
import crypto from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureNodeImage, resolveMiniclusterExecutable, type EnsureNodeImageResult } from "../../src/nodeimage/index.js";
import { connectDocker } from "../../src/provision/docker/engine.js";
import { docker, e2eEnv } from "../test-utils/e2e.js";

const PREFIX = `mctest-nodeimage-${crypto.randomBytes(3).toString("hex")}`;
const env = e2eEnv("nodeimage");
const executable = resolveMiniclusterExecutable();
let first: EnsureNodeImageResult;
const progress: string[] = [];

beforeAll(async () => {
  await connectDocker();
  first = await ensureNodeImage({ docker, executable, onProgress: (l) => progress.push(l) });
  if (first.built) console.log(`built ${first.tag} in ${first.ms} ms (base built: ${first.baseBuilt}):\n${progress.join("\n")}`);
});

afterAll(async () => {
  const leftovers = await docker.listContainers({ all: true, filters: { name: [PREFIX] } });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await docker
    .getImage(`${PREFIX}/custom:1`)
    .remove({ noprune: true })
    .catch(() => {});
  fs.rmSync(env.home, { recursive: true, force: true });
});

/** Runs `script` in a throwaway container of the node image; returns its exit code and output. */
async function runInImage(script: string): Promise<{ code: number; out: string }> {
  const c = await docker.createContainer({ name: `${PREFIX}-run`, Image: first.tag, Entrypoint: ["/bin/sh", "-c", script], Tty: true });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const out = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, out: out.toString("utf8").replace(/\r/g, "") };
  } finally {
    await c.remove({ force: true });
  }
}

describe("node image", () => {
  test("is tagged by hash and carries the contract's labels, entrypoint and stop signal, within the size target", async () => {
    expect(first.tag).toBe(`minicluster/node:${first.hash}`);
    const info = await docker.getImage(first.tag).inspect();
    expect(info.Config.Labels).toMatchObject({ "io.minicluster.image": "node", "io.minicluster.recipe-hash": first.hash });
    expect(info.Config.Entrypoint).toEqual(["/usr/local/bin/minicluster", "node"]);
    expect((info.Config as { StopSignal?: string }).StopSignal).toBe("SIGTERM");
    expect(info.Size).toBe(first.size);
    expect(info.Size).toBeLessThanOrEqual(400e6);
    const base = await docker.getImage(first.baseTag).inspect();
    expect(base.Config.Labels).toMatchObject({ "io.minicluster.image": "node-base" });
  });

  test("holds runc, iptables (nft and legacy), iproute2, the util-linux tools, CA certificates and the executable", async () => {
    const r = await runInImage(
      [
        "set -e",
        "runc --version | head -1",
        "iptables --version",
        "iptables-legacy --version",
        "iptables-nft --version",
        "ip -V",
        "conntrack --version",
        "mount --version",
        "nsenter --version",
        "ps --version",
        "test -s /etc/ssl/certs/ca-certificates.crt && echo ca-ok",
        "test -w /tmp && stat -c %a /tmp",
        "/usr/local/bin/minicluster --version",
      ].join("\n"),
    );
    expect(r.out).toMatch(/^runc version \d/m);
    expect(r.out).toMatch(/^iptables v1\.8\.\d+ \(nf_tables\)/m);
    expect(r.out).toMatch(/^iptables v1\.8\.\d+ \(legacy\)/m);
    expect(r.out).toMatch(/^ip utility, iproute2-/m);
    expect(r.out).toMatch(/^conntrack v\d/m);
    expect(r.out).toMatch(/^mount from util-linux/m);
    expect(r.out).toMatch(/^nsenter from util-linux/m);
    expect(r.out).toMatch(/^ca-ok$/m);
    expect(r.out).toMatch(/^1777$/m);
    expect(r.out).toMatch(/^0\.\d+\.\d+$/m);
    expect(r.code, r.out).toBe(0);
  });

  test("an unchanged rebuild is a no-op, from the library and from `minicluster build node-image`", async () => {
    const again = await ensureNodeImage({ docker, executable });
    expect(again).toMatchObject({ tag: first.tag, hash: first.hash, built: false, baseBuilt: false });
    expect(again.ms).toBeLessThan(5000);

    const cli = await env.mc(["build", "node-image"]);
    expect(cli.stderr).toContain(`node image ${first.tag} is up to date`);
    expect(cli.stdout.trim()).toBe(first.tag);
    expect(cli.code).toBe(0);
  });

  test("--image adds a tag to the same image, and is a no-op the second time", async () => {
    const tag = `${PREFIX}/custom:1`;
    const a = await env.mc(["build", "node-image", "--image", tag]);
    expect(a.stdout.trim()).toBe(tag);
    expect(a.code).toBe(0);
    const [custom, byHash] = await Promise.all([docker.getImage(tag).inspect(), docker.getImage(first.tag).inspect()]);
    expect(custom.Id).toBe(byHash.Id);
    const b = await ensureNodeImage({ docker, executable, tag });
    expect(b).toMatchObject({ tag, built: false });

    const bad = await env.mc(["build", "node-image", "--image", "Not A Tag"]);
    expect(bad.stderr).toContain("--image");
    expect(bad.code).toBe(2);
  });

  test("with no engine reachable, one line saying so and how to start one", async () => {
    const r = await env.mc(["build", "node-image"], { env: { DOCKER_HOST: `unix:///tmp/${PREFIX}-no-engine.sock` } });
    expect(r.stderr).toBe(`minicluster: cannot reach the Docker engine at /tmp/${PREFIX}-no-engine.sock (ENOENT): is it running? start it with \`dockerd &\` or \`systemctl start docker\`\n`);
    expect(r.code).toBe(1);
  });
});
