// Port-forward's way into a pod (src/kubelet/server/pod-dial.ts) against a real network
// namespace: a server bound to 127.0.0.1 inside it is not reachable from outside, so when the
// direct dial is refused it falls back to a relay process entered into the namespace with nsenter, and data
// flows both ways. Needs root (ip netns); skipped otherwise.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialPod } from "../../src/kubelet/server/pod-dial.js";
import { REPO } from "../test-utils/e2e.js";

const root = process.getuid?.() === 0;
const NS = `mctest-dial-${process.pid}`;
const NETNS = `/run/netns/${NS}`;
let server: ChildProcess | undefined;

// The relay as the executable runs it, from the sources: `relay 127.0.0.1 PORT` → runRelay.
const RELAY = [process.execPath, "--import", "tsx", "-e", `import(${JSON.stringify(path.join(REPO, "src/kubelet/server/pod-dial.ts"))}).then((m) => m.runRelay(process.argv.slice(1))).then((c) => { process.exitCode = c; })`];

// An echo server on 127.0.0.1:7070 only, inside the namespace: answers "pong:" + what it got.
const ECHO = `require("node:net").createServer((s) => s.on("data", (d) => s.end("pong:" + d))).listen(7070, "127.0.0.1", () => console.log("up"));`;

describe.skipIf(!root)("port-forward's dial into a pod", () => {
  beforeAll(async () => {
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
    server = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", ECHO], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => server!.stdout!.once("data", () => resolve()));
  });

  afterAll(() => {
    server?.kill();
    try {
      execFileSync("ip", ["netns", "del", NS]);
    } catch {
      // not made
    }
  });

  it("reaches a server bound to the pod's localhost through a relay in its namespace", async () => {
    // The "pod IP" given is this host's loopback, where nothing listens on 7070: the direct dial is
    // refused (as a pod IP is when its server is bound to 127.0.0.1), so the relay is used.
    const conn = await dialPod({ ip: "127.0.0.1", netnsPath: NETNS }, 7070, { relay: RELAY });
    const answer = await new Promise<string>((resolve, reject) => {
      let out = "";
      conn.on("data", (b: Buffer) => (out += b.toString()));
      conn.on("end", () => resolve(out));
      conn.on("error", reject);
      conn.write("ping");
    });
    expect(answer).toBe("pong:ping");
    conn.destroy();
  });

  it("reports a port nobody listens on in the namespace as refused", async () => {
    await expect(dialPod({ ip: "127.0.0.1", netnsPath: NETNS }, 7071, { relay: RELAY })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("without a namespace, a refusal is just a refusal", async () => {
    await expect(dialPod({ ip: "127.0.0.1", netnsPath: "" }, 7070)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
