// A smoke run of older and newer kubectl releases (1.27 … 1.33 from the Cloud SDK, where
// installed): discovery, apply with their default validation (1.27/1.28 read /openapi/v2 as
// protobuf, later ones use /openapi/v3 and server-side field validation), get, explain, delete.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

const SDK = "/usr/lib/google-cloud-sdk/bin";
const VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.33"].filter((v) => fs.existsSync(path.join(SDK, `kubectl.${v}`)));
const MANIFEST = path.join(import.meta.dirname, "fixtures/app.yaml");
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.stop();
});

describe.each(VERSIONS)("kubectl %s", (v) => {
  const binary = path.join(SDK, `kubectl.${v}`);
  const k = async (...args: string[]) => {
    const r = await c.kubectl(args, { binary });
    if (r.code !== 0) throw new Error(`kubectl.${v} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  it("discovers resources and versions", async () => {
    expect(await k("api-resources")).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(await k("api-versions")).toContain("batch/v1");
  });

  it("applies a manifest with validation, gets, explains and deletes", async () => {
    const text = fs.readFileSync(MANIFEST, "utf8").replaceAll("shop", `shop-${v.replace(".", "-")}`);
    const r = await c.kubectl(["apply", "-f", "-"], { binary, input: text });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("deployment.apps/web created");
    const ns = `shop-${v.replace(".", "-")}`;
    expect(await k("get", "deploy", "-n", ns, "-o", "wide")).toMatch(/^web\s+0\/3/m);
    expect(await k("explain", "deployment.spec.replicas")).toMatch(/replicas/);
    const bad = await c.kubectl(["apply", "-f", "-"], {
      binary,
      input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: ${ns}\nbogus: 1\n`,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bogus/);
    expect(await k("delete", "namespace", ns)).toContain(`namespace "${ns}" deleted`);
  });
});
