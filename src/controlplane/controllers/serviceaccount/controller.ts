// ServiceAccounts controller: every active namespace has a "default" ServiceAccount, which pods
// use when they name none. Created when a namespace appears (or becomes visible at start, since
// the store feed replays every object) and re-created if someone deletes it; namespaces being
// deleted are left alone, as kube-controller-manager's serviceaccounts-controller does.
// Given the cluster CA, it also publishes ConfigMap kube-root-ca.crt (data ca.crt) in every
// namespace and puts it back when deleted or changed (the root-ca-cert-publisher's job); the
// kube-api-access-* volume of every pod projects it.

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
const cmDef = RESOURCES.find((r) => r.kind === "ConfigMap" && r.group === "")!;
export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/** Which namespace, if any, an event asks to check. */
export function namespaceToCheck(ev: StoreEvent): string | undefined {
  const { resource: r, object: o } = ev;
  if (r.group !== "") return undefined;
  if (r.kind === "Namespace" && ev.type !== "DELETED" && !o.metadata?.deletionTimestamp) return o.metadata?.name;
  if (r.kind === "ServiceAccount" && ev.type === "DELETED" && o.metadata?.name === DEFAULT_SERVICE_ACCOUNT) return o.metadata.namespace;
  if (r.kind === "ConfigMap" && ev.type !== "ADDED" && o.metadata?.name === ROOT_CA_CONFIGMAP) return o.metadata.namespace;
  return undefined;
}

export class ServiceAccountController {
  readonly queue: WorkQueue;

  constructor(
    private readonly registry: Registry,
    log: (m: string) => void = () => {},
    /** The cluster CA (PEM) to publish as ConfigMap kube-root-ca.crt; none without it. */
    private readonly rootCA?: string,
  ) {
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
    if (!(await this.registry.tryGet(saDef, namespace, DEFAULT_SERVICE_ACCOUNT))) {
      const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } };
      await ignoreRace(this.registry.create(saDef, namespace, sa, CALLER));
    }
    if (this.rootCA !== undefined) await this.publishRootCA(namespace, this.rootCA);
  }

  private async publishRootCA(namespace: string, ca: string): Promise<void> {
    const cm = await this.registry.tryGet(cmDef, namespace, ROOT_CA_CONFIGMAP);
    if (!cm) {
      const obj: KubeObject = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { "kubernetes.io/description": DESCRIPTION } },
        data: { "ca.crt": ca },
      };
      await ignoreRace(this.registry.create(cmDef, namespace, obj, CALLER));
      return;
    }
    const data = (cm.data ?? {}) as Record<string, string>;
    if (data["ca.crt"] === ca && Object.keys(data).length === 1 && !cm.binaryData) return;
    const mutate = (cur: KubeObject): KubeObject => {
      const next: KubeObject = { ...cur, data: { "ca.crt": ca } };
      delete next.binaryData;
      return next;
    };
    await ignoreRace(this.registry.update(cmDef, namespace, ROOT_CA_CONFIGMAP, mutate, CALLER));
  }
}

/** Already there / changed meanwhile (a race with another writer), or the namespace went away or began terminating. */
async function ignoreRace(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError && [403, 404, 409].includes(err.code)) return;
    throw err;
  }
}
