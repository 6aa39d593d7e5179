// HTTP handlers for resource requests: decode and check the request, call the Registry, and
// encode the answer in the representation the client asked for (object, Table, metadata).

import type { IncomingMessage, ServerResponse } from "node:http";
import { StatusError, badRequest, methodNotAllowed, notFound } from "../../api/errors.js";
import { apiVersionOf, subresourceVerbs } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { bodyFormat, negotiateResource, type Representation } from "./negotiate.js";
import { readBody, sendJson, sendRaw, successStatus } from "./http.js";
import { decodeKubeProtobuf, isKubeProtobuf } from "../../api/protobuf/index.js";
import type { RequestInfo } from "./request-info.js";
import type { Caller, DeleteOptions, Registry } from "./rest.js";
import type { ApiKnowledge } from "./knowledge.js";
import { kvJson, objectKey } from "./storage.js";
import { serveWatch } from "./watch.js";
import { listFilter, type Filter } from "./filters.js";
import { toTable, toPartialList, toPartial } from "./table.js";
import { decodeObject, applyFieldValidation, type FieldValidation } from "./decode-object.js";
import { applyPatchRequest } from "./patch-request.js";
import { getScale, scaleUpdate, bindPod } from "./subresources.js";
import { STREAMING_SUBRESOURCES, servePodLog } from "./pod-streaming.js";
import type { ServiceAccountTokens } from "../serviceaccount/tokens.js";
import { answerReview, isReview } from "./reviews.js";

export interface HandlerDeps {
  registry: Registry;
  knowledge: ApiKnowledge;
  /** Client certificate presented to kubelets for pods/log, exec, attach, portforward. */
  kubeletClient?: { cert: string; key: string };
  /** Issues ServiceAccount tokens (serviceaccounts/token); absent: the subresource answers 404. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** A watch whose unsent output grows past this is closed (default 64 MiB; see watch.ts). */
  watchBufferLimitBytes?: number;
}

function parseFieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get("fieldValidation");
  if (v === null || v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}. Supported values are: Ignore, Warn, Strict`);
}

function parseDryRun(q: URLSearchParams): boolean {
  const values = q.getAll("dryRun");
  if (values.length === 0) return false;
  for (const v of values) {
    if (v !== "All") throw badRequest(`Invalid dryRun value: ${v}. Allowed values: All`);
  }
  return true;
}

function parseIntParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`${name}: invalid value ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function setWarnings(res: ServerResponse, warnings: string[]): void {
  if (warnings.length) res.setHeader("Warning", warnings.map((w) => `299 - ${JSON.stringify(w)}`));
}

/** Resolves the resource of a request, or throws the 404/405 Kubernetes answers with. */
export function resolveResource(deps: HandlerDeps, info: RequestInfo): ResourceDef {
  const r = deps.knowledge.resource(info.group, info.version, info.resource);
  if (!r) throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
  if (!r.namespaced && info.namespace) throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
  if (info.subresource) {
    if (!r.subresources.includes(info.subresource)) throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
    if (!subresourceVerbs(info.subresource).includes(info.verb)) throw methodNotAllowed();
  } else {
    if (r.namespaced && !info.namespace && !["list", "watch"].includes(info.verb)) {
      throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
    }
    if (!r.verbs.includes(info.verb)) throw methodNotAllowed();
  }
  return r;
}

export async function handleResource(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  query: URLSearchParams,
  caller: Caller,
): Promise<void> {
  const r = resolveResource(deps, info);
  const { registry } = deps;
  const ns = info.namespace;
  switch (info.verb) {
    case "get": {
      const rep = negotiateResource(req.headers.accept, true);
      const rv = query.get("resourceVersion");
      if (info.subresource === "scale") return sendJson(res, 200, getScale(r, await registry.get(r, ns, info.name)));
      if (info.subresource === "log") return servePodLog(deps, req, res, ns, info.name, query);
      if (STREAMING_SUBRESOURCES.has(info.subresource)) throw badRequest("Upgrade request required");
      if (rep.as === "object" && !rv) {
        // Fast path: splice the stored JSON.
        const got = await registry.backend.get(objectKey(r, ns, info.name));
        if (!got.kv) throw notFound({ group: r.group, resource: r.plural }, info.name);
        return sendRaw(res, 200, kvJson(got.kv), "application/json");
      }
      const obj = await registry.get(r, ns, info.name, rv && rv !== "0" ? Number(rv) || undefined : undefined);
      return sendRepresentation(res, 200, r, obj, rep, query);
    }
    case "list": {
      const rep = negotiateResource(req.headers.accept, true);
      return handleList(deps, res, r, ns, query, rep);
    }
    case "watch": {
      const rep = negotiateResource(req.headers.accept, true);
      const filter = listFilter(r, query);
      return serveWatch(req, res, registry, r, ns, filter, query, rep, deps.watchBufferLimitBytes);
    }
    case "create": {
      if (STREAMING_SUBRESOURCES.has(info.subresource)) throw badRequest("Upgrade request required");
      const dryRun = parseDryRun(query);
      const fv = parseFieldValidation(query);
      const body = await readBody(req);
      if (info.subresource === "binding") {
        const binding = decodeObject(body, req.headers["content-type"], r, "binding");
        await bindPod(registry, r, ns, info.name, binding.obj, caller, { dryRun });
        return sendJson(res, 201, { ...successStatus(), code: 201 });
      }
      if (info.subresource === "token") {
        if (!deps.serviceAccountTokens) throw notFound({ group: r.group, resource: `${r.plural}/token` }, info.name);
        const decoded = decodeObject(body, req.headers["content-type"], r, "token");
        applyFieldValidation(decoded, fv);
        return sendJson(res, 201, await deps.serviceAccountTokens.createToken(ns, info.name, decoded.obj));
      }
      if (isReview(r)) {
        // Answered, not stored: dryRun changes nothing.
        const decoded = decodeObject(body, req.headers["content-type"], r);
        const warnings = applyFieldValidation(decoded, fv);
        const answer = await answerReview(deps, r, ns, decoded.obj, caller);
        setWarnings(res, warnings);
        return sendJson(res, 201, answer);
      }
      const decoded = decodeObject(body, req.headers["content-type"], r);
      const warnings = applyFieldValidation(decoded, fv);
      const created = await registry.create(r, ns, decoded.obj, caller, { dryRun, fieldManager: fieldManager(query), warnings });
      setWarnings(res, warnings);
      return sendJson(res, 201, created);
    }
    case "update": {
      const dryRun = parseDryRun(query);
      const fv = parseFieldValidation(query);
      const body = await readBody(req);
      if (info.subresource === "scale") {
        const decoded = decodeObject(body, req.headers["content-type"], r, "scale");
        const updated = await scaleUpdate(registry, r, ns, info.name, () => decoded.obj, caller, { dryRun, fieldManager: fieldManager(query) });
        return sendJson(res, 200, getScale(r, updated));
      }
      const decoded = decodeObject(body, req.headers["content-type"], r);
      const warnings = applyFieldValidation(decoded, fv);
      const updated = await registry.update(r, ns, info.name, () => decoded.obj, caller, {
        dryRun,
        fieldManager: fieldManager(query),
        subresource: info.subresource,
        warnings,
      });
      setWarnings(res, warnings);
      return sendJson(res, 200, updated);
    }
    case "patch": {
      const dryRun = parseDryRun(query);
      const fv = parseFieldValidation(query);
      const format = bodyFormat(req.headers["content-type"], true);
      const body = await readBody(req);
      const force = query.get("force") === "true";
      const manager = fieldManager(query);
      if (format === "apply-patch" && !manager) throw badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
      if (format !== "apply-patch" && query.has("force")) throw badRequest("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
      const warnings: string[] = [];
      const { object, created } = await applyPatchRequest(deps, r, ns, info.name, info.subresource, format, body, caller, {
        dryRun,
        fieldManager: manager,
        force,
        fieldValidation: fv,
        warnings,
      });
      setWarnings(res, warnings);
      if (info.subresource === "scale") return sendJson(res, 200, getScale(r, object));
      return sendJson(res, created ? 201 : 200, object);
    }
    case "delete": {
      const opts = await deleteOptions(req, query);
      const result = await registry.delete(r, ns, info.name, caller, opts);
      if (!result.deleted) return sendJson(res, opts.propagationPolicy === "Foreground" ? 202 : 200, result.object);
      if (r.kind === "Pod" || r.kind === "Namespace") return sendJson(res, 200, result.object);
      return sendJson(res, 200, successStatus({ name: info.name, group: r.group, kind: r.plural, uid: result.object.metadata?.uid }));
    }
    case "deletecollection": {
      const opts = await deleteOptions(req, query);
      const filter = listFilter(r, query);
      const page = await registry.list(r, { namespace: ns, filter: filter.matches });
      for (const item of page.items) {
        try {
          await registry.delete(r, item.metadata!.namespace ?? "", item.metadata!.name!, caller, { ...opts, preconditions: undefined });
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
      return sendJson(res, 200, { kind: listKind(r), apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(page.revision) }, items: page.items });
    }
    default:
      throw methodNotAllowed();
  }
}

function listKind(r: ResourceDef): string {
  return r.listKind;
}

function fieldManager(q: URLSearchParams): string | undefined {
  const m = q.get("fieldManager");
  if (m === null || m === "") return undefined;
  if (m.length > 128) throw badRequest(`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes`);
  return m;
}

async function handleList(deps: HandlerDeps, res: ServerResponse, r: ResourceDef, ns: string, query: URLSearchParams, rep: Representation): Promise<void> {
  const filter: Filter = listFilter(r, query);
  const limit = parseIntParam(query, "limit");
  const rv = query.get("resourceVersion") ?? "";
  const match = query.get("resourceVersionMatch") ?? "";
  const cont = query.get("continue") ?? "";
  if (match && !["Exact", "NotOlderThan"].includes(match)) {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match && !rv) throw badRequest(`resourceVersionMatch is forbidden unless resourceVersion is provided`);
  if (cont && rv && rv !== "0") throw badRequest("specifying resource version is not allowed when using continue");
  if (rv && !/^\d+$/.test(rv)) throw badRequest(`Invalid value: ${JSON.stringify(rv)}: resourceVersion must be an integer`);
  let revision: number | undefined;
  if (match === "Exact") {
    if (rv === "0") throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    revision = Number(rv);
  } else if (rv && rv !== "0") {
    const current = deps.registry.backend.currentRevision();
    if (Number(rv) > current) {
      throw new StatusError(504, "Timeout", `Too large resource version: ${rv}, current: ${current}`, {
        causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      });
    }
  }
  const page = await deps.registry.list(r, {
    namespace: ns,
    revision,
    limit: limit && limit > 0 ? limit : undefined,
    continueToken: cont || undefined,
    filter: filter.empty ? undefined : filter.matches,
  });
  const metadata: Record<string, unknown> = { resourceVersion: String(page.revision) };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  if (rep.as === "Table") return sendJson(res, 200, toTable(r, page.items, metadata, rep.version, query.get("includeObject")));
  if (rep.as === "PartialObjectMetadata") return sendJson(res, 200, toPartialList(page.items, metadata, rep.version));
  return sendJson(res, 200, { kind: listKind(r), apiVersion: apiVersionOf(r), metadata, items: page.items });
}

function sendRepresentation(res: ServerResponse, code: number, r: ResourceDef, obj: KubeObject, rep: Representation, query: URLSearchParams): void {
  if (rep.as === "Table") return sendJson(res, code, toTable(r, [obj], { resourceVersion: obj.metadata?.resourceVersion }, rep.version, query.get("includeObject")));
  if (rep.as === "PartialObjectMetadata") return sendJson(res, code, toPartial(obj, rep.version));
  return sendJson(res, code, obj);
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const body = await readBody(req);
  let opts: Record<string, unknown> = {};
  if (body.length) {
    try {
      opts = (
        isKubeProtobuf(req.headers["content-type"])
          ? decodeKubeProtobuf(body, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
          : JSON.parse(body.toString("utf8"))
      ) as Record<string, unknown>;
    } catch (err) {
      throw badRequest(`error decoding DeleteOptions: ${(err as Error).message}`);
    }
    if (typeof opts !== "object" || opts === null || Array.isArray(opts)) throw badRequest("error decoding DeleteOptions: not an object");
  }
  const out: DeleteOptions = {};
  const grace = parseIntParam(query, "gracePeriodSeconds") ?? (opts.gracePeriodSeconds as number | undefined);
  if (grace !== undefined) {
    if (typeof grace !== "number" || !Number.isInteger(grace)) throw badRequest("gracePeriodSeconds must be an integer");
    out.gracePeriodSeconds = grace < 0 ? 0 : grace;
  }
  const policy = query.get("propagationPolicy") ?? (opts.propagationPolicy as string | undefined);
  const orphan = query.get("orphanDependents") ?? (opts.orphanDependents as boolean | string | undefined);
  if (policy !== undefined && policy !== null) {
    if (!["Orphan", "Background", "Foreground"].includes(policy)) {
      throw new StatusError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    out.propagationPolicy = policy as DeleteOptions["propagationPolicy"];
  } else if (orphan !== undefined && orphan !== null) {
    out.propagationPolicy = orphan === true || orphan === "true" ? "Orphan" : "Background";
  }
  const pre = opts.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  if (pre) out.preconditions = pre;
  const dry = query.getAll("dryRun");
  const bodyDry = opts.dryRun as string[] | undefined;
  if (dry.length || bodyDry?.length) {
    for (const v of [...dry, ...(bodyDry ?? [])]) if (v !== "All") throw badRequest(`Invalid dryRun value: ${v}. Allowed values: All`);
    out.dryRun = true;
  }
  return out;
}


