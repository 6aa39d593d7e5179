// The generic REST semantics of Kubernetes' registry store: create, update, patch, delete with
// finalizers and grace periods, status/scale/binding subresources, generation, managedFields,
// dry runs. HTTP handlers and in-process controllers both call this; it never sees HTTP.

import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  type FieldError,
} from "../../api/errors.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import { gvkKey, type KubeObject, type ResourceDef } from "../../api/registry/types.js";
import type { Backend, WriteResult } from "../store/backend.js";
import { decodeKv, encodeObject, listObjects, objectKey, revisionError, type ListPage, type ListRequest } from "./storage.js";
import type { ApiKnowledge } from "./knowledge.js";

export interface Caller {
  user: string;
  groups: string[];
  userAgent: string;
  /** UID and extra of the authenticated user (ServiceAccount tokens carry them; certificates do not). */
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Collected warnings (sent as Warning headers). */
  warnings?: string[];
  /** managedFields were already computed (server-side apply); do not record an Update. */
  managedFieldsDone?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  /** The object as it was deleted, or as it now is while deletion waits (finalizers, grace). */
  object: KubeObject;
  /** True when the object is gone from storage. */
  deleted: boolean;
}

/** What a write hook reserved for one write: committed once the store took it, else reverted. */
export interface WriteTxn {
  commit(): void;
  revert(): void;
}

/**
 * Per-kind side effects of writes that must stay in step with the store (Service cluster IPs and
 * node ports). `begin*` run after validation, synchronously, may change the object and throw a
 * StatusError to refuse it; `deleted` runs after an object left the store.
 */
export interface WriteHooks {
  beginCreate?(obj: KubeObject): WriteTxn;
  beginUpdate?(next: KubeObject, current: KubeObject): WriteTxn;
  deleted?(obj: KubeObject): void;
}

export type PatchType = "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);
const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const MAX_CONFLICT_RETRIES = 5;

function gr(r: ResourceDef) {
  return { group: r.group, resource: r.plural };
}

function metaOf(obj: KubeObject) {
  return (obj.metadata ??= {});
}

function stripForCompare(obj: KubeObject): unknown {
  const { metadata, ...rest } = obj;
  if (!metadata) return rest;
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata;
  return { ...rest, metadata: meta };
}

function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

export class Registry {
  constructor(
    readonly backend: Backend,
    readonly knowledge: ApiKnowledge,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private readonly hooks = new Map<string, WriteHooks>();

  /** Installs the write hooks of one kind (group "" for core). */
  setWriteHooks(group: string, kind: string, hooks: WriteHooks): void {
    this.hooks.set(`${group}/${kind}`, hooks);
  }

  private hooksOf(r: ResourceDef): WriteHooks | undefined {
    return this.hooks.get(`${r.group}/${r.kind}`);
  }

  private deleted(r: ResourceDef, obj: KubeObject): void {
    this.hooksOf(r)?.deleted?.(obj);
  }

  private now(): string {
    return this.clock().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  // ---- reads

  async get(r: ResourceDef, namespace: string, name: string, revision?: number): Promise<KubeObject> {
    let res;
    try {
      res = await this.backend.get(objectKey(r, namespace, name), revision);
    } catch (err) {
      revisionError(err, "get");
    }
    if (!res.kv) throw notFound(gr(r), name);
    return decodeKv(res.kv);
  }

  async tryGet(r: ResourceDef, namespace: string, name: string): Promise<KubeObject | undefined> {
    const res = await this.backend.get(objectKey(r, namespace, name));
    return res.kv ? decodeKv(res.kv) : undefined;
  }

  list(r: ResourceDef, req: ListRequest): Promise<ListPage> {
    return listObjects(this.backend, r, req);
  }

  // ---- create

  async create(r: ResourceDef, namespace: string, input: KubeObject, caller: Caller, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = input;
    const meta = metaOf(obj);
    let ctx: { serviceAccount?: KubeObject } | undefined;
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    if (r.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace = namespace || meta.namespace;
      if (!meta.namespace) throw badRequest("the server could not find the requested resource: namespace is required");
      await this.admitNamespace(meta.namespace);
      if (r.group === "" && r.kind === "Pod") ctx = { serviceAccount: await this.podServiceAccount(meta.namespace, obj) };
    } else {
      delete meta.namespace;
    }
    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = generateName(meta.generateName!);
      this.prepareForCreate(r, obj, caller, opts, ctx);
      const txn = this.hooksOf(r)?.beginCreate?.(obj);
      if (opts.dryRun) {
        txn?.revert();
        return obj;
      }
      let res: WriteResult;
      try {
        res = await this.backend.create(objectKey(r, meta.namespace ?? "", meta.name!), encodeObject(obj));
      } catch (err) {
        txn?.revert();
        throw err;
      }
      if (res.ok) {
        txn?.commit();
        meta.resourceVersion = String(res.revision);
        return obj;
      }
      txn?.revert();
      if (generated && attempt < 3) continue;
      throw alreadyExists(gr(r), meta.name!);
    }
  }

  private prepareForCreate(r: ResourceDef, obj: KubeObject, caller: Caller, opts: WriteOptions, ctx?: { serviceAccount?: KubeObject }): void {
    const meta = metaOf(obj);
    const strategy = this.knowledge.strategy(gvkKey(obj.apiVersion!, r.kind));
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.now();
    if (strategy?.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    this.knowledge.prepareForCreate(r, obj, ctx);
    strategy?.defaults?.(obj);
    const errors: FieldError[] = [...this.knowledge.validateMeta(r, obj), ...(strategy?.validate?.(obj) ?? [])];
    if (errors.length) throw invalid(r.kind, r.group, meta.name ?? meta.generateName ?? "", errors);
    if (opts.managedFieldsDone) return;
    this.knowledge.trackManagedFields(r, undefined, obj, {
      manager: opts.fieldManager ?? this.knowledge.defaultManager(caller.userAgent),
      operation: "Update",
      now: this.now(),
    });
  }

  /** The ServiceAccount a new Pod names (or "default"), if it exists: admission reads its automount setting. */
  private async podServiceAccount(namespace: string, pod: KubeObject): Promise<KubeObject | undefined> {
    const spec = (pod.spec ?? {}) as { serviceAccountName?: unknown; serviceAccount?: unknown };
    const name = [spec.serviceAccountName, spec.serviceAccount].find((n): n is string => typeof n === "string" && n !== "") ?? "default";
    const saDef = this.knowledge.resource("", "v1", "serviceaccounts");
    return saDef ? this.tryGet(saDef, namespace, name) : undefined;
  }

  private async admitNamespace(namespace: string): Promise<void> {
    const nsDef = this.knowledge.resource("", "v1", "namespaces")!;
    const ns = await this.tryGet(nsDef, "", namespace);
    if (!ns) throw notFound({ group: "", resource: "namespaces" }, namespace);
    if (ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === "Terminating") {
      throw new StatusError(403, "Forbidden", `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: "namespaces",
        causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }],
      });
    }
  }

  // ---- update / patch

  /**
   * Replaces an object (or one of its subresources). `mutate` receives the current object and
   * returns the desired one; it runs again after a compare-and-swap conflict unless the caller
   * pinned a resourceVersion.
   */
  async update(
    r: ResourceDef,
    namespace: string,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    caller: Caller,
    opts: WriteOptions & { subresource?: string; operation?: "Update" | "Apply" } = {},
  ): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(r, namespace, name);
      const currentRv = current.metadata!.resourceVersion!;
      // The mutation sees the object without resourceVersion: a version in its result was put
      // there by the client (PUT body, patch) and pins the write to that version.
      const base = structuredClone(current);
      delete base.metadata!.resourceVersion;
      const desired = await mutate(base);
      const pinned = desired.metadata?.resourceVersion;
      if (pinned && pinned !== currentRv) {
        throw conflict(gr(r), name, "the object has been modified; please apply your changes to the latest version and try again");
      }
      const next = this.prepareForUpdate(r, desired, current, caller, opts);
      if (isDeepStrictEqual(stripForCompare(next), stripForCompare(current))) return current;
      const nm = next.metadata!;
      const removes = !!nm.deletionTimestamp && !(nm.finalizers?.length) && nm.deletionGracePeriodSeconds === 0 && this.knowledge.finalizersDone(r, next);
      const txn = removes ? undefined : this.hooksOf(r)?.beginUpdate?.(next, current);
      if (opts.dryRun) {
        txn?.revert();
        // Nothing is written: the answer carries the stored version.
        metaOf(next).resourceVersion = currentRv;
        return next;
      }
      let res: WriteResult;
      if (removes) {
        res = await this.backend.delete(objectKey(r, namespace, name), Number(currentRv));
        if (res.ok) {
          this.deleted(r, current);
          return next;
        }
      } else {
        try {
          res = await this.backend.update(objectKey(r, namespace, name), encodeObject(next), Number(currentRv));
        } catch (err) {
          txn?.revert();
          throw err;
        }
        if (res.ok) {
          txn?.commit();
          nm.resourceVersion = String(res.revision);
          return next;
        }
        txn?.revert();
      }
      if (res.reason === "not-found") throw notFound(gr(r), name);
      if (pinned || attempt >= MAX_CONFLICT_RETRIES) {
        throw conflict(gr(r), name, "the object has been modified; please apply your changes to the latest version and try again");
      }
    }
  }

  private prepareForUpdate(
    r: ResourceDef,
    desired: KubeObject,
    current: KubeObject,
    caller: Caller,
    opts: WriteOptions & { subresource?: string; operation?: "Update" | "Apply" },
  ): KubeObject {
    const sub = opts.subresource ?? "";
    let next: KubeObject;
    const cm = current.metadata!;
    if (sub === "binding") {
      // Built by the server itself (bindPod): trusted, and exempt from pod spec immutability.
      next = desired;
      this.knowledge.trackManagedFields(r, current, next, {
        manager: opts.fieldManager ?? this.knowledge.defaultManager(caller.userAgent),
        operation: "Update",
        subresource: "binding",
        now: this.now(),
      });
      return next;
    }
    if (sub === "status") {
      // Status writes change status only; metadata and spec stay as they are.
      next = { ...structuredClone(current), status: desired.status };
      if (desired.status === undefined) delete next.status;
    } else {
      next = desired;
      next.apiVersion = current.apiVersion;
      next.kind = current.kind;
      const nm = metaOf(next);
      if (nm.name !== undefined && nm.name !== cm.name) {
        throw badRequest(`the name of the object (${nm.name}) does not match the name on the URL (${cm.name})`);
      }
      if (r.namespaced && nm.namespace !== undefined && nm.namespace !== "" && nm.namespace !== cm.namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      nm.name = cm.name;
      if (r.namespaced) nm.namespace = cm.namespace;
      nm.uid = cm.uid;
      nm.creationTimestamp = cm.creationTimestamp;
      if (cm.deletionTimestamp) nm.deletionTimestamp = cm.deletionTimestamp;
      else delete nm.deletionTimestamp;
      if (cm.deletionGracePeriodSeconds !== undefined) nm.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
      else delete nm.deletionGracePeriodSeconds;
      if (cm.generation !== undefined) nm.generation = cm.generation;
      else delete nm.generation;
      if (r.subresources.includes("status") && sub !== "finalize") {
        if (current.status === undefined) delete next.status;
        else next.status = structuredClone(current.status);
      }
    }
    const strategy = this.knowledge.strategy(gvkKey(current.apiVersion!, r.kind));
    strategy?.defaults?.(next);
    this.knowledge.prepareForUpdate(r, next, current, sub);
    const errors: FieldError[] = [
      ...this.knowledge.validateMeta(r, next),
      ...this.knowledge.validateMetaUpdate(r, next, current),
      ...(strategy?.validate?.(next) ?? []),
      ...(strategy?.validateUpdate?.(next, current) ?? []),
    ];
    if (errors.length) throw invalid(r.kind, r.group, cm.name!, errors);
    if (strategy?.tracksGeneration && sub === "" && !isDeepStrictEqual(specOf(next), specOf(current))) {
      metaOf(next).generation = (cm.generation ?? 0) + 1;
    }
    if (opts.operation !== "Apply") {
      this.knowledge.trackManagedFields(r, current, next, {
        manager: opts.fieldManager ?? this.knowledge.defaultManager(caller.userAgent),
        operation: "Update",
        subresource: sub || undefined,
        now: this.now(),
      });
    }
    return next;
  }

  // ---- delete

  async delete(r: ResourceDef, namespace: string, name: string, _caller: Caller, opts: DeleteOptions = {}): Promise<DeleteResult> {
    if (r.plural === "namespaces" && r.group === "" && PROTECTED_NAMESPACES.has(name)) {
      throw new StatusError(403, "Forbidden", `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: "namespaces" });
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(r, namespace, name);
      const cm = current.metadata!;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cm.uid) {
        throw conflict(gr(r), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cm.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cm.resourceVersion) {
        throw conflict(gr(r), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cm.resourceVersion}`);
      }
      const next = structuredClone(current);
      const nm = next.metadata!;
      const finalizers = new Set(nm.finalizers ?? []);
      const policy = opts.propagationPolicy;
      if (policy === "Orphan") {
        finalizers.delete("foregroundDeletion");
        finalizers.add("orphan");
      } else if (policy === "Foreground") {
        finalizers.delete("orphan");
        finalizers.add("foregroundDeletion");
      } else if (policy === "Background") {
        finalizers.delete("orphan");
        finalizers.delete("foregroundDeletion");
      }
      const grace = this.knowledge.gracePeriod(r, current, opts.gracePeriodSeconds);
      const waitsForSomething = finalizers.size > 0 || grace > 0 || this.knowledge.waitsForFinalize(r, current);
      if (!waitsForSomething) {
        if (opts.dryRun) return { object: current, deleted: true };
        const res = await this.backend.delete(objectKey(r, namespace, name), Number(cm.resourceVersion));
        if (res.ok) {
          const gone = decodeKv(res.kv);
          this.deleted(r, gone);
          return { object: gone, deleted: true };
        }
        if (res.reason === "not-found") throw notFound(gr(r), name);
        if (attempt >= MAX_CONFLICT_RETRIES) throw conflict(gr(r), name, "the object has been modified; please apply your changes to the latest version and try again");
        continue;
      }
      // Graceful: mark for deletion and let finalizers, kubelets or controllers finish.
      if (finalizers.size) nm.finalizers = [...finalizers];
      else delete nm.finalizers;
      const now = this.clock();
      if (!nm.deletionTimestamp) {
        nm.deletionTimestamp = new Date(now.getTime() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
        nm.deletionGracePeriodSeconds = grace;
      } else if (nm.deletionGracePeriodSeconds !== undefined && grace < nm.deletionGracePeriodSeconds) {
        // A shorter grace period shortens a deletion already under way (kubectl delete --grace-period=0 --force).
        nm.deletionTimestamp = new Date(now.getTime() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
        nm.deletionGracePeriodSeconds = grace;
      }
      this.knowledge.prepareForDelete(r, next);
      if (grace === 0 && finalizers.size === 0 && !this.knowledge.waitsForFinalize(r, next)) {
        // A grace-0 delete of an object already terminating: remove it now.
        if (opts.dryRun) return { object: next, deleted: true };
        const res = await this.backend.delete(objectKey(r, namespace, name), Number(cm.resourceVersion));
        if (res.ok) {
          const gone = decodeKv(res.kv);
          this.deleted(r, gone);
          return { object: gone, deleted: true };
        }
        if (res.reason === "not-found") throw notFound(gr(r), name);
        continue;
      }
      if (isDeepStrictEqual(next, current)) return { object: current, deleted: false };
      if (opts.dryRun) return { object: next, deleted: false };
      const res = await this.backend.update(objectKey(r, namespace, name), encodeObject(next), Number(cm.resourceVersion));
      if (res.ok) {
        nm.resourceVersion = String(res.revision);
        return { object: next, deleted: false };
      }
      if (res.reason === "not-found") throw notFound(gr(r), name);
      if (attempt >= MAX_CONFLICT_RETRIES) throw conflict(gr(r), name, "the object has been modified; please apply your changes to the latest version and try again");
    }
  }
}

function generateName(base: string): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return base.slice(0, 63 - 5) + s;
}
