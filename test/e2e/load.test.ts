// `minicluster load docker-image|image-archive` against a real 2-node cluster: images arrive in
// every node's store (checked with the node-side `minicluster image list`), a second load skips,
// --nodes restricts, a moved tag is loaded again, and mistakes give one line and a non-zero exit.
// MINICLUSTER_E2E_EXE runs another build than dist/minicluster.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerExec, e2eEnv, type CliResult } from "../test-utils/e2e.js";
import { ensureTestImage, type TestImages } from "../test-utils/images.js";

const env = e2eEnv("load");
const { mc } = env;
const NAME = "mctest-load";
const CP = `${NAME}-control-plane`;
const WORKER = `${NAME}-worker`;
const EXTRA = "mctest/load-e2e:1";

let images: TestImages;
let ids: Record<string, string>;

interface NodeImage {
  id: string;
  repoTags: string[];
}

async function nodeImages(node: string): Promise<NodeImage[]> {
  return JSON.parse(await dockerExec(node, ["minicluster", "image", "list", "--json"])) as NodeImage[];
}

/** Our error lines (stderr may also carry Node's own warnings). */
const errors = (r: CliResult) => r.stderr.split("\n").filter((l) => l.startsWith("minicluster: "));
const idOf = async (name: string) => (await docker.getImage(name).inspect()).Id;
const tagged = (list: NodeImage[], ref: string) => list.find((i) => i.repoTags.includes(ref))?.id;

beforeAll(async () => {
  images = await ensureTestImage(docker);
  ids = { app: await idOf(images.app), busybox: await idOf(images.busybox) };
  await docker.getImage(images.busybox).tag({ repo: "mctest/load-e2e", tag: "1" });
  await mc(["delete", "--name", NAME]);
  const r = await mc(["create", "--name", NAME, "--nodes", "2"]);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
});

afterAll(async () => {
  await mc(["delete", "--name", NAME]);
  await docker
    .getImage(EXTRA)
    .remove({ noprune: true })
    .catch(() => {});
});

describe("minicluster load", () => {
  it("loads images from the host's engine into every node, then skips nodes that have them", async () => {
    const first = await mc(["load", "docker-image", images.app, images.busybox, "--name", NAME]);
    expect(errors(first)).toEqual([]);
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const node of [CP, WORKER]) {
      expect(lines.find((l) => l.startsWith(`node ${node}: loaded `))).toContain("docker.io/mctest/app:1");
      const list = await nodeImages(node);
      expect(tagged(list, "docker.io/mctest/app:1")).toBe(ids.app);
      expect(tagged(list, "docker.io/mctest/busybox:1")).toBe(ids.busybox);
    }
    const second = await mc(["load", "docker-image", images.app, "--name", NAME]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split("\n").sort()).toEqual([CP, WORKER].map((n) => `node ${n}: already has docker.io/mctest/app:1 (${ids.app!.slice(7, 19)})`));
  });

  it("the node-side list shows the images as a table", async () => {
    const out = await dockerExec(WORKER, ["minicluster", "image", "list"]);
    expect(out).toMatch(/^IMAGE\s+ID\s+SIZE\n/);
    expect(out).toMatch(new RegExp(`docker.io/mctest/app:1\\s+${ids.app!.slice(7, 19)}`));
  });

  it("--nodes restricts the load; a moved tag is loaded again", async () => {
    const r = await mc(["load", "docker-image", EXTRA, "--name", NAME, "--nodes", WORKER]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(tagged(await nodeImages(WORKER), "docker.io/mctest/load-e2e:1")).toBe(ids.busybox);
    expect(tagged(await nodeImages(CP), "docker.io/mctest/load-e2e:1")).toBeUndefined();
    // Point the tag at the app image: the worker has another ID under it, so it loads again.
    await docker.getImage(images.app).tag({ repo: "mctest/load-e2e", tag: "1" });
    const again = await mc(["load", "docker-image", EXTRA, "--name", NAME, "--nodes", WORKER]);
    expect(again.stdout).toMatch(/: loaded docker.io\/mctest\/load-e2e:1/);
    const list = await nodeImages(WORKER);
    expect(tagged(list, "docker.io/mctest/load-e2e:1")).toBe(ids.app);
    expect(list.find((i) => i.id === ids.busybox)!.repoTags).toEqual(["docker.io/mctest/busybox:1"]);
  });

  it("loads a docker save archive", async () => {
    const file = path.join(env.home, "busybox.tar");
    const stream = await docker.getImage(images.busybox).get();
    await new Promise<void>((resolve, reject) => stream.pipe(fs.createWriteStream(file)).on("finish", resolve).on("error", reject));
    const r = await mc(["load", "image-archive", file, "--name", NAME, "--nodes", CP]);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^node ${CP}: loaded docker.io/mctest/busybox:1 \\(${ids.busybox!.slice(7, 19)}\\)`));
  });

  it.each([
    [["load", "docker-image", "mctest/app:1", "--name", "mctest-nosuch"], /no cluster named "mctest-nosuch"/],
    [["load", "docker-image", "mctest/app:1", "--name", NAME, "--nodes", "nosuch"], /no node named "nosuch" in cluster/],
    [["load", "docker-image", "mctest/not-there:1", "--name", NAME], /image mctest\/not-there:1 is not present locally/],
    [["load", "docker-image", "Not/Valid", "--name", NAME], /must be lowercase/],
    [["load", "image-archive", "/etc/hostname", "--name", NAME], /is not an image archive/],
    [["load", "image-archive", "/nonexistent.tar", "--name", NAME], /no such file/],
  ])("fails with one line: %j", async (args, why) => {
    const r = await mc(args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]).toMatch(why);
  });
});
