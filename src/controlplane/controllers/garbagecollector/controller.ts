// Garbage collection by ownerReferences, as Kubernetes' garbage collector does it:
// - a dependent whose owners are all gone is deleted (background propagation);
// - a dependent with some owners gone loses the references to those owners;
// - an owner deleted with propagationPolicy=Orphan ("orphan" finalizer) has its references
//   removed from its dependents, then the finalizer;
// - an owner deleted with propagationPolicy=Foreground ("foregroundDeletion" finalizer) has its
//   dependents deleted first; the finalizer goes once no dependent with blockOwnerDeletion is left.

import { StatusError } from "../../../api/errors.js";
import { RESOURCES, apiVersionOf } from "../../../api/registry/resources.js";
import type { KubeObject, ObjectMetaLike, ResourceDef } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";

type OwnerRef = NonNullable<ObjectMetaLike["ownerReferences"]>[number];

const CALLER: Caller = { user: "system:serviceaccount:kube-system:generic-garbage-collector", groups: ["system:masters"], userAgent: "garbage-collector" };
const RECHECK_MS = 200;

interface Node {
  resource: ResourceDef;
  namespace: string;
  name: string;
  owners: OwnerRef[];
}

function identity(r: ResourceDef, obj: KubeObject): string {
  return `${r.group}/${r.plural}/${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export class GarbageCollector {
  readonly queue: WorkQueue;
  /** Objects that have owner references, by identity. */
  private readonly dependents = new Map<string, Node>();
  /** Owner uid → identities of its dependents. */
  private readonly byOwner = new Map<string, Set<string>>();
  /** uids of every live object (to tell, as events arrive, whether an owner exists). */
  private readonly live = new Set<string>();
  /** Objects being deleted with an orphan or foregroundDeletion finalizer: uid → identity. */
  private readonly deleting = new Map<string, string>();
  private readonly byKind = new Map(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

  constructor(private readonly registry: Registry, log: (m: string) => void = () => {}) {
    this.queue = new WorkQueue((key) => this.process(key), { onError: (k, e) => log(`garbage collector ${k}: ${String(e)}`), workers: 4 });
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(ev: StoreEvent): void {
    const meta = ev.object.metadata ?? {};
    const id = identity(ev.resource, ev.object);
    const uid = meta.uid ?? "";
    this.unindex(id);
    if (ev.type === "DELETED") {
      this.live.delete(uid);
      this.deleting.delete(uid);
      this.deletingForeground.delete(uid);
      for (const dep of this.byOwner.get(uid) ?? []) this.queue.add(`dependent|${dep}`);
      return;
    }
    this.live.add(uid);
    const owners = meta.ownerReferences ?? [];
    if (owners.length) {
      this.dependents.set(id, { resource: ev.resource, namespace: meta.namespace ?? "", name: meta.name ?? "", owners });
      for (const o of owners) {
        let set = this.byOwner.get(o.uid);
        if (!set) this.byOwner.set(o.uid, (set = new Set()));
        set.add(id);
      }
      if (owners.some((o) => !this.live.has(o.uid) || this.isDeletingForeground(o.uid))) this.queue.add(`dependent|${id}`);
    }
    if (meta.deletionTimestamp && (meta.finalizers?.includes("orphan") || meta.finalizers?.includes("foregroundDeletion"))) {
      this.deleting.set(uid, id);
      this.queue.add(`owner|${id}`);
    } else {
      this.deleting.delete(uid);
    }
    // A dependent changed while its owner waits for its dependents: re-check the owner.
    for (const o of owners) {
      const ownerId = this.deleting.get(o.uid);
      if (ownerId) this.queue.add(`owner|${ownerId}`);
    }
  }

  private deletingForeground = new Set<string>();

  private isDeletingForeground(uid: string): boolean {
    return this.deletingForeground.has(uid);
  }

  private unindex(id: string): void {
    const node = this.dependents.get(id);
    if (!node) return;
    this.dependents.delete(id);
    for (const o of node.owners) {
      const set = this.byOwner.get(o.uid);
      set?.delete(id);
      if (set && set.size === 0) this.byOwner.delete(o.uid);
    }
  }

  private parse(id: string): { r: ResourceDef; namespace: string; name: string } | undefined {
    const [group, plural, namespace, name] = id.split("/");
    const r = RESOURCES.find((x) => x.group === group && x.plural === plural);
    return r ? { r, namespace, name } : undefined;
  }

  private async process(key: string): Promise<void> {
    const [what, id] = key.split("|");
    if (what === "dependent") return this.attemptToDelete(id);
    return this.processOwner(id);
  }

  /** Looks an owner up by reference; undefined when it no longer exists (or was replaced). */
  private async owner(ref: OwnerRef, namespace: string): Promise<KubeObject | undefined> {
    const r = this.byKind.get(`${ref.apiVersion}/${ref.kind}`);
    if (!r) return this.live.has(ref.uid) ? ({ metadata: { uid: ref.uid } } as KubeObject) : undefined;
    const obj = await this.registry.tryGet(r, r.namespaced ? namespace : "", ref.name);
    return obj?.metadata?.uid === ref.uid ? obj : undefined;
  }

  private async attemptToDelete(id: string): Promise<void> {
    const target = this.parse(id);
    if (!target) return;
    const obj = await this.registry.tryGet(target.r, target.namespace, target.name);
    if (!obj || obj.metadata?.deletionTimestamp) return;
    const refs = obj.metadata?.ownerReferences ?? [];
    if (!refs.length) return;
    const absent: string[] = [];
    let waitingForeground = false;
    for (const ref of refs) {
      const owner = await this.owner(ref, target.namespace);
      if (!owner) absent.push(ref.uid);
      else if (owner.metadata?.deletionTimestamp && owner.metadata.finalizers?.includes("foregroundDeletion")) waitingForeground = true;
    }
    if (absent.length === refs.length) {
      await this.deleteObject(target.r, target.namespace, target.name, obj.metadata!.uid!, "Background");
      return;
    }
    if (waitingForeground && absent.length + refs.filter((r) => this.deletingForeground.has(r.uid)).length >= refs.length) {
      await this.deleteObject(target.r, target.namespace, target.name, obj.metadata!.uid!, "Foreground");
      return;
    }
    if (absent.length) await this.removeOwnerRefs(target.r, target.namespace, target.name, new Set(absent));
  }

  private async processOwner(id: string): Promise<void> {
    const target = this.parse(id);
    if (!target) return;
    const owner = await this.registry.tryGet(target.r, target.namespace, target.name);
    const meta = owner?.metadata;
    if (!owner || !meta?.deletionTimestamp) return;
    const uid = meta.uid!;
    const deps = [...(this.byOwner.get(uid) ?? [])];
    if (meta.finalizers?.includes("orphan")) {
      for (const dep of deps) {
        const d = this.parse(dep);
        if (d) await this.removeOwnerRefs(d.r, d.namespace, d.name, new Set([uid]));
      }
      await this.removeFinalizer(target.r, target.namespace, target.name, "orphan");
      return;
    }
    if (meta.finalizers?.includes("foregroundDeletion")) {
      this.deletingForeground.add(uid);
      let blocking = 0;
      for (const dep of deps) {
        const d = this.parse(dep);
        if (!d) continue;
        const obj = await this.registry.tryGet(d.r, d.namespace, d.name);
        if (!obj) continue;
        const ref = obj.metadata?.ownerReferences?.find((o) => o.uid === uid);
        if (!ref) continue;
        if (ref.blockOwnerDeletion) blocking++;
        if (!obj.metadata?.deletionTimestamp) await this.deleteObject(d.r, d.namespace, d.name, obj.metadata!.uid!, "Foreground");
      }
      if (blocking > 0) {
        this.queue.addAfter(`owner|${id}`, RECHECK_MS);
        return;
      }
      this.deletingForeground.delete(uid);
      await this.removeFinalizer(target.r, target.namespace, target.name, "foregroundDeletion");
    }
  }

  private async deleteObject(r: ResourceDef, namespace: string, name: string, uid: string, policy: "Background" | "Foreground"): Promise<void> {
    try {
      await this.registry.delete(r, namespace, name, CALLER, { propagationPolicy: policy, preconditions: { uid } });
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  private async removeOwnerRefs(r: ResourceDef, namespace: string, name: string, uids: Set<string>): Promise<void> {
    try {
      await this.registry.update(
        r,
        namespace,
        name,
        (obj) => {
          const meta = obj.metadata!;
          meta.ownerReferences = (meta.ownerReferences ?? []).filter((o) => !uids.has(o.uid));
          if (!meta.ownerReferences.length) delete meta.ownerReferences;
          return obj;
        },
        CALLER,
      );
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }

  private async removeFinalizer(r: ResourceDef, namespace: string, name: string, finalizer: string): Promise<void> {
    try {
      await this.registry.update(
        r,
        namespace,
        name,
        (obj) => {
          const meta = obj.metadata!;
          meta.finalizers = (meta.finalizers ?? []).filter((f) => f !== finalizer);
          if (!meta.finalizers.length) delete meta.finalizers;
          return obj;
        },
        CALLER,
      );
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }
}
