// The API server's side of ServiceAccount tokens: the TokenRequest subresource
// (POST serviceaccounts/NAME/token) that issues them, and bearer-token authentication that accepts
// them. A token is only as good as what it names: the ServiceAccount (and the pod or secret it is
// bound to) must still exist with the UID in the token, as kube-apiserver's validator checks.
//
// Mounting tokens into pods (the projected serviceAccountToken volume source) is the kubelet's
// part (src/kubelet/volumes/sa-token.ts): it POSTs a TokenRequest bound to the pod, served by `createToken` here.
import { badRequest, conflict, invalid, notFound, type FieldError } from "../../api/errors.js";
import { RESOURCES } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import type { Registry } from "../apiserver/rest.js";
import {
  DEFAULT_API_AUDIENCES,
  DEFAULT_EXPIRATION_SECONDS,
  MAX_EXPIRATION_SECONDS,
  MIN_EXPIRATION_SECONDS,
  TokenRejected,
  buildClaims,
  matchedAudiences,
  userInfoOf,
  type ObjectRef,
  type TokenSigner,
} from "./token.js";

export interface TokenUser {
  name: string;
  groups: string[];
  /** The ServiceAccount's UID. */
  uid?: string;
  /** Bound pod and node, credential id (authentication.kubernetes.io/… keys). */
  extra?: Record<string, string[]>;
}

/** What a TokenReview reports: the user and the token's audiences among those asked for. */
export interface TokenAuthentication {
  user: TokenUser;
  audiences: string[];
}

/** A bound object being deleted stays valid this long, so a terminating pod keeps its access (as kube-apiserver). */
const DELETION_GRACE_MS = 60_000;
const TOKEN_GROUP = "authentication.k8s.io";

const def = (kind: string): ResourceDef => RESOURCES.find((r) => r.group === "" && r.kind === kind)!;

interface TokenRequestSpec {
  audiences?: unknown;
  expirationSeconds?: unknown;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
}

export class ServiceAccountTokens {
  constructor(
    private readonly registry: Registry,
    readonly signer: TokenSigner,
    readonly apiAudiences: readonly string[] = DEFAULT_API_AUDIENCES,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The user a bearer token speaks for; throws TokenRejected when it is not a valid, live token. */
  async authenticate(token: string): Promise<TokenUser> {
    return (await this.authenticateFor(token, this.apiAudiences)).user;
  }

  /**
   * As `authenticate`, for a token meant for one of `audiences` (a TokenReview's spec.audiences, or
   * the API server's own): the user with UID and extra, and the audiences the token and the request share.
   */
  async authenticateFor(token: string, audiences: readonly string[]): Promise<TokenAuthentication> {
    const claims = await this.signer.verify(token, { audiences, now: this.clock() });
    const k8s = claims["kubernetes.io"];
    const ns = k8s.namespace;
    await this.checkLive("ServiceAccount", ns, k8s.serviceaccount);
    if (k8s.secret) await this.checkLive("Secret", ns, k8s.secret);
    if (k8s.pod) await this.checkLive("Pod", ns, k8s.pod);
    const info = userInfoOf(claims);
    return { user: { name: info.username, groups: info.groups, uid: info.uid, extra: info.extra }, audiences: matchedAudiences(claims, audiences) };
  }

  /** The object a token names must exist with its UID and not have been deleted over a minute ago; messages as kube-apiserver's validator. */
  private async checkLive(kind: "ServiceAccount" | "Secret" | "Pod", ns: string, ref: ObjectRef): Promise<void> {
    const obj = await this.registry.tryGet(def(kind), ns, ref.name);
    const deleting = obj?.metadata?.deletionTimestamp;
    const deleted = deleting !== undefined && Date.parse(deleting) < this.clock().getTime() - DELETION_GRACE_MS;
    if (kind === "ServiceAccount") {
      if (!obj) throw new TokenRejected(`serviceaccounts "${ref.name}" not found`);
      if (obj.metadata?.uid !== ref.uid) throw new TokenRejected(`service account UID (${obj.metadata?.uid}) does not match claim (${ref.uid})`);
      if (deleted) throw new TokenRejected(`service account ${ns}/${ref.name} has been deleted`);
      return;
    }
    if (!obj) throw new TokenRejected("service account token has been invalidated");
    if (obj.metadata?.uid !== ref.uid) throw new TokenRejected(`${kind.toLowerCase()} UID (${obj.metadata?.uid}) does not match service account ${kind.toLowerCase()} ref claim (${ref.uid})`);
    if (deleted) throw new TokenRejected("service account token has been invalidated");
  }

  /** Serves POST .../serviceaccounts/NAME/token: a TokenRequest with status.token filled in. */
  async createToken(ns: string, name: string, request: KubeObject): Promise<KubeObject> {
    const spec = ((request.spec as TokenRequestSpec | undefined) ?? {}) as TokenRequestSpec;
    const reqNs = request.metadata?.namespace;
    if (reqNs && reqNs !== ns) throw badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
    const errs: FieldError[] = [];
    const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (typeof exp !== "number" || !Number.isInteger(exp)) {
      errs.push({ type: "FieldValueInvalid", field: "spec.expirationSeconds", detail: `Invalid value: ${JSON.stringify(exp)}: must be an integer` });
    } else if (exp < MIN_EXPIRATION_SECONDS) {
      errs.push({ type: "FieldValueInvalid", field: "spec.expirationSeconds", detail: `Invalid value: ${exp}: may not specify a duration less than 10 minutes` });
    } else if (exp > MAX_EXPIRATION_SECONDS) {
      errs.push({ type: "FieldValueInvalid", field: "spec.expirationSeconds", detail: `Invalid value: ${exp}: may not specify a duration larger than 2^32 seconds` });
    }
    const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [...this.apiAudiences];
    if (!audiences.every((a) => typeof a === "string")) errs.push({ type: "FieldValueInvalid", field: "spec.audiences", detail: "Invalid value: audiences must be strings" });
    if (errs.length) throw invalid("TokenRequest", TOKEN_GROUP, name, errs);

    const sa = await this.registry.get(def("ServiceAccount"), ns, name);
    const saRef = { name, uid: sa.metadata!.uid! };
    const bound = spec.boundObjectRef ? await this.boundObject(ns, name, spec.boundObjectRef) : {};
    const now = this.clock();
    const claims = buildClaims({
      issuer: this.signer.issuer,
      audiences: audiences as string[],
      namespace: ns,
      serviceAccount: saRef,
      ...bound,
      expirationSeconds: exp as number,
      now,
    });
    const token = await this.signer.sign(claims);
    const outSpec: Record<string, unknown> = { audiences, expirationSeconds: exp };
    if (spec.boundObjectRef) outSpec.boundObjectRef = spec.boundObjectRef;
    return {
      apiVersion: `${TOKEN_GROUP}/v1`,
      kind: "TokenRequest",
      metadata: { name, namespace: ns, creationTimestamp: iso(now) },
      spec: outSpec,
      status: { token, expirationTimestamp: iso(new Date(claims.exp * 1000)) },
    };
  }

  private async boundObject(
    ns: string,
    saName: string,
    ref: NonNullable<TokenRequestSpec["boundObjectRef"]>,
  ): Promise<{ pod?: ObjectRef; secret?: ObjectRef; node?: ObjectRef }> {
    const kind = ref.kind ?? "";
    if ((kind !== "Pod" && kind !== "Secret") || (ref.apiVersion !== undefined && ref.apiVersion !== "" && ref.apiVersion !== "v1")) {
      throw badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ""}, Kind=${kind}`);
    }
    if (!ref.name) throw invalid("TokenRequest", TOKEN_GROUP, saName, [{ type: "FieldValueRequired", field: "spec.boundObjectRef.name", detail: "Required value" }]);
    const r = def(kind);
    const obj = await this.registry.tryGet(r, ns, ref.name);
    if (!obj) throw notFound({ group: "", resource: r.plural }, ref.name);
    const uid = obj.metadata!.uid!;
    if (ref.uid && ref.uid !== uid) {
      throw conflict({ group: "", resource: r.plural }, ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (kind === "Secret") return { secret: { name: ref.name, uid } };
    const podSpec = (obj.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
    if ((podSpec.serviceAccountName || "default") !== saName) {
      throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
    }
    const out: { pod: ObjectRef; node?: ObjectRef } = { pod: { name: ref.name, uid } };
    if (podSpec.nodeName) {
      const node = await this.registry.tryGet(RESOURCES.find((x) => x.group === "" && x.kind === "Node")!, "", podSpec.nodeName);
      if (node?.metadata?.uid) out.node = { name: podSpec.nodeName, uid: node.metadata.uid };
    }
    return out;
  }
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The token of an `Authorization: Bearer …` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1] : undefined;
}
