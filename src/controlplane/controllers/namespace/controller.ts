// Namespace lifecycle: a namespace marked for deletion (Terminating) has all of its content
// deleted; once nothing is left, its "kubernetes" finalizer is removed and the namespace goes.

import type { KubeObject } from "../../../api/registry/types.js";
import { RESOURCES, isStored } from "../../../api/registry/resources.js";
import { StatusError } from "../../../api/errors.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";

const CALLER: Caller = { user: "system:serviceaccount:kube-system:namespace-controller", groups: ["system:masters"], userAgent: "namespace-controller" };
const RECHECK_MS = 500;

export class NamespaceController {
  readonly queue: WorkQueue;

  constructor(private readonly registry: Registry, log: (m: string) => void = () => {}) {
    this.queue = new WorkQueue((name) => this.reconcile(name), { onError: (k, e) => log(`namespace ${k}: ${String(e)}`) });
  }

  onEvent(ev: StoreEvent): void {
    if (ev.resource.kind === "Namespace" && ev.resource.group === "" && ev.type !== "DELETED" && ev.object.metadata?.deletionTimestamp) {
      this.queue.add(ev.object.metadata.name!);
    }
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(name: string): Promise<void> {
    const nsDef = RESOURCES.find((r) => r.kind === "Namespace" && r.group === "")!;
    const ns = await this.registry.tryGet(nsDef, "", name);
    if (!ns?.metadata?.deletionTimestamp) return;
    let remaining = 0;
    for (const r of RESOURCES) {
      if (!r.namespaced || !isStored(r)) continue;
      const page = await this.registry.list(r, { namespace: name });
      for (const obj of page.items) {
        remaining++;
        if (obj.metadata?.deletionTimestamp) continue;
        try {
          await this.registry.delete(r, name, obj.metadata!.name!, CALLER, {});
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining > 0) {
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    await this.finalize(nsDef, name);
  }

  private async finalize(nsDef: (typeof RESOURCES)[number], name: string): Promise<void> {
    try {
      await this.registry.update(
        nsDef,
        "",
        name,
        (ns: KubeObject) => {
          const spec = (ns.spec ??= {}) as { finalizers?: string[] };
          // Kept as an empty list: defaulting fills in ["kubernetes"] only when the field is absent.
          spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== "kubernetes");
          return ns;
        },
        CALLER,
        { subresource: "finalize" },
      );
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }
}
