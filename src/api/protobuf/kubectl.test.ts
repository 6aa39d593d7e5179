// Ground truth: the real kubectl (1.32+ sends protobuf bodies for built-in kinds) POSTs to a tiny
// HTTP server that decodes each body; the decoded object must equal the JSON kubectl prints for
// the same command with --dry-run=client -o json.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDiscovery } from "../../controlplane/apiserver/discovery.js";
import { RESOURCES } from "../registry/resources.js";
import { decodeKubeProtobuf, isKubeProtobuf } from "./index.js";

const KUBECTL = "/usr/bin/kubectl";

interface Captured {
  contentType: string;
  obj: unknown;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The resource a collection POST addresses: /api/v1/[namespaces/N/]plural or /apis/G/V/[…]plural. */
function resourceOf(path: string) {
  const parts = path.split("/").filter(Boolean);
  const [group, version, rest] = parts[0] === "api" ? ["", parts[1], parts.slice(2)] : [parts[1], parts[2], parts.slice(3)];
  const plural = rest[0] === "namespaces" && rest.length > 2 ? rest[2] : rest[0];
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

describe.skipIf(!existsSync(KUBECTL))("kubectl create sends protobuf that decodes to its JSON", () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const captured: Captured[] = [];

  beforeAll(async () => {
    const legacy = buildDiscovery(RESOURCES).legacy;
    server = createServer((req, res) => {
      void (async () => {
        const path = (req.url ?? "/").split("?")[0];
        const body = await readBody(req);
        if (req.method === "GET" && legacy.has(path)) {
          res.writeHead(200, { "content-type": "application/json" }).end(legacy.get(path));
          return;
        }
        const r = req.method === "POST" ? resourceOf(path) : undefined;
        if (!r) {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }));
          return;
        }
        const contentType = req.headers["content-type"] ?? "";
        try {
          const obj = isKubeProtobuf(contentType) ? decodeKubeProtobuf(body, r.definition) : JSON.parse(body.toString("utf8"));
          captured.push({ contentType, obj });
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(obj));
        } catch (e) {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: String(e), code: 400 }));
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), "kpb-"));
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
`,
    );
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  // Each command is `kubectl create …` unless it starts with "run". `kubectl run` builds its Pod
  // as unstructured and sends JSON even in 1.32+: checked too, so a change in kubectl shows up.
  const commands: string[][] = [
    ["run", "pod1", "--image=nginx:1", "--port=80", "--env=A=B", "--labels=app=x", "--restart=Never", "--", "sleep", "1"],
    ["secret", "docker-registry", "reg", "--docker-server=r.io", "--docker-username=u", "--docker-password=p"],
    ["configmap", "c", "--from-literal=a=b", "--from-literal=empty="],
    ["secret", "generic", "s", "--from-literal=p=q"],
    ["deployment", "d", "--image=nginx:1", "--replicas=2", "--port=80"],
    ["deployment", "d0", "--image=nginx:1", "--replicas=0"],
    ["job", "j", "--image=busybox", "--", "echo", "hi"],
    ["cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *"],
    ["namespace", "n"],
    ["serviceaccount", "sa"],
    ["role", "r", "--verb=get", "--resource=pods"],
    ["clusterrole", "cr", "--verb=get,list", "--resource=nodes", "--resource-name=n1"],
    ["rolebinding", "rb", "--role=r", "--serviceaccount=default:sa", "--user=alice"],
    ["clusterrolebinding", "crb", "--clusterrole=cr", "--group=devs"],
    ["service", "clusterip", "s", "--tcp=80:8080"],
    ["service", "nodeport", "np", "--tcp=80:http", "--node-port=30080"],
    ["quota", "q", "--hard=pods=3,requests.cpu=500m,requests.memory=1Gi"],
    ["pdb", "p", "--selector=app=x", "--min-available=1"],
    ["pdb", "p2", "--selector=app=x", "--max-unavailable=50%"],
    ["priorityclass", "pc", "--value=1000", "--description=x"],
    ["ingress", "ing", "--rule=foo.com/bar=svc1:8080"],
  ];

  for (const args of commands) {
    const verb = args[0] === "run" ? [] : ["create"];
    it(`kubectl ${[...verb, ...args].join(" ")}`, async () => {
      // Flags go before "--" (job's command follows it).
      const cut = args.includes("--") ? args.indexOf("--") : args.length;
      const run = (...flags: string[]) =>
        execa(KUBECTL, ["--kubeconfig", kubeconfig, ...verb, ...args.slice(0, cut), ...flags, ...args.slice(cut)], { reject: false });
      const dry = await run("--dry-run=client", "-o", "json");
      const expected: unknown = JSON.parse(dry.stdout);
      const before = captured.length;
      const res = await run("-o", "json");
      // Kinds we do not serve (priorityclass, ingress) get a 404 from discovery: nothing to compare.
      if (!RESOURCES.some((r) => r.kind === (expected as { kind: string }).kind)) return;
      expect(res.stderr).toBe("");
      expect(captured.length).toBe(before + 1);
      const got = captured[before];
      expect(got.contentType).toBe(args[0] === "run" ? "application/json" : "application/vnd.kubernetes.protobuf");
      expect(got.obj).toEqual(expected);
    });
  }
});
