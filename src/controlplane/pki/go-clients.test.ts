// End-to-end check of the PKI with strict real clients: kubectl (Go's crypto/tls) and OpenSSL
// must accept the chain, and the server must tell our admin apart from a foreign-CA client.
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildKubeconfig, writeKubeconfig } from "../../cluster/kubeconfig/index.js";
import { userFromPeerCertificate } from "./authn.js";
import { ensurePki, type Pki } from "./ensure.js";
import { createCa, issueClientCert, loadSigningCa, type CertAndKey } from "./issue.js";

const run = promisify(execFile);
const KUBECTLS = ["/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"].filter((k) => existsSync(k));
const OPENSSL = "/usr/bin/openssl";

let tmp: string;
let pki: Pki;
let server: https.Server;
let port: number;
let foreign: CertAndKey;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "pki-go-"));
  pki = await ensurePki({ dir: path.join(tmp, "pki"), sans: [], hostname: "test-host" });
  foreign = await issueClientCert(await loadSigningCa(await createCa()), { commonName: "kubernetes-admin", organizations: ["system:masters"] });
  // Like kube-apiserver: ask for a client certificate, let the handshake finish without one, and
  // decide in the handler (anonymous or token auth would take over when there is none).
  server = https.createServer(
    { cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const user = userFromPeerCertificate(socket.getPeerCertificate(), socket.authorized);
      res.setHeader("content-type", "application/json");
      if (!user) {
        res.statusCode = 401;
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }));
        return;
      }
      res.end(JSON.stringify({ user }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function kubeconfigFile(name: string, host: string, client: CertAndKey, ca = pki.ca.cert): Promise<string> {
  const file = path.join(tmp, `${name}.kubeconfig`);
  await writeKubeconfig(file, buildKubeconfig({ name, server: `https://${host}:${port}`, caCert: ca, clientCert: client.cert, clientKey: client.key }));
  return file;
}

async function kubectl(bin: string, file: string): Promise<{ ok: boolean; out: string }> {
  try {
    // HOME points into the temp dir so kubectl's discovery cache never touches the real one.
    const { stdout } = await run(bin, ["--kubeconfig", file, "get", "--raw", "/"], { env: { ...process.env, HOME: tmp }, timeout: 15_000 });
    return { ok: true, out: stdout };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

describe.skipIf(KUBECTLS.length === 0)("kubectl (Go TLS) against the serving and admin certificates", () => {
  it.each(KUBECTLS.flatMap((bin) => ["127.0.0.1", "localhost"].map((host) => [bin, host])))("%s via %s", async (bin, host) => {
    const file = await kubeconfigFile(`admin-${host}`, host, pki.admin);
    const res = await kubectl(bin, file);
    expect(res.out).toContain("kubernetes-admin");
    expect(res.ok).toBe(true);
    expect(JSON.parse(res.out)).toEqual({ user: { name: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] } });
  });

  it("is refused by the server when the client certificate comes from another CA", async () => {
    const res = await kubectl(KUBECTLS[0], await kubeconfigFile("foreign", "127.0.0.1", foreign));
    expect(res.ok).toBe(false);
    expect(res.out).toMatch(/Unauthorized/);
  });

  it("refuses the server when the kubeconfig trusts another CA", async () => {
    const otherCa = (await createCa()).cert;
    const res = await kubectl(KUBECTLS[0], await kubeconfigFile("wrong-ca", "127.0.0.1", pki.admin, otherCa));
    expect(res.ok).toBe(false);
    expect(res.out).toMatch(/x509|certificate/);
  });
});

function nodeGet(client: CertAndKey): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: "/", ca: pki.ca.cert, cert: client.cert, key: client.key, servername: "localhost" },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
  });
}

describe("Node https clients", () => {
  it("authenticates the admin certificate", async () => {
    const res = await nodeGet(pki.admin);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).user.name).toBe("kubernetes-admin");
  });

  it("rejects a certificate from a different CA", async () => {
    expect((await nodeGet(foreign)).status).toBe(401);
  });
});

describe.skipIf(!existsSync(OPENSSL))("openssl verify", () => {
  it("accepts the serving and admin certificates against the CA and rejects a foreign one", async () => {
    const dir = path.join(tmp, "pki");
    const { stdout } = await run(OPENSSL, ["verify", "-CAfile", path.join(dir, "ca.crt"), path.join(dir, "apiserver.crt"), path.join(dir, "admin.crt")]);
    expect(stdout).toMatch(/apiserver\.crt: OK/);
    expect(stdout).toMatch(/admin\.crt: OK/);
    const purpose = await run(OPENSSL, ["verify", "-purpose", "sslserver", "-CAfile", path.join(dir, "ca.crt"), path.join(dir, "apiserver.crt")]);
    expect(purpose.stdout).toMatch(/OK/);
    const foreignFile = path.join(tmp, "foreign.crt");
    await fs.writeFile(foreignFile, foreign.cert);
    await expect(run(OPENSSL, ["verify", "-CAfile", path.join(dir, "ca.crt"), foreignFile])).rejects.toThrow();
  });
});
