// The node container's configuration (/etc/minicluster/node.json), written by the provisioner
// before the container starts. See the node contract: which role, how to reach the API server,
// the extra labels and registration taints of the node.

import type { Taint } from "kubernetes-types/core/v1.js";
import { validateLabels } from "../api/validation/labels.js";
import { isDNS1123Subdomain } from "../api/validation/names.js";
import type { NodeRole } from "../kubelet/node-status.js";

export interface NodeConfig {
  cluster: string;
  nodeName: string;
  role: NodeRole;
  /** How this node's kubelet reaches the API server (a control-plane node uses 127.0.0.1 instead). */
  apiServer?: string;
  labels: Record<string, string>;
  taints: Taint[];
  podSubnet?: string;
  serviceSubnet?: string;
  /** Control-plane only: extra names in the API server's serving certificate. */
  tlsSans: string[];
}

const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** Parses and checks node.json; errors name the field. Unknown fields are ignored (newer provisioners). */
export function parseNodeConfig(text: string, source = "node config"): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${source}: not valid JSON`, { cause });
  }
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: ${field}: ${why}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("(top level)", "must be an object");
  const o = raw as Record<string, unknown>;
  const str = (field: string, required: boolean): string | undefined => {
    const v = o[field];
    if (v === undefined || v === null) return required ? fail(field, "is required") : undefined;
    if (typeof v !== "string" || (required && v === "")) return fail(field, "must be a non-empty string");
    return v;
  };

  const cluster = str("cluster", true)!;
  const nodeName = str("nodeName", true)!;
  const nameErrs = isDNS1123Subdomain(nodeName);
  if (nameErrs.length) fail("nodeName", nameErrs[0]);
  const roleText = str("role", true)!;
  if (roleText !== "control-plane" && roleText !== "worker") fail("role", `must be "control-plane" or "worker", got ${JSON.stringify(roleText)}`);
  const role = roleText as NodeRole;
  const apiServer = str("apiServer", role === "worker");
  if (apiServer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(apiServer);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:") fail("apiServer", `must be an https:// URL, got ${JSON.stringify(apiServer)}`);
  }

  const labels = o.labels ?? {};
  if (typeof labels !== "object" || labels === null || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== "string")) {
    fail("labels", "must be an object of string values");
  }
  const labelErrs = validateLabels(labels as Record<string, string>, "labels");
  if (labelErrs.length) fail(labelErrs[0].field, labelErrs[0].detail);

  const taintsRaw = o.taints ?? [];
  if (!Array.isArray(taintsRaw)) fail("taints", "must be a list");
  const taints = (taintsRaw as unknown[]).map((t, i): Taint => {
    const at = `taints[${i}]`;
    if (typeof t !== "object" || t === null) return fail(at, "must be an object");
    const { key, value, effect } = t as Record<string, unknown>;
    if (typeof key !== "string" || key === "") return fail(`${at}.key`, "must be a non-empty string");
    if (value !== undefined && typeof value !== "string") return fail(`${at}.value`, "must be a string");
    if (typeof effect !== "string" || !EFFECTS.includes(effect)) return fail(`${at}.effect`, `must be one of ${EFFECTS.join(", ")}`);
    return { key, ...(value ? { value } : {}), effect };
  });

  const sans = o.tlsSans ?? [];
  if (!Array.isArray(sans) || sans.some((s) => typeof s !== "string" || s === "")) fail("tlsSans", "must be a list of non-empty strings");

  return {
    cluster,
    nodeName,
    role,
    ...(apiServer !== undefined ? { apiServer } : {}),
    labels: { ...(labels as Record<string, string>) },
    taints,
    ...(str("podSubnet", false) !== undefined ? { podSubnet: o.podSubnet as string } : {}),
    ...(str("serviceSubnet", false) !== undefined ? { serviceSubnet: o.serviceSubnet as string } : {}),
    tlsSans: [...(sans as string[])],
  };
}
