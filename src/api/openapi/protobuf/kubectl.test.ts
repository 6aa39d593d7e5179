// End to end with the real kubectl 1.27/1.28, which read /openapi/v2 only as gnostic protobuf:
// a throwaway plain-HTTP server serves legacy discovery and the encoded document, and kubectl
// explains fields and validates manifests client-side against it.

import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDiscovery } from "../../../controlplane/apiserver/discovery.js";
import { RESOURCES } from "../../registry/resources.js";
import { buildOpenApiV2 } from "../v2.js";
import { encodeOpenApiV2Protobuf, OPENAPI_V2_PROTOBUF_ACCEPT, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from "./index.js";

const BIN = "/usr/lib/google-cloud-sdk/bin";
const KUBECTL_127 = `${BIN}/kubectl.1.27`;
const KUBECTL_128 = `${BIN}/kubectl.1.28`;
const present = existsSync(KUBECTL_127) && existsSync(KUBECTL_128);
if (!present) console.warn(`skipping kubectl protobuf OpenAPI tests: ${KUBECTL_127} or ${KUBECTL_128} is not installed`);

/**
 * The served document, optionally without `fieldValidation` on writes: kubectl 1.27+ leaves
 * validation to servers that advertise that parameter, and validates client-side (against this
 * protobuf schema) only when they do not.
 */
function document(fieldValidation: boolean): Record<string, unknown> {
  const doc = buildOpenApiV2(RESOURCES) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
  if (!fieldValidation) {
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) if (op && Array.isArray(op.parameters)) op.parameters = op.parameters.filter((p) => p.name !== "fieldValidation");
    }
  }
  return doc;
}

interface TestServer {
  kubeconfig: string;
  cacheDir: string;
  openApiAccepts: string[];
  close(): Promise<void>;
}

async function startServer(dir: string, name: string, openapi: Record<string, unknown>): Promise<TestServer> {
  const legacy = buildDiscovery(RESOURCES).legacy;
  const protobufBody = encodeOpenApiV2Protobuf(openapi);
  const jsonBody = JSON.stringify(openapi);
  const openApiAccepts: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/openapi/v2") {
      const accept = req.headers.accept ?? "";
      openApiAccepts.push(accept);
      if (OPENAPI_V2_PROTOBUF_ACCEPT.some((t) => accept.includes(t))) {
        res.writeHead(200, { "Content-Type": OPENAPI_V2_PROTOBUF_CONTENT_TYPE, Vary: "Accept" });
        res.end(protobufBody);
      } else {
        res.writeHead(200, { "Content-Type": "application/json", Vary: "Accept" });
        res.end(jsonBody);
      }
      return;
    }
    const body = legacy.get(path);
    if (body !== undefined) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
      return;
    }
    // /openapi/v3 included: kubectl falls back to v2.
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- {name: t, cluster: {server: "http://127.0.0.1:${port}"}}`,
      "users:",
      "- {name: u, user: {}}",
      "contexts:",
      "- {name: t, context: {cluster: t, user: u, namespace: default}}",
      "current-context: t",
      "",
    ].join("\n"),
  );
  return {
    kubeconfig,
    cacheDir: join(dir, `${name}-cache`),
    openApiAccepts,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
`;
const UNKNOWN_FIELD = DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  bogusField: 1\n");
const WRONG_TYPE = DEPLOYMENT.replace("replicas: 2", 'replicas: "two"');

describe.skipIf(!present)("kubectl 1.27/1.28 against /openapi/v2 as protobuf", () => {
  let dir: string;
  let advertising: TestServer; // the document as served: fieldValidation on writes
  let clientSide: TestServer; // without fieldValidation: kubectl validates against the schema itself

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "openapi-pb-"));
    advertising = await startServer(dir, "advertising", document(true));
    clientSide = await startServer(dir, "client-side", document(false));
    await Promise.all([
      writeFile(join(dir, "ok.yaml"), DEPLOYMENT),
      writeFile(join(dir, "unknown.yaml"), UNKNOWN_FIELD),
      writeFile(join(dir, "wrong-type.yaml"), WRONG_TYPE),
    ]);
  });
  afterAll(async () => {
    await Promise.all([advertising?.close(), clientSide?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const kubectl = (bin: string, s: TestServer, ...args: string[]) =>
    execa(bin, ["--kubeconfig", s.kubeconfig, "--cache-dir", s.cacheDir, ...args], { reject: false, timeout: 30_000 });

  it("kubectl 1.27 explains pods.spec.containers from the protobuf document", async () => {
    const r = await kubectl(KUBECTL_127, advertising, "explain", "pods.spec.containers");
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("KIND:     Pod");
    expect(r.stdout).toContain("RESOURCE: containers <[]Object>");
    expect(r.stdout).toMatch(/\n {3}image\t<string>/);
    expect(r.stdout).toMatch(/\n {3}name\t<string> -required-/);
    expect(advertising.openApiAccepts).toContain("application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
  });

  it("kubectl 1.28 explains a nested field", async () => {
    const r = await kubectl(KUBECTL_128, advertising, "explain", "deployments.spec.strategy.rollingUpdate");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("KIND:     Deployment");
    expect(r.stdout).toContain("maxSurge\t<string>");
  });

  it("kubectl 1.27 creates a valid deployment with --dry-run=client and validation on", async () => {
    const r = await kubectl(KUBECTL_127, advertising, "create", "--dry-run=client", "--validate=true", "-o", "yaml", "-f", join(dir, "ok.yaml"));
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("kind: Deployment");
    expect(r.stdout).toContain("containerPort: 80");
  });

  it("kubectl 1.27 leaves unknown fields to a server that advertises fieldValidation", async () => {
    // Proof that it read the POST parameters out of the protobuf paths: it sees fieldValidation
    // and skips client-side validation (nothing is sent with --dry-run=client).
    const r = await kubectl(KUBECTL_127, advertising, "create", "--dry-run=client", "-o", "yaml", "-f", join(dir, "unknown.yaml"));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("bogusField: 1");
  });

  it.each([
    [KUBECTL_127, "unknown.yaml", 'ValidationError(Deployment.spec): unknown field "bogusField" in io.k8s.api.apps.v1.DeploymentSpec'],
    [KUBECTL_127, "wrong-type.yaml", 'ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"'],
    [KUBECTL_128, "unknown.yaml", 'ValidationError(Deployment.spec): unknown field "bogusField" in io.k8s.api.apps.v1.DeploymentSpec'],
  ])("%s rejects %s client-side against the schema", async (bin, file, message) => {
    const r = await kubectl(bin, clientSide, "create", "--dry-run=client", "-o", "yaml", "-f", join(dir, file));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error validating "${join(dir, file)}": error validating data: ${message}`);
  });

  it("kubectl 1.27 accepts the valid deployment client-side", async () => {
    const r = await kubectl(KUBECTL_127, clientSide, "create", "--dry-run=client", "-o", "name", "-f", join(dir, "ok.yaml"));
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("deployment.apps/web");
  });
});
