// A watcher that stops reading must not make the API server hold its events without end: past
// the unsent-bytes limit (1 MiB here, 64 MiB by default) the server ends that watch, keeps serving
// everyone else, and the client can watch again from the last resourceVersion it got and miss nothing.
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../test-utils/control-plane.js";

let c: TestCluster;
const CMS = "/api/v1/namespaces/default/configmaps";

beforeAll(async () => {
  c = await startTestCluster({ store: "memory", watchBufferLimitBytes: 1 << 20 });
});

afterAll(async () => {
  await c?.stop();
});

function get(path: string): Promise<IncomingMessage> {
  const u = new URL(c.cp.url);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path, ca: c.cp.pki.ca.cert, cert: c.cp.pki.admin.cert, key: c.cp.pki.admin.key }, resolve);
    req.on("error", reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<Array<{ type: string; object: { metadata: { name: string; resourceVersion: string } } }>> {
  let text = "";
  for await (const chunk of res) text += (chunk as Buffer).toString();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; resourceVersion: string } } });
}

describe("a watcher that does not read", () => {
  it("is cut off past the buffer limit; a new watch from its last resourceVersion gets the rest", async () => {
    const start = JSON.parse(await c.k("get", "configmaps", "-o", "json")) as { metadata: { resourceVersion: string } };
    const res = await get(`${CMS}?watch=true&resourceVersion=${start.metadata.resourceVersion}`);
    expect(res.statusCode).toBe(200);
    res.pause(); // a client that stopped reading

    // 40 × 512 KiB of events: far more than the socket buffers and the 1 MiB limit hold.
    const big = "x".repeat(512 << 10);
    for (let i = 0; i < 40; i++) {
      const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `big-${i}`, namespace: "default" }, data: { data: big } };
      const r = await c.kubectl(["create", "-f", "-"], { input: JSON.stringify(cm) });
      expect(r.code, r.stderr).toBe(0);
    }
    res.resume();
    const events = await readAll(res); // ends: the server closed the watch
    const ours = (es: typeof events) => es.map((e) => e.object.metadata.name).filter((n) => n.startsWith("big-"));
    const names = new Set(ours(events));
    expect(names.size).toBeLessThan(40);

    // Everyone else is served meanwhile, and nothing is lost for the one cut off.
    const last = events.at(-1)!.object.metadata.resourceVersion;
    const rest = await readAll(await get(`${CMS}?watch=true&resourceVersion=${last}&timeoutSeconds=1`));
    for (const n of ours(rest)) names.add(n);
    expect(names.size).toBe(40);
  }, 60_000);
});
