import { describe, expect, it } from "vitest";
import type { Pod } from "kubernetes-types/core/v1.js";
import { requiresRefresh, ServiceAccountTokenManager, tokenRequestBody } from "./sa-token.js";

const pod: Pod = { metadata: { name: "p", namespace: "ns", uid: "u-1" }, spec: { serviceAccountName: "robot", containers: [] } };

describe("requiresRefresh", () => {
  const t = { issuedMs: 0, expiresMs: 1000_000 };
  it.each([
    [0, false],
    [799_999, false],
    [800_000, true],
    [1000_000, true],
  ])("at %i ms: %s", (now, want) => expect(requiresRefresh(t, now)).toBe(want));
  it("renews tokens older than a day even if they last longer", () => {
    expect(requiresRefresh({ issuedMs: 0, expiresMs: 10 * 86400_000 }, 86400_000 + 1)).toBe(true);
  });
});

describe("tokenRequestBody", () => {
  it("binds the token to the pod and passes audience and lifetime", () => {
    expect(tokenRequestBody(pod, { audience: "vault", expirationSeconds: 600 })).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: ["vault"], expirationSeconds: 600, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p", uid: "u-1" } },
    });
    expect((tokenRequestBody(pod, { expirationSeconds: 3607 }) as { spec: object }).spec).not.toHaveProperty("audiences");
  });
});

describe("ServiceAccountTokenManager", () => {
  function fake() {
    const calls: Array<{ method: string; path: string; body: unknown }> = [];
    let n = 0;
    let fail = false;
    const client = {
      request: async <T>(method: string, path: string, opts: { body?: string } = {}): Promise<T> => {
        calls.push({ method, path, body: JSON.parse(opts.body ?? "null") });
        if (fail) throw new Error("down");
        n++;
        return { status: { token: `tok-${n}`, expirationTimestamp: new Date(now + 1000_000).toISOString() } } as T;
      },
    };
    let now = 0;
    const mgr = new ServiceAccountTokenManager(client, () => now);
    return { calls, mgr, setNow: (t: number) => (now = t), setFail: (f: boolean) => (fail = f) };
  }

  it("requests from the pod's ServiceAccount, reuses the token until 80% of its lifetime", async () => {
    const f = fake();
    expect(await f.mgr.token(pod, { expirationSeconds: 1000 })).toBe("tok-1");
    expect(f.calls[0]!.method).toBe("POST");
    expect(f.calls[0]!.path).toBe("/api/v1/namespaces/ns/serviceaccounts/robot/token");
    f.setNow(700_000);
    expect(await f.mgr.token(pod, { expirationSeconds: 1000 })).toBe("tok-1");
    f.setNow(850_000);
    expect(await f.mgr.token(pod, { expirationSeconds: 1000 })).toBe("tok-2");
    expect(f.calls).toHaveLength(2);
  });

  it("keeps a still-valid token when renewal fails, and forgets a pod's tokens", async () => {
    const f = fake();
    await f.mgr.token(pod, { expirationSeconds: 1000 });
    f.setNow(900_000);
    f.setFail(true);
    expect(await f.mgr.token(pod, { expirationSeconds: 1000 })).toBe("tok-1");
    f.setNow(1000_001);
    await expect(f.mgr.token(pod, { expirationSeconds: 1000 })).rejects.toThrow("down");
    f.setFail(false);
    f.setNow(0);
    f.mgr.forget("u-1");
    expect(await f.mgr.token(pod, { expirationSeconds: 1000 })).toBe("tok-2");
  });
});
