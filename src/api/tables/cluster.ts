// Tables of the remaining API groups: rbac, storage, policy, coordination, discovery,
// networking, scheduling, node, admissionregistration and certificates, following printers.go.
// Roles, ClusterRoles and LimitRanges have no printer in Kubernetes and use the default table.

import type { TableDef } from "../registry/types.js";
import { formatLabelSelector } from "../selectors/labels.js";
import { age, ageColumn, arr, col, docCol, int, listWithMore, meta, name, nameColumn, spec, status, str, table, type Obj } from "./columns.js";
import { humanDuration } from "./duration.js";

// ---------------------------------------------------------------------------------------------
// rbac.authorization.k8s.io

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts, ", "-joined. */
function subjects(o: Obj): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of arr(o.subjects)) {
    if (s?.kind === "ServiceAccount") sas.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s?.kind === "User") users.push(str(s.name));
    else if (s?.kind === "Group") groups.push(str(s.name));
  }
  return [users.join(", "), groups.join(", "), sas.join(", ")];
}

const bindingTable = (what: "roleBinding" | "clusterRoleBinding"): TableDef =>
  table(
    [
      nameColumn,
      docCol("Role", "string", what === "roleBinding" ? "RoleBinding.roleRef" : "ClusterRoleBinding.roleRef"),
      ageColumn,
      col("Users", "string", `Users in the ${what}`, 1),
      col("Groups", "string", `Groups in the ${what}`, 1),
      col("ServiceAccounts", "string", `ServiceAccounts in the ${what}`, 1),
    ],
    (o, now) => [name(o), `${str(o.roleRef?.kind)}/${str(o.roleRef?.name)}`, age(o, now), ...subjects(o)],
  );

export const roleBindingTable = bindingTable("roleBinding");
export const clusterRoleBindingTable = bindingTable("clusterRoleBinding");

// ---------------------------------------------------------------------------------------------
// storage.k8s.io

const isDefaultClass = (o: Obj): boolean => {
  const ann = (meta(o).annotations ?? {}) as Record<string, string>;
  return ann["storageclass.kubernetes.io/is-default-class"] === "true" || ann["storageclass.beta.kubernetes.io/is-default-class"] === "true";
};

export const storageClassTable: TableDef = table(
  [
    nameColumn,
    docCol("Provisioner", "string", "StorageClass.provisioner"),
    docCol("ReclaimPolicy", "string", "StorageClass.reclaimPolicy"),
    docCol("VolumeBindingMode", "string", "StorageClass.volumeBindingMode"),
    docCol("AllowVolumeExpansion", "string", "StorageClass.allowVolumeExpansion"),
    ageColumn,
  ],
  (o, now) => [
    isDefaultClass(o) ? `${name(o)} (default)` : name(o),
    str(o.provisioner),
    typeof o.reclaimPolicy === "string" ? o.reclaimPolicy : "Delete",
    typeof o.volumeBindingMode === "string" ? o.volumeBindingMode : "Immediate",
    o.allowVolumeExpansion === true,
    age(o, now),
  ],
);

export const csiNodeTable: TableDef = table(
  [nameColumn, col("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"), ageColumn],
  (o, now) => [name(o), arr(spec(o).drivers).length, age(o, now)],
);

// ---------------------------------------------------------------------------------------------
// policy, coordination, discovery, scheduling, node

/** IntOrString.String(). */
const intOrString = (v: unknown): string => (typeof v === "number" ? String(v) : str(v));

export const podDisruptionBudgetTable: TableDef = table(
  [
    nameColumn,
    col("Min Available", "string", "The minimum number of pods that must be available."),
    col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
    col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
    ageColumn,
  ],
  (o, now) => {
    const s = spec(o);
    return [
      name(o),
      s.minAvailable !== undefined && s.minAvailable !== null ? intOrString(s.minAvailable) : "N/A",
      s.maxUnavailable !== undefined && s.maxUnavailable !== null ? intOrString(s.maxUnavailable) : "N/A",
      int(status(o).disruptionsAllowed),
      age(o, now),
    ];
  },
);

export const leaseTable: TableDef = table(
  [nameColumn, docCol("Holder", "string", "LeaseSpec.holderIdentity"), ageColumn],
  (o, now) => [name(o), str(spec(o).holderIdentity), age(o, now)],
);

export const endpointSliceTable: TableDef = table(
  [
    nameColumn,
    docCol("AddressType", "string", "EndpointSlice.addressType"),
    docCol("Ports", "string", "EndpointSlice.ports"),
    docCol("Endpoints", "string", "EndpointSlice.endpoints"),
    ageColumn,
  ],
  (o, now) => {
    const ports = arr(o.ports).map((p) => (typeof p?.port === "number" ? String(p.port) : typeof p?.name === "string" ? p.name : "*"));
    const addresses = arr(o.endpoints).flatMap((e) => arr(e?.addresses).map(str));
    return [name(o), str(o.addressType), listWithMore(ports, ports.length, 3), listWithMore(addresses, addresses.length, 3), age(o, now)];
  },
);

export const priorityClassTable: TableDef = table(
  [
    nameColumn,
    docCol("Value", "integer", "PriorityClass.value"),
    docCol("Global-Default", "boolean", "PriorityClass.globalDefault"),
    ageColumn,
    docCol("PreemptionPolicy", "string", "PriorityClass.preemptionPolicy"),
  ],
  (o, now) => [name(o), int(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
);

// RuntimeClass's description is looked up in ObjectMeta's docs, which has no "handler": empty.
export const runtimeClassTable: TableDef = table([nameColumn, col("Handler", "string", ""), ageColumn], (o, now) => [
  name(o),
  str(o.handler),
  age(o, now),
]);

// ---------------------------------------------------------------------------------------------
// networking.k8s.io

function ingressHosts(o: Obj): string {
  const rules = arr(spec(o).rules);
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && r?.host) list.push(str(r.host));
  }
  if (list.length === 0) return "*";
  return more ? `${list.join(",")} + ${rules.length - max} more...` : list.join(",");
}

export const ingressTable: TableDef = table(
  [
    nameColumn,
    col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
    col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
    col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
    col("Ports", "string", "Ports of TLS configurations that open"),
    ageColumn,
  ],
  (o, now) => {
    const addrs = new Set<string>();
    for (const ing of arr(status(o).loadBalancer?.ingress)) {
      if (ing?.ip) addrs.add(str(ing.ip));
      else if (ing?.hostname) addrs.add(str(ing.hostname));
    }
    return [
      name(o),
      typeof spec(o).ingressClassName === "string" ? spec(o).ingressClassName : "<none>",
      ingressHosts(o),
      [...addrs].sort().join(","),
      arr(spec(o).tls).length ? "80, 443" : "80",
      age(o, now),
    ];
  },
);

export const ingressClassTable: TableDef = table(
  [
    nameColumn,
    col("Controller", "string", "Controller that is responsible for handling this class"),
    col("Parameters", "string", "A reference to a resource with additional parameters"),
    ageColumn,
  ],
  (o, now) => {
    const p = spec(o).parameters;
    const params = p ? `${str(p.kind)}${p.apiGroup ? `.${str(p.apiGroup)}` : ""}/${str(p.name)}` : "<none>";
    return [name(o), str(spec(o).controller), params, age(o, now)];
  },
);

export const networkPolicyTable: TableDef = table(
  [nameColumn, docCol("Pod-Selector", "string", "NetworkPolicySpec.podSelector"), ageColumn],
  (o, now) => [name(o), formatLabelSelector(spec(o).podSelector ?? {}), age(o, now)],
);

// ---------------------------------------------------------------------------------------------
// admissionregistration.k8s.io and certificates.k8s.io

export const webhookConfigurationTable: TableDef = table(
  [nameColumn, col("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"), ageColumn],
  (o, now) => [name(o), arr(o.webhooks).length, age(o, now)],
);

/** CONDITION: Denied/Approved/Pending, then ",Failed" and ",Issued". */
function csrCondition(o: Obj): string {
  const types = new Set(arr(status(o).conditions).map((c) => c?.type));
  let s = types.has("Denied") ? "Denied" : types.has("Approved") ? "Approved" : "Pending";
  if (types.has("Failed")) s += ",Failed";
  if (str(status(o).certificate).length > 0) s += ",Issued";
  return s;
}

export const certificateSigningRequestTable: TableDef = table(
  [
    nameColumn,
    ageColumn,
    docCol("SignerName", "string", "CertificateSigningRequestSpec.signerName"),
    docCol("Requestor", "string", "CertificateSigningRequestSpec.request"),
    docCol("RequestedDuration", "string", "CertificateSigningRequestSpec.expirationSeconds"),
    docCol("Condition", "string", "CertificateSigningRequestStatus.conditions"),
  ],
  (o, now) => {
    const s = spec(o);
    const seconds = typeof s.expirationSeconds === "number" ? s.expirationSeconds : undefined;
    return [
      name(o),
      age(o, now),
      str(s.signerName) || "<none>",
      str(s.username),
      seconds === undefined ? "<none>" : humanDuration(seconds * 1000),
      csrCondition(o),
    ];
  },
);
