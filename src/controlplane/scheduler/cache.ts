// The scheduler's in-memory picture of the cluster: every node with the pods bound (or assumed)
// to it. A pod is "assumed" from the moment the scheduler picks its node until the binding is
// seen in the store, so a burst of decisions never overbooks a node; a failed binding forgets it.

import type { Node, Pod } from "kubernetes-types/core/v1.js";
import { addPod, emptyNodeInfo, podInfoOf, podKey, removePod, setNode, type NodeInfo, type PodInfo } from "./types.js";

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podNode = new Map<string, string>();
  private readonly assumed = new Set<string>();
  private readonly antiAffinity = new Map<string, PodInfo>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private list: NodeInfo[] | undefined;

  /** Nodes that have a Node object, in name order (stable, so the start index rotates fairly). */
  nodeList(): readonly NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()].filter((n) => n.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.list;
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  private nodeInfo(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) {
      n = emptyNodeInfo(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  upsertNode(node: Node): void {
    const info = this.nodeInfo(node.metadata?.name ?? "");
    const isNew = !info.node;
    setNode(info, node);
    if (isNew) this.list = undefined;
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    // Pods still bound to it keep their entry (a node may come back under the same name).
    if (info.pods.size === 0) this.nodes.delete(name);
    else delete info.node;
    this.list = undefined;
  }

  setNamespaceLabels(name: string, labels: Record<string, string> | undefined): void {
    if (labels) this.namespaces.set(name, labels);
    else this.namespaces.delete(name);
  }

  namespaceLabels = (name: string): Record<string, string> | undefined => this.namespaces.get(name);

  /** A pod the store says is bound to a node (and not terminal). */
  addBoundPod(pod: Pod): PodInfo {
    const info = podInfoOf(pod);
    this.place(info, pod.spec!.nodeName!);
    this.assumed.delete(info.key);
    return info;
  }

  assume(info: PodInfo, nodeName: string): void {
    this.place(info, nodeName);
    this.assumed.add(info.key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** Whether the pod takes room on some node (bound or assumed). */
  has(key: string): boolean {
    return this.podNode.has(key);
  }

  removePod(key: string): void {
    const nodeName = this.podNode.get(key);
    this.assumed.delete(key);
    this.antiAffinity.delete(key);
    if (nodeName === undefined) return;
    this.podNode.delete(key);
    const n = this.nodes.get(nodeName);
    if (!n) return;
    removePod(n, key);
    if (!n.node && n.pods.size === 0) this.nodes.delete(nodeName);
  }

  /** Pods with required anti-affinity, with their node (for the existing-pods check). */
  *antiAffinityPods(): Generator<{ pod: PodInfo; node: NodeInfo }> {
    for (const p of this.antiAffinity.values()) {
      const n = this.nodes.get(this.podNode.get(p.key) ?? "");
      if (n) yield { pod: p, node: n };
    }
  }

  hasAntiAffinityPods(): boolean {
    return this.antiAffinity.size > 0;
  }

  allNodes(): Iterable<NodeInfo> {
    return this.nodes.values();
  }

  private place(info: PodInfo, nodeName: string): void {
    const prev = this.podNode.get(info.key);
    if (prev !== undefined) {
      const n = this.nodes.get(prev);
      if (n) removePod(n, info.key);
    }
    this.podNode.set(info.key, nodeName);
    addPod(this.nodeInfo(nodeName), info);
    if (info.antiAffinityTerms.length) this.antiAffinity.set(info.key, info);
    else this.antiAffinity.delete(info.key);
  }
}

export { podKey };
