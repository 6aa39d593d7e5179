// Tables of the core (v1) kinds other than Pod, following printers.go.

import { formatQuantity, tryParseQuantity } from "../quantity.js";
import type { TableDef } from "../registry/types.js";
import { formatLabels } from "../selectors/labels.js";
import { age, ageColumn, arr, col, docCol, int, meta, name, nameColumn, spec, status, str, table, type Obj } from "./columns.js";
import { isZeroTime, since } from "./duration.js";

// ---------------------------------------------------------------------------------------------
// Services and endpoints

/** Load-balancer ingress IPs (or hostnames), sorted and unique; never clipped (tables are "wide"). */
function loadBalancerIngress(lb: Obj | undefined): string[] {
  const set = new Set<string>();
  for (const ing of arr(lb?.ingress)) {
    if (ing?.ip) set.add(str(ing.ip));
    else if (ing?.hostname) set.add(str(ing.hostname));
  }
  return [...set].sort();
}

function serviceExternalIP(svc: Obj): string {
  const s = spec(svc);
  const externalIPs = arr(s.externalIPs).map(str);
  switch (s.type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerIngress(status(svc).loadBalancer);
      if (externalIPs.length) return [...lb, ...externalIPs].join(",");
      return lb.length ? lb.join(",") : "<pending>";
    }
    case "ExternalName":
      return str(s.externalName);
  }
  return "<unknown>";
}

/** "80/TCP,443:30443/TCP". */
function servicePorts(svc: Obj): string {
  const ports = arr(spec(svc).ports).map((p) => {
    const proto = str(p?.protocol);
    return int(p?.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p?.port)}/${proto}`;
  });
  return ports.length ? ports.join(",") : "<none>";
}

export const serviceTable: TableDef = table(
  [
    nameColumn,
    docCol("Type", "string", "ServiceSpec.type"),
    docCol("Cluster-IP", "string", "ServiceSpec.clusterIP"),
    docCol("External-IP", "string", "ServiceSpec.externalIPs"),
    docCol("Port(s)", "string", "ServiceSpec.ports"),
    ageColumn,
    docCol("Selector", "string", "ServiceSpec.selector", 1),
  ],
  (o, now) => {
    const s = spec(o);
    // Internal services only keep clusterIPs; v1 objects may carry just clusterIP.
    const clusterIP = str(arr(s.clusterIPs)[0] ?? s.clusterIP) || "<none>";
    return [name(o), str(s.type), clusterIP, serviceExternalIP(o), servicePorts(o), age(o, now), formatLabels(s.selector)];
  },
);

/** net.JoinHostPort: IPv6 addresses are bracketed. */
const joinHostPort = (host: string, port: number): string => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** formatEndpoints: up to three "ip:port" entries, then "+ N more...", "<none>" without subsets. */
export function formatEndpoints(ep: Obj): string {
  const subsets = arr(ep.subsets);
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss?.addresses);
    const ports = arr(ss?.ports);
    if (ports.length === 0) {
      // Headless services without ports list bare addresses.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(joinHostPort(str(a?.ip), int(p?.port)));
      }
    }
  }
  const ret = list.join(",");
  return count > max ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsTable: TableDef = table(
  [nameColumn, docCol("Endpoints", "string", "Endpoints.subsets"), ageColumn],
  (o, now) => [name(o), formatEndpoints(o), age(o, now)],
);

// ---------------------------------------------------------------------------------------------
// Nodes and namespaces

/** "Ready", "NotReady", "Unknown", plus ",SchedulingDisabled" for cordoned nodes. */
export function nodeStatus(node: Obj): string {
  const ready = arr(status(node).conditions).filter((c) => c?.type === "Ready").at(-1);
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (spec(node).unschedulable === true) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** Roles from node-role.kubernetes.io/<role> keys and the kubernetes.io/role label, sorted. */
export function nodeRoles(node: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((meta(node).labels ?? {}) as Record<string, string>)) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

const nodeAddress = (node: Obj, type: string): string =>
  str(arr(status(node).addresses).find((a) => a?.type === type)?.address) || "<none>";

export const nodeTable: TableDef = table(
  [
    nameColumn,
    col("Status", "string", "The status of the node"),
    col("Roles", "string", "The roles of the node"),
    ageColumn,
    docCol("Version", "string", "NodeSystemInfo.kubeletVersion"),
    docCol("Internal-IP", "string", "NodeStatus.addresses", 1),
    docCol("External-IP", "string", "NodeStatus.addresses", 1),
    docCol("OS-Image", "string", "NodeSystemInfo.osImage", 1),
    docCol("Kernel-Version", "string", "NodeSystemInfo.kernelVersion", 1),
    docCol("Container-Runtime", "string", "NodeSystemInfo.containerRuntimeVersion", 1),
  ],
  (o, now) => {
    const info: Obj = status(o).nodeInfo ?? {};
    return [
      name(o),
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, "InternalIP"),
      nodeAddress(o, "ExternalIP"),
      str(info.osImage) || "<unknown>",
      str(info.kernelVersion) || "<unknown>",
      str(info.containerRuntimeVersion) || "<unknown>",
    ];
  },
);

export const namespaceTable: TableDef = table(
  [nameColumn, col("Status", "string", "The status of the namespace"), ageColumn],
  (o, now) => [name(o), str(status(o).phase), age(o, now)],
);

// ---------------------------------------------------------------------------------------------
// Configuration

const countKeys = (v: unknown): number => (v && typeof v === "object" ? Object.keys(v).length : 0);

export const configMapTable: TableDef = table(
  [nameColumn, docCol("Data", "string", "ConfigMap.data"), ageColumn],
  (o, now) => [name(o), countKeys(o.data) + countKeys(o.binaryData), age(o, now)],
);

export const secretTable: TableDef = table(
  [nameColumn, docCol("Type", "string", "Secret.type"), docCol("Data", "string", "Secret.data"), ageColumn],
  // stringData is merged into data on write; count it too in case an object still carries it.
  (o, now) => [name(o), str(o.type), countKeys({ ...(o.data ?? {}), ...(o.stringData ?? {}) }), age(o, now)],
);

export const serviceAccountTable: TableDef = table(
  [nameColumn, docCol("Secrets", "string", "ServiceAccount.secrets"), ageColumn],
  (o, now) => [name(o), arr(o.secrets).length, age(o, now)],
);

// ---------------------------------------------------------------------------------------------
// Events (core v1 and events.k8s.io/v1, which Kubernetes stores as one internal type)

/** formatEventSource: "component, host", falling back to reportingController/Instance. */
function eventSource(component: string, host: string): string {
  return host ? `${component}, ${host}` : component;
}

interface EventView {
  name: string;
  type: string;
  reason: string;
  message: string;
  kind: string;
  objectName: string;
  fieldPath: string;
  source: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series?: { count: number; lastObservedTime: unknown };
}

function eventCells(e: EventView, now: Date): unknown[] {
  const first = isZeroTime(e.firstTimestamp) ? since(e.eventTime, now) : since(e.firstTimestamp, now);
  let last = isZeroTime(e.lastTimestamp) ? first : since(e.lastTimestamp, now);
  let count = e.count;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    count = e.series.count;
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const target = e.objectName ? `${e.kind.toLowerCase()}/${e.objectName}` : e.kind.toLowerCase();
  return [last, e.type, e.reason, target, e.fieldPath, e.source, e.message.trim(), first, count, e.name];
}

const eventColumns = [
  docCol("Last Seen", "string", "Event.lastTimestamp"),
  docCol("Type", "string", "Event.type"),
  docCol("Reason", "string", "Event.reason"),
  docCol("Object", "string", "Event.involvedObject"),
  docCol("Subobject", "string", "ObjectReference.fieldPath", 1),
  docCol("Source", "string", "Event.source", 1),
  docCol("Message", "string", "Event.message"),
  docCol("First Seen", "string", "Event.firstTimestamp", 1),
  docCol("Count", "string", "Event.count", 1),
  { ...nameColumn, priority: 1 },
];

const seriesOf = (s: Obj | undefined): EventView["series"] =>
  s ? { count: int(s.count), lastObservedTime: s.lastObservedTime } : undefined;

export const eventTable: TableDef = table(eventColumns, (o, now) => {
  const ref: Obj = o.involvedObject ?? {};
  const src: Obj = o.source ?? {};
  return eventCells(
    {
      name: name(o),
      type: str(o.type),
      reason: str(o.reason),
      message: str(o.message),
      kind: str(ref.kind),
      objectName: str(ref.name),
      fieldPath: str(ref.fieldPath),
      source: eventSource(str(src.component) || str(o.reportingComponent), str(src.host) || str(o.reportingInstance)),
      firstTimestamp: o.firstTimestamp,
      lastTimestamp: o.lastTimestamp,
      eventTime: o.eventTime,
      count: int(o.count),
      series: seriesOf(o.series),
    },
    now,
  );
});

/** events.k8s.io/v1 Event: regarding/note/deprecated* are the core fields under new names. */
export const eventsV1EventTable: TableDef = table(eventColumns, (o, now) => {
  const ref: Obj = o.regarding ?? {};
  const src: Obj = o.deprecatedSource ?? {};
  return eventCells(
    {
      name: name(o),
      type: str(o.type),
      reason: str(o.reason),
      message: str(o.note),
      kind: str(ref.kind),
      objectName: str(ref.name),
      fieldPath: str(ref.fieldPath),
      source: eventSource(str(src.component) || str(o.reportingController), str(src.host) || str(o.reportingInstance)),
      firstTimestamp: o.deprecatedFirstTimestamp,
      lastTimestamp: o.deprecatedLastTimestamp,
      eventTime: o.eventTime,
      count: int(o.deprecatedCount),
      series: seriesOf(o.series),
    },
    now,
  );
});

// ---------------------------------------------------------------------------------------------
// Storage

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order. */
export function accessModes(modes: unknown): string {
  const set = new Set(arr(modes));
  const out: string[] = [];
  if (set.has("ReadWriteOnce")) out.push("RWO");
  if (set.has("ReadOnlyMany")) out.push("ROX");
  if (set.has("ReadWriteMany")) out.push("RWX");
  if (set.has("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

/** A quantity's canonical string; "0" for a missing one (Go's zero Quantity). */
function quantityString(v: unknown): string {
  if (v === undefined || v === null) return "0";
  const q = tryParseQuantity(v as string | number);
  return q ? formatQuantity(q) : str(v);
}

const BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class";
const storageClassOf = (o: Obj): string => {
  const ann = (meta(o).annotations ?? {}) as Record<string, string>;
  if (Object.hasOwn(ann, BETA_STORAGE_CLASS)) return ann[BETA_STORAGE_CLASS];
  return str(spec(o).storageClassName);
};

export const persistentVolumeTable: TableDef = table(
  [
    nameColumn,
    docCol("Capacity", "string", "PersistentVolumeSpec.capacity"),
    docCol("Access Modes", "string", "PersistentVolumeSpec.accessModes"),
    docCol("Reclaim Policy", "string", "PersistentVolumeSpec.persistentVolumeReclaimPolicy"),
    docCol("Status", "string", "PersistentVolumeStatus.phase"),
    docCol("Claim", "string", "PersistentVolumeSpec.claimRef"),
    col("StorageClass", "string", "StorageClass of the pv"),
    col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
    docCol("Reason", "string", "PersistentVolumeStatus.reason"),
    ageColumn,
    docCol("VolumeMode", "string", "PersistentVolumeSpec.volumeMode", 1),
  ],
  (o, now) => {
    const s = spec(o);
    const claim = s.claimRef ? `${str(s.claimRef.namespace)}/${str(s.claimRef.name)}` : "";
    return [
      name(o),
      quantityString(s.capacity?.storage),
      accessModes(s.accessModes),
      str(s.persistentVolumeReclaimPolicy),
      meta(o).deletionTimestamp ? "Terminating" : str(status(o).phase),
      claim,
      storageClassOf(o),
      typeof s.volumeAttributesClassName === "string" ? s.volumeAttributesClassName : "<unset>",
      str(status(o).reason),
      age(o, now),
      typeof s.volumeMode === "string" ? s.volumeMode : "<unset>",
    ];
  },
);

export const persistentVolumeClaimTable: TableDef = table(
  [
    nameColumn,
    docCol("Status", "string", "PersistentVolumeClaimStatus.phase"),
    docCol("Volume", "string", "PersistentVolumeClaimSpec.volumeName"),
    docCol("Capacity", "string", "PersistentVolumeClaimStatus.capacity"),
    docCol("Access Modes", "string", "PersistentVolumeClaimStatus.accessModes"),
    col("StorageClass", "string", "StorageClass of the pvc"),
    col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
    ageColumn,
    docCol("VolumeMode", "string", "PersistentVolumeClaimSpec.volumeMode", 1),
  ],
  (o, now) => {
    const s = spec(o);
    const bound = str(s.volumeName) !== "";
    return [
      name(o),
      meta(o).deletionTimestamp ? "Terminating" : str(status(o).phase),
      str(s.volumeName),
      bound ? quantityString(status(o).capacity?.storage) : "",
      bound ? accessModes(status(o).accessModes) : "",
      storageClassOf(o),
      typeof s.volumeAttributesClassName === "string" ? s.volumeAttributesClassName : "<unset>",
      age(o, now),
      typeof s.volumeMode === "string" ? s.volumeMode : "<unset>",
    ];
  },
);

// ---------------------------------------------------------------------------------------------
// Quotas

/** REQUEST and LIMIT: "cpu: 100m/1, pods: 2/10", resources sorted, limits.* in the second. */
export function resourceQuotaColumns(o: Obj): [string, string] {
  const hard: Record<string, unknown> = status(o).hard ?? {};
  const used: Record<string, unknown> = status(o).used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const pieces = r.split(".");
    const target = pieces.length > 1 && pieces[0] === "limits" ? limits : requests;
    target.push(`${r}: ${quantityString(used[r])}/${quantityString(hard[r])}`);
  }
  return [requests.join(", "), limits.join(", ")];
}

export const resourceQuotaTable: TableDef = table(
  [
    nameColumn,
    col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
    col(
      "Limit",
      "string",
      "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    ageColumn,
  ],
  (o, now) => [name(o), ...resourceQuotaColumns(o), age(o, now)],
);
