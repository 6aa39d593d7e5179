// Bound ServiceAccount tokens for projected volumes, as the kubelet's token manager: a
// TokenRequest (POST .../serviceaccounts/SA/token) bound to the pod (kind Pod, name, uid) with the
// source's audience and expirationSeconds; the token is kept per pod/audience/lifetime and
// requested again once 80% of its lifetime has passed (or after 24 h), so the volume refresh
// rewrites the file only then.

import type { Pod } from "kubernetes-types/core/v1.js";
import type { RestClient } from "../../client/rest.js";

export interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

interface Cached {
  token: string;
  issuedMs: number;
  expiresMs: number;
}

const MAX_AGE_MS = 24 * 3600 * 1000;

/** Whether a token issued at `issuedMs` and expiring at `expiresMs` is due for renewal at `nowMs`. */
export function requiresRefresh(t: { issuedMs: number; expiresMs: number }, nowMs: number): boolean {
  if (nowMs >= t.expiresMs) return true;
  if (nowMs - t.issuedMs > MAX_AGE_MS) return true;
  return nowMs >= t.issuedMs + 0.8 * (t.expiresMs - t.issuedMs);
}

/** The TokenRequest body for a pod-bound token. */
export function tokenRequestBody(pod: Pod, req: { audience?: string; expirationSeconds: number }): object {
  return {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: {
      ...(req.audience ? { audiences: [req.audience] } : {}),
      expirationSeconds: req.expirationSeconds,
      boundObjectRef: { kind: "Pod", apiVersion: "v1", name: pod.metadata?.name ?? "", uid: pod.metadata?.uid ?? "" },
    },
  };
}

export class ServiceAccountTokenManager {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly client: Pick<RestClient, "request">,
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, req: { audience?: string; expirationSeconds: number }): Promise<string> {
    const ns = pod.metadata?.namespace ?? "default";
    const sa = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || "default";
    const uid = pod.metadata?.uid ?? "";
    const key = JSON.stringify([uid, ns, sa, req.audience ?? "", req.expirationSeconds]);
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached && !requiresRefresh(cached, now)) return cached.token;
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`;
    let res: TokenRequestStatus;
    try {
      res = await this.client.request<TokenRequestStatus>("POST", path, { body: JSON.stringify(tokenRequestBody(pod, req)) });
    } catch (err) {
      // A renewal that fails keeps the old token while it is still valid (as the kubelet does).
      if (cached && now < cached.expiresMs) return cached.token;
      throw err;
    }
    const token = res.status?.token;
    if (!token) throw new Error(`no token in the TokenRequest response for ${ns}/${sa}`);
    const exp = Date.parse(res.status?.expirationTimestamp ?? "");
    this.cache.set(key, { token, issuedMs: now, expiresMs: Number.isFinite(exp) ? exp : now + req.expirationSeconds * 1000 });
    return token;
  }

  /** Drops the tokens of a pod that is gone. */
  forget(podUid: string): void {
    for (const key of this.cache.keys()) if ((JSON.parse(key) as string[])[0] === podUid) this.cache.delete(key);
  }
}
