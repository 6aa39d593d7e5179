import { generateKeyPairSync, createPublicKey } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureServiceAccountKey, signingKeyProblem } from "./sa-key.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sa-key-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("ensureServiceAccountKey", () => {
  it("creates sa.key (0600) and sa.pub on first start and keeps them afterwards", async () => {
    const first = await ensureServiceAccountKey(dir);
    expect(fs.statSync(path.join(dir, "sa.key")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, "sa.pub"), "utf8")).toBe(first.pub);
    expect(createPublicKey(first.key).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const again = await ensureServiceAccountKey(dir);
    expect(again).toEqual(first);
  });

  it("keeps a key made by other tools (RSA) and re-derives a wrong sa.pub", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    fs.writeFileSync(path.join(dir, "sa.key"), rsa);
    fs.writeFileSync(path.join(dir, "sa.pub"), "stale");
    const got = await ensureServiceAccountKey(dir);
    expect(got.key).toBe(rsa);
    expect(got.pub).toBe(createPublicKey(rsa).export({ type: "spki", format: "pem" }).toString());
    expect(fs.readFileSync(path.join(dir, "sa.pub"), "utf8")).toBe(got.pub);
  });

  it("replaces an unusable key", async () => {
    fs.writeFileSync(path.join(dir, "sa.key"), "garbage");
    const got = await ensureServiceAccountKey(dir);
    expect(signingKeyProblem(got.key)).toBeUndefined();
    expect(signingKeyProblem("garbage")).toBe("unreadable");
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(signingKeyProblem(ed)).toMatch(/unsupported/);
  });
});
