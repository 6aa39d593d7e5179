// ServiceAccounts with the real kubectl: the default ServiceAccount in every namespace, TokenRequest
// (`kubectl create token`), and bearer-token authentication with a kubeconfig that carries only
// the CA — accepted while valid, 401 when forged, expired or bound to a pod that is gone.

import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenSigner, buildClaims, DEFAULT_API_AUDIENCES, DEFAULT_ISSUER } from "../../src/controlplane/serviceaccount/token.js";
import { caOnlyKubeconfig, jwtClaims, runKubectl, startTestCluster, type TestCluster } from "../test-utils/control-plane.js";
import { waitFor } from "../test-utils/wait.js";

let tc: TestCluster;
let caOnly: string;

/** kubectl with only the CA in its kubeconfig and the token on the command line. */
const withToken = (token: string, ...args: string[]) => runKubectl(caOnly, ["--token", token, ...args]);

beforeAll(async () => {
  tc = await startTestCluster({ store: "memory" });
  caOnly = caOnlyKubeconfig(tc);
});

afterAll(async () => {
  await tc?.stop();
});

describe("default ServiceAccount", () => {
  it("exists in the system namespaces and appears in new ones, and comes back when deleted", async () => {
    await waitFor("default SA in kube-system", async () => ((await tc.kubectl(["-n", "kube-system", "get", "sa", "default"])).code === 0 ? true : undefined));
    await tc.k("create", "namespace", "sa-new");
    const out = await waitFor("default SA in sa-new", async () => {
      const r = await tc.kubectl(["-n", "sa-new", "get", "sa", "default", "-o", "jsonpath={.metadata.uid}"]);
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    });
    await tc.k("-n", "sa-new", "delete", "sa", "default");
    await waitFor("default SA re-created", async () => {
      const r = await tc.kubectl(["-n", "sa-new", "get", "sa", "default", "-o", "jsonpath={.metadata.uid}"]);
      return r.code === 0 && r.stdout && r.stdout !== out ? true : undefined;
    });
  });
});

describe("tokens", () => {
  it("kubectl create token gives a token that authenticates as the ServiceAccount", async () => {
    await waitFor("default SA in default", async () => ((await tc.kubectl(["get", "sa", "default"])).code === 0 ? true : undefined));
    const token = (await tc.k("create", "token", "default", "--duration=10m")).trim();
    const claims = jwtClaims(token);
    expect(claims.iss).toBe(DEFAULT_ISSUER);
    expect(claims.sub).toBe("system:serviceaccount:default:default");
    expect(claims.aud).toEqual([...DEFAULT_API_AUDIENCES]);
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
    const uid = (await tc.k("get", "sa", "default", "-o", "jsonpath={.metadata.uid}")).trim();
    expect(claims["kubernetes.io"]).toEqual({ namespace: "default", serviceaccount: { name: "default", uid } });

    const r = await withToken(token, "get", "pods");
    expect(r.stderr).not.toMatch(/Unauthorized/);
    expect(r.code).toBe(0);
    // Without a token (and without a client certificate) the same request is refused.
    expect((await fetchStatus(undefined)).code).toBe(401);
    expect((await fetchStatus(token)).code).toBe(200);
  });

  it("refuses a duration under 10 minutes and an unknown ServiceAccount", async () => {
    const short = await tc.kubectl(["create", "token", "default", "--duration=5m"]);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/may not specify a duration less than 10 minutes/);
    const missing = await tc.kubectl(["create", "token", "nobody"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/serviceaccounts "nobody" not found/);
  });

  it("rejects a forged token (another key) and an expired one with 401", async () => {
    const sa = JSON.parse(await tc.k("get", "sa", "default", "-o", "json")) as { metadata: { uid: string } };
    const claims = (now: Date, exp = 3600) =>
      buildClaims({ issuer: DEFAULT_ISSUER, audiences: DEFAULT_API_AUDIENCES, namespace: "default", serviceAccount: { name: "default", uid: sa.metadata.uid }, expirationSeconds: exp, now });
    const realKey = new TokenSigner(tc.cp.pki.serviceAccountKey.key);
    // Control: the same claims signed with the cluster key are accepted.
    expect((await withToken(await realKey.sign(claims(new Date())), "get", "pods")).code).toBe(0);

    const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const forged = await new TokenSigner(otherKey).sign(claims(new Date()));
    const f = await withToken(forged, "get", "pods");
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/Unauthorized/);

    // A valid signature over tampered claims is no better.
    const good = await realKey.sign(claims(new Date()));
    const [h, , s] = good.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...jwtClaims(good), sub: "system:serviceaccount:kube-system:default" })).toString("base64url")}.${s}`;
    expect((await withToken(tampered, "get", "pods")).stderr).toMatch(/Unauthorized/);

    const expired = await realKey.sign(claims(new Date(Date.now() - 2 * 3600_000), 3600));
    const e = await withToken(expired, "get", "pods");
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/Unauthorized/);
  });

  it("answers 401 with a Status object", async () => {
    const res = await fetchStatus("not-a-jwt");
    expect(res.code).toBe(401);
    expect(res.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401 });
  });

  it("a token bound to a pod stops working once the pod is deleted", async () => {
    await tc.k("run", "bound", "--image=busybox", "--restart=Never");
    const raw = await tc.k("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=bound", "--duration=10m");
    const token = raw.trim();
    const podUid = (await tc.k("get", "pod", "bound", "-o", "jsonpath={.metadata.uid}")).trim();
    expect((jwtClaims(token)["kubernetes.io"] as { pod?: unknown }).pod).toEqual({ name: "bound", uid: podUid });
    expect((await withToken(token, "get", "pods")).code).toBe(0);

    await tc.k("delete", "pod", "bound", "--grace-period=0", "--force", "--wait=false");
    await waitFor("pod gone", async () => ((await tc.kubectl(["get", "pod", "bound"])).code !== 0 ? true : undefined));
    const after = await withToken(token, "get", "pods");
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/Unauthorized/);

    // A new pod with the same name has another UID: the old token stays dead.
    await tc.k("run", "bound", "--image=busybox", "--restart=Never");
    expect((await withToken(token, "get", "pods")).stderr).toMatch(/Unauthorized/);
    // Binding to a pod with a stale UID is refused at issue time.
    const stale = await tc.kubectl(["create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=bound", `--bound-object-uid=${podUid}`]);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/does not match the UID in record/);
  });

  it("a token stops working when its ServiceAccount is deleted", async () => {
    await tc.k("create", "serviceaccount", "short-lived");
    const token = (await tc.k("create", "token", "short-lived")).trim();
    expect((await withToken(token, "get", "pods")).code).toBe(0);
    await tc.k("delete", "serviceaccount", "short-lived");
    expect((await withToken(token, "get", "pods")).stderr).toMatch(/Unauthorized/);
  });
});

async function fetchStatus(token: string | undefined): Promise<{ code: number; body: unknown }> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${tc.cp.url}/api/v1/namespaces/default/pods`,
      { ca: tc.cp.pki.ca.cert, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } },
      (res) => {
        let data = "";
        res.on("data", (c: Buffer) => (data += c.toString()));
        res.on("end", () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(data) as unknown }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
