// Bad input gets a precise Kubernetes Status and the server keeps its data: garbage bodies,
// wrong content types, invalid names, unknown kinds, huge bodies and selectors, missing or
// foreign client certificates, and a bounded fuzz run of random and mutated bodies.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { createCa, issueClientCert, loadSigningCa } from "../../src/controlplane/pki/index.js";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

let c: TestCluster;
let admin: Agent;

interface Reply {
  status: number;
  body: any;
  text: string;
}

async function call(method: string, path: string, body?: string | Buffer, contentType = "application/json", agent: Agent = admin): Promise<Reply> {
  const res = await request(`${c.cp.url}${path}`, {
    method: method as "GET",
    body,
    headers: body !== undefined ? { "content-type": contentType } : {},
    dispatcher: agent,
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text };
}

beforeAll(async () => {
  c = await startTestCluster();
  admin = new Agent({ connect: { ca: c.cp.pki.ca.cert, cert: c.cp.pki.admin.cert, key: c.cp.pki.admin.key } });
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep", namespace: "default" }, data: { k: "v" } };
  expect((await call("POST", "/api/v1/namespaces/default/configmaps", JSON.stringify(cm))).status).toBe(201);
});
afterAll(async () => {
  await admin?.close();
  await c?.stop();
});

const CMS = "/api/v1/namespaces/default/configmaps";

describe("authentication", () => {
  it("anonymous requests get 401 Unauthorized", async () => {
    const anon = new Agent({ connect: { ca: c.cp.pki.ca.cert } });
    const r = await call("GET", CMS, undefined, undefined, anon);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    await anon.close();
  });

  it("a certificate from another CA gets 401", async () => {
    const other = await loadSigningCa(await createCa());
    const cert = await issueClientCert(other, { commonName: "mallory", organizations: ["system:masters"] });
    const foreign = new Agent({ connect: { ca: c.cp.pki.ca.cert, cert: cert.cert, key: cert.key } });
    const r = await call("GET", CMS, undefined, undefined, foreign);
    expect(r.status).toBe(401);
    await foreign.close();
  });

  it("health and version are public", async () => {
    const anon = new Agent({ connect: { ca: c.cp.pki.ca.cert } });
    expect((await call("GET", "/readyz", undefined, undefined, anon)).text).toBe("ok");
    expect((await call("GET", "/version", undefined, undefined, anon)).body.major).toBe("1");
    await anon.close();
  });
});

describe("request errors", () => {
  it.each([
    ["malformed JSON", "POST", CMS, '{"apiVersion": "v1",', "application/json", 400, "BadRequest"],
    ["a JSON array", "POST", CMS, "[1,2]", "application/json", 400, "BadRequest"],
    ["malformed YAML", "POST", CMS, "kind: [unclosed", "application/yaml", 400, "BadRequest"],
    ["an unknown content type", "POST", CMS, "hello", "text/plain", 415, "UnsupportedMediaType"],
    ["a wrong kind for the URL", "POST", CMS, '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}', "application/json", 400, "BadRequest"],
    ["a wrong field type", "POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":[1]}', "application/json", 400, "BadRequest"],
    ["an invalid name", "POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}', "application/json", 422, "Invalid"],
    ["a missing name", "POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}', "application/json", 422, "Invalid"],
    ["an empty body", "POST", CMS, "", "application/json", 400, "BadRequest"],
    ["a duplicate", "POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keep"}}', "application/json", 409, "AlreadyExists"],
    ["an unknown resource", "GET", "/api/v1/namespaces/default/widgets", undefined, "", 404, "NotFound"],
    ["an unknown group", "GET", "/apis/example.com/v1/things", undefined, "", 404, "NotFound"],
    ["a missing object", "GET", `${CMS}/nope`, undefined, "", 404, "NotFound"],
    ["a method the resource lacks", "DELETE", "/api/v1/namespaces", undefined, "", 405, "MethodNotAllowed"],
    ["a bad label selector", "GET", `${CMS}?labelSelector=a%20in%20(`, undefined, "", 400, "BadRequest"],
    ["an unsupported field selector", "GET", `${CMS}?fieldSelector=spec.nodeName%3Dx`, undefined, "", 400, "BadRequest"],
    ["a bad continue token", "GET", `${CMS}?limit=1&continue=garbage`, undefined, "", 400, "BadRequest"],
    ["a strict unknown field", "POST", `${CMS}?fieldValidation=Strict`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"bogus":1}', "application/json", 400, "BadRequest"],
  ])("%s", async (_name, method, path, body, type, code, reason) => {
    const r = await call(method, path, body, type);
    expect(r.status).toBe(code);
    expect(r.body).toMatchObject({ kind: "Status", status: "Failure", code, reason });
    expect(r.body.message).toBeTruthy();
  });

  it("an invalid object lists its field causes", async () => {
    const r = await call("POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"bad key!":"v"}},"data":{"bad key":"v"}}');
    expect(r.status).toBe(422);
    const fields = r.body.details.causes.map((x: { field: string }) => x.field);
    expect(fields).toContain("metadata.labels");
    expect(fields.some((f: string) => f.startsWith("data"))).toBe(true);
  });

  it("bodies over 3 MiB get 413", async () => {
    const big = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big" }, data: { a: "x".repeat(3 * 1024 * 1024) } });
    const r = await call("POST", CMS, big);
    expect(r.status).toBe(413);
    expect(r.body.reason).toBe("RequestEntityTooLarge");
  });

  it("a huge label selector is refused quickly", async () => {
    const sel = Array.from({ length: 1200 }, (_, i) => `k${i}=v`).join(",");
    const started = Date.now();
    const r = await call("GET", `${CMS}?labelSelector=${encodeURIComponent(sel)}`);
    expect(r.status).toBe(400);
    expect(r.body.reason).toBe("BadRequest");
    expect(Date.now() - started).toBeLessThan(5000);
    // Past the HTTP layer's URL limit the answer is 431, and the server carries on.
    const huge = Array.from({ length: 20000 }, (_, i) => `k${i}=v`).join(",");
    expect((await call("GET", `${CMS}?labelSelector=${encodeURIComponent(huge)}`)).status).toBe(431);
    expect((await call("GET", `${CMS}/keep`)).status).toBe(200);
  });

  it("a stale resourceVersion on update is a 409 Conflict", async () => {
    const cur = (await call("GET", `${CMS}/keep`)).body;
    const stale = { ...cur, metadata: { ...cur.metadata, resourceVersion: "1" } };
    const r = await call("PUT", `${CMS}/keep`, JSON.stringify(stale));
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe("Conflict");
  });

  it("a watch from a compacted revision gets an ERROR event with 410", async () => {
    await c.cp.backend.compact(c.cp.backend.currentRevision());
    const r = await call("GET", `${CMS}?watch=true&resourceVersion=1&timeoutSeconds=1`);
    const first = JSON.parse(r.text.split("\n")[0]);
    expect(first.type).toBe("ERROR");
    expect(first.object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
  });
});

describe("fuzz", () => {
  it("random and mutated bodies never break the server or earlier data", async () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const base = JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "fz", labels: { a: "b" } }, spec: { replicas: 1, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } } } });
    const before = (await call("GET", `${CMS}/keep`)).body;
    const deadline = Date.now() + 4000;
    let n = 0;
    const statuses = new Set<number>();
    while (Date.now() < deadline && n < 400) {
      n++;
      let body: string;
      const mode = rand();
      if (mode < 0.3) {
        body = Array.from({ length: Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 128))).join("");
      } else {
        const chars = base.split("");
        for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) chars[Math.floor(rand() * chars.length)] = pick(['"', "{", "}", "[", "]", ",", ":", "0", "x", "-", " ", "null"]);
        body = chars.join("");
      }
      const path = pick(["/apis/apps/v1/namespaces/default/deployments", CMS, `${CMS}/keep`]);
      const method = path.endsWith("keep") ? pick(["PUT", "PATCH"]) : "POST";
      const type = method === "PATCH" ? pick(["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"]) : pick(["application/json", "application/yaml"]);
      const r = await call(method, method === "PATCH" && type.includes("apply") ? `${path}?fieldManager=fuzz` : path, body, type);
      statuses.add(r.status);
      expect(r.status).toBeLessThan(600);
      if (r.status >= 400) expect(r.body?.kind).toBe("Status");
    }
    expect(n).toBeGreaterThan(50);
    expect((await call("GET", "/readyz")).text).toBe("ok");
    const after = (await call("GET", `${CMS}/keep`)).body;
    // Mutated PUT/PATCH bodies may legitimately change "keep" when they happen to be valid; the
    // object must still be a well-formed ConfigMap with its identity intact.
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.kind).toBe("ConfigMap");
    expect(statuses.has(500)).toBe(false);
  });
});
