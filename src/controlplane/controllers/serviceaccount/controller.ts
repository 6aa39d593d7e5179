// ServiceAccounts controller: every active namespace has a "default" ServiceAccount, which pods
// use when they name none. Created when a namespace appears (or becomes visible at start, since
// the store feed replays every object) and re-created if someone deletes it; namespaces being
// deleted are left alone, as kube-controller-manager's serviceaccounts-controller does.

import { StatusError } from "../../../api/errors.js";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { WorkQueue } from "../../../client/workqueue.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import type { StoreEvent } from "../store-watch.js";

export const DEFAULT_SERVICE_ACCOUNT = "default";
const CALLER: Caller = { user: "system:serviceaccount:kube-system:service-account-controller", groups: ["system:masters"], userAgent: "service-account-controller" };

const nsDef = RESOURCES.find((r) => r.kind === "Namespace" && r.group === "")!;
const saDef = RESOURCES.find((r) => r.kind === "ServiceAccount" && r.group === "")!;

/** Which namespace, if any, an event asks to check. */
export function namespaceToCheck(ev: StoreEvent): string | undefined {
  const { resource: r, object: o } = ev;
  if (r.group !== "") return undefined;
  if (r.kind === "Namespace" && ev.type !== "DELETED" && !o.metadata?.deletionTimestamp) return o.metadata?.name;
  if (r.kind === "ServiceAccount" && ev.type === "DELETED" && o.metadata?.name === DEFAULT_SERVICE_ACCOUNT) return o.metadata.namespace;
  return undefined;
}

export class ServiceAccountController {
  readonly queue: WorkQueue;

  constructor(private readonly registry: Registry, log: (m: string) => void = () => {}) {
    this.queue = new WorkQueue((ns) => this.reconcile(ns), { onError: (k, e) => log(`serviceaccounts ${k}: ${String(e)}`) });
  }

  onEvent(ev: StoreEvent): void {
    const ns = namespaceToCheck(ev);
    if (ns) this.queue.add(ns);
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = await this.registry.tryGet(nsDef, "", namespace);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === "Terminating") return;
    if (await this.registry.tryGet(saDef, namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } };
    try {
      await this.registry.create(saDef, namespace, sa, CALLER);
    } catch (err) {
      // Already there (a race with another writer), or the namespace went away / began terminating meanwhile.
      if (err instanceof StatusError && [403, 404, 409].includes(err.code)) return;
      throw err;
    }
  }
}
