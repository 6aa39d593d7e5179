import { createPrivateKey, X509Certificate } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensurePki, pkiPaths } from "./ensure.js";
import { createCa } from "./issue.js";

let dir: string;
beforeEach(async () => {
  dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "pki-")), "pki");
});
afterEach(async () => {
  await fs.rm(path.dirname(dir), { recursive: true, force: true });
});

async function readAll(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await fs.readdir(dir)) out[name] = await fs.readFile(path.join(dir, name), "utf8");
  return out;
}

const sans = (c: string) => new X509Certificate(c).subjectAltName?.split(", ").sort();

describe("ensurePki", () => {
  it("creates CA, serving and admin pairs with the right modes and subjects", async () => {
    const logs: string[] = [];
    const t0 = performance.now();
    const pki = await ensurePki({ dir, sans: ["203.0.113.7", "api.example.test"], hostname: "node-a", log: (m) => logs.push(m) });
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(2000); // ECDSA keys: milliseconds, not the seconds RSA would take

    expect((await fs.readdir(dir)).sort()).toEqual([
      "admin.crt",
      "admin.key",
      "apiserver-kubelet-client.crt",
      "apiserver-kubelet-client.key",
      "apiserver.crt",
      "apiserver.key",
      "ca.crt",
      "ca.key",
      "sa.key",
      "sa.pub",
    ]);
    for (const [name, pair] of Object.entries(pkiPaths(dir))) {
      expect((await fs.stat(pair.key)).mode & 0o777, `${name}.key`).toBe(0o600);
      expect((await fs.stat(pair.cert)).mode & 0o777, `${name}.crt`).toBe(0o644);
    }
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    expect(logs).toHaveLength(5); // four certificates and the service account signing key

    const ca = new X509Certificate(pki.ca.cert);
    expect(ca.subject).toBe("CN=minicluster-ca");
    expect(ca.ca).toBe(true);
    const years = (Date.parse(ca.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);

    const serving = new X509Certificate(pki.serving.cert);
    expect(serving.subject).toBe("CN=kube-apiserver");
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkPrivateKey(createPrivateKey(pki.serving.key))).toBe(true);
    expect(sans(pki.serving.cert)).toEqual(
      [
        "DNS:api.example.test",
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:localhost",
        "DNS:node-a",
        "IP Address:10.96.0.1",
        "IP Address:127.0.0.1",
        "IP Address:203.0.113.7",
      ].sort(),
    );
    expect(serving.checkHost("kubernetes.default.svc")).toBe("kubernetes.default.svc");
    expect(serving.checkIP("10.96.0.1")).toBe("10.96.0.1");

    const admin = new X509Certificate(pki.admin.cert);
    expect(admin.subject.split("\n").sort()).toEqual(["CN=kubernetes-admin", "O=system:masters"]);
    expect(admin.verify(ca.publicKey)).toBe(true);
    const kubeletClient = new X509Certificate(pki.kubeletClient.cert);
    expect(kubeletClient.subject.split("\n").sort()).toEqual(["CN=kube-apiserver-kubelet-client", "O=system:masters"]);
    expect(kubeletClient.verify(ca.publicKey)).toBe(true);
    // Serial numbers must be positive for Go: the DER INTEGER's first byte has its top bit clear.
    for (const c of [ca, serving, admin]) expect(parseInt(c.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
  });

  it("reuses everything on a second start with the same SANs", async () => {
    await ensurePki({ dir, sans: ["10.0.0.5"], hostname: "h" });
    const before = await readAll();
    const logs: string[] = [];
    const again = await ensurePki({ dir, sans: ["10.0.0.5"], hostname: "h", log: (m) => logs.push(m) });
    expect(logs).toEqual([]);
    expect(await readAll()).toEqual(before);
    expect(again.ca.cert).toBe(before["ca.crt"]);
  });

  it("re-issues only the serving certificate when the SANs change, keeping the CA", async () => {
    await ensurePki({ dir, sans: [], hostname: "h" });
    const before = await readAll();
    const logs: string[] = [];
    const pki = await ensurePki({ dir, sans: ["extra.example.test"], hostname: "h", log: (m) => logs.push(m) });
    const after = await readAll();
    expect(logs).toEqual(["issuing API server serving certificate (subject alternative names changed)"]);
    expect(after["ca.crt"]).toBe(before["ca.crt"]);
    expect(after["ca.key"]).toBe(before["ca.key"]);
    expect(after["admin.crt"]).toBe(before["admin.crt"]);
    expect(after["apiserver.crt"]).not.toBe(before["apiserver.crt"]);
    expect(sans(pki.serving.cert)).toContain("DNS:extra.example.test");
  });

  it("recovers from a half-written previous run", async () => {
    await ensurePki({ dir, sans: [], hostname: "h" });
    const before = await readAll();
    const p = pkiPaths(dir);
    // A crash after writing a new admin key but before its certificate; a truncated serving cert.
    await fs.writeFile(p.admin.key, (await createCa()).key);
    await fs.writeFile(p.serving.cert, before["apiserver.crt"].slice(0, 100));
    const logs: string[] = [];
    const pki = await ensurePki({ dir, sans: [], hostname: "h", log: (m) => logs.push(m) });
    expect(logs).toEqual([
      "issuing API server serving certificate (certificate unreadable)",
      "issuing admin client certificate (key does not match certificate)",
    ]);
    expect(pki.ca.cert).toBe(before["ca.crt"]);
    expect(new X509Certificate(pki.admin.cert).checkPrivateKey(createPrivateKey(pki.admin.key))).toBe(true);
  });

  it("re-issues every leaf when the CA has to be re-created", async () => {
    await ensurePki({ dir, sans: [], hostname: "h" });
    const before = await readAll();
    await fs.rm(pkiPaths(dir).ca.key);
    const logs: string[] = [];
    await ensurePki({ dir, sans: [], hostname: "h", log: (m) => logs.push(m) });
    expect(logs).toEqual([
      "generating cluster CA (missing)",
      "issuing API server serving certificate (not issued by the current CA)",
      "issuing admin client certificate (not issued by the current CA)",
      "issuing API server kubelet client certificate (not issued by the current CA)",
    ]);
    const after = await readAll();
    for (const f of ["ca.crt", "apiserver.crt", "admin.crt"]) expect(after[f]).not.toBe(before[f]);
  });

  it("renews leaves that are about to expire", async () => {
    await ensurePki({ dir, sans: [], hostname: "h" });
    const logs: string[] = [];
    await ensurePki({ dir, sans: [], hostname: "h", now: new Date(Date.now() + 340 * 24 * 3600 * 1000), log: (m) => logs.push(m) });
    expect(logs).toEqual([
      "issuing API server serving certificate (expires soon)",
      "issuing admin client certificate (expires soon)",
      "issuing API server kubelet client certificate (expires soon)",
    ]);
  });

  it("issues further client certificates from the same CA", async () => {
    const pki = await ensurePki({ dir, sans: [], hostname: "h" });
    const node = await pki.issueClientCert({ commonName: "system:node:worker-1", organizations: ["system:nodes"], validityDays: 30 });
    const cert = new X509Certificate(node.cert);
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
    expect(cert.subject.split("\n").sort()).toEqual(["CN=system:node:worker-1", "O=system:nodes"]);
    const days = (Date.parse(cert.validTo) - Date.now()) / (24 * 3600 * 1000);
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    await expect(pki.issueClientCert({ commonName: "" })).rejects.toThrow(/common name/);
  });
});
