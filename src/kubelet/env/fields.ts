// Values of the downward API, shared by env vars (valueFrom.fieldRef / resourceFieldRef) and
// downwardAPI / projected volumes: pod fields by path, and container resources with a divisor,
// rounded as the kubelet does (pkg/api/v1/resource: ceil(milli / divisor milli) for CPU,
// ceil(value / divisor value) for memory and other resources; unset limits are the node's
// allocatable).

import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from "kubernetes-types/core/v1.js";
import { parseQuantity, quantityMilliValue, quantityValue, type Quantity } from "../../api/quantity.js";

/** What the pod object does not hold yet (before the kubelet posts its status). */
export interface FieldContext {
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
  /** All pod IPs; defaults to [podIP]. */
  podIPs?: string[];
}

/** Go's FormatMap: `key="value"` lines in key order (downwardAPI files for labels/annotations). */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join("\n");
}

const SUBSCRIPT = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

/**
 * The value of a fieldRef path. `whole` allows metadata.labels / metadata.annotations without a
 * subscript (volumes only). Throws on unsupported paths with Kubernetes' wording.
 */
export function podFieldValue(pod: Pod, sel: ObjectFieldSelector, ctx: FieldContext = {}, whole = false): string {
  const path = sel.fieldPath;
  const sub = SUBSCRIPT.exec(path);
  if (sub) {
    const map = sub[1] === "metadata.labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[sub[2]] ?? "";
  }
  const podIP = pod.status?.podIP || ctx.podIP || "";
  switch (path) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "metadata.uid":
      return pod.metadata?.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName || ctx.nodeName || "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return pod.status?.hostIP || ctx.hostIP || "";
    case "status.hostIPs": {
      const ips = pod.status?.hostIPs?.map((i) => i.ip).filter((ip): ip is string => !!ip);
      return ips?.length ? ips.join(",") : pod.status?.hostIP || ctx.hostIP || "";
    }
    case "status.podIP":
      return podIP;
    case "status.podIPs": {
      const ips = pod.status?.podIPs?.map((i) => i.ip).filter((ip): ip is string => !!ip);
      if (ips?.length) return ips.join(",");
      return (ctx.podIPs ?? (podIP ? [podIP] : [])).join(",");
    }
    case "metadata.labels":
      if (whole) return formatMap(pod.metadata?.labels);
      break;
    case "metadata.annotations":
      if (whole) return formatMap(pod.metadata?.annotations);
      break;
  }
  throw new Error(`unsupported fieldPath: ${path}`);
}

/** Node allocatable by resource name ("cpu", "memory", "ephemeral-storage", ...). */
export type Allocatable = Readonly<Record<string, string>>;

/**
 * The value of a resourceFieldRef for `container`, as a decimal string. `limits.X` falls back to
 * the node's allocatable X when the container sets no limit; an unset request is 0.
 */
export function resourceFieldValue(container: Container, sel: ResourceFieldSelector, allocatable: Allocatable = {}): string {
  const m = /^(limits|requests)\.(.+)$/.exec(sel.resource);
  if (!m) throw new Error(`unsupported container resource: ${sel.resource}`);
  const [, kind, name] = m;
  let raw: string | number | undefined =
    kind === "limits" ? container.resources?.limits?.[name] : container.resources?.requests?.[name];
  if (raw === undefined && kind === "limits") raw = allocatable[name];
  const q: Quantity = parseQuantity(raw ?? "0");
  const divisor = parseQuantity(sel.divisor ?? "1");
  if (name === "cpu") {
    const d = quantityMilliValue(divisor);
    if (d === 0n) throw new Error(`invalid divisor for ${sel.resource}: ${sel.divisor}`);
    return String(Math.ceil(Number(quantityMilliValue(q)) / Number(d)));
  }
  const d = quantityValue(divisor);
  if (d === 0n) throw new Error(`invalid divisor for ${sel.resource}: ${sel.divisor}`);
  return String(Math.ceil(Number(quantityValue(q)) / Number(d)));
}
