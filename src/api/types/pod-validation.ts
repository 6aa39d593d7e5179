// PodSpec, pod template and Pod validation (pkg/apis/core/validation ValidatePodSpec and friends).

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { validateAnnotations, validateLabelName, validateLabels } from "../validation/labels.js";
import { inclusiveRangeError, isDNS1123Label, isValidLabelValue, nameIsDNSSubdomain } from "../validation/names.js";
import { isIPAddress } from "../validation/net.js";
import { validateContainer, type ContainerContext } from "./container-validation.js";
import { arr, isObj, type Obj } from "./util.js";
import { validateVolumes } from "./volume-validation.js";

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const MAX_INT32 = 2147483647;

export function validateTolerations(tolerations: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const ip = `${path}[${i}]`;
    if (t.key) errs.push(...validateLabelName(t.key, `${ip}.key`));
    if (!t.key && t.operator !== "Exists") {
      errs.push(fieldInvalid(`${ip}.operator`, t.operator ?? "", 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      errs.push(fieldInvalid(`${ip}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? "") {
      case "":
      case "Equal": {
        const msgs = isValidLabelValue(t.value ?? "");
        if (msgs.length) errs.push(fieldInvalid(`${ip}.operator`, t.value ?? "", msgs.join(";")));
        break;
      }
      case "Exists":
        if (t.value) errs.push(fieldInvalid(`${ip}.operator`, t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fieldNotSupported(`${ip}.operator`, t.operator, ["Equal", "Exists"]));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(fieldNotSupported(`${ip}.effect`, t.effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateDNS(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.dnsPolicy) errs.push(fieldRequired(`${path}.dnsPolicy`, ""));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(fieldNotSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === "None" && !isObj(cfg)) errs.push(fieldRequired(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  if (isObj(cfg)) {
    const ns = arr<string>(cfg.nameservers);
    if (spec.dnsPolicy === "None" && ns.length === 0) errs.push(fieldRequired(`${path}.dnsConfig.nameservers`, "must provide at least one DNS nameserver when `dnsPolicy` is None"));
    if (ns.length > 3) errs.push(fieldInvalid(`${path}.dnsConfig.nameservers`, ns, "must not have more than 3 nameservers"));
    ns.forEach((n, i) => {
      if (!isIPAddress(n)) errs.push(fieldInvalid(`${path}.dnsConfig.nameservers[${i}]`, n, "must be valid IP address"));
    });
  }
  return errs;
}

const NODE_SELECTOR_OPS = ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"];

function validateNodeAffinity(aff: unknown, path: string): FieldError[] {
  if (!isObj(aff) || !isObj(aff.nodeAffinity)) return [];
  const req = aff.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (!isObj(req)) return [];
  const p = `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
  const terms = arr(req.nodeSelectorTerms);
  if (terms.length === 0) return [fieldRequired(p, "must have at least one node selector term")];
  const errs: FieldError[] = [];
  terms.forEach((t, i) => {
    arr(t.matchExpressions).forEach((e, j) => {
      const ep = `${p}[${i}].matchExpressions[${j}]`;
      if (!NODE_SELECTOR_OPS.includes(e.operator)) errs.push(fieldInvalid(`${ep}.operator`, e.operator ?? "", "not a valid selector operator"));
      errs.push(...validateLabelName(e.key ?? "", `${ep}.key`));
    });
  });
  return errs;
}

function validateTopologySpread(list: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const actions = ["DoNotSchedule", "ScheduleAnyway"];
  list.forEach((c, i) => {
    const ip = `${path}[${i}]`;
    if (typeof c.maxSkew !== "number" || c.maxSkew <= 0) errs.push(fieldInvalid(`${ip}.maxSkew`, c.maxSkew ?? 0, "must be greater than zero"));
    if (!c.topologyKey) errs.push(fieldRequired(`${ip}.topologyKey`, "can not be empty"));
    if (!actions.includes(c.whenUnsatisfiable)) errs.push(fieldNotSupported(`${ip}.whenUnsatisfiable`, c.whenUnsatisfiable ?? "", actions));
  });
  return errs;
}

/** A PodSpec at `path` ("spec" for Pods, "spec.template.spec" for workloads). */
export function validatePodSpec(spec: Obj | undefined, path: string): FieldError[] {
  const s = spec ?? {};
  const { names: volumes, errors: errs } = validateVolumes(arr(s.volumes), `${path}.volumes`);
  const containers = arr(s.containers);
  const names = new Set<string>();
  if (containers.length === 0) errs.push(fieldRequired(`${path}.containers`, ""));
  containers.forEach((c, i) => errs.push(...validateContainer(c, `${path}.containers[${i}]`, { volumes, names, kind: "container" })));
  const initCtx: ContainerContext = { volumes, names, kind: "init" };
  arr(s.initContainers).forEach((c, i) => errs.push(...validateContainer(c, `${path}.initContainers[${i}]`, initCtx)));
  arr(s.ephemeralContainers).forEach((c, i) => errs.push(...validateContainer(c, `${path}.ephemeralContainers[${i}]`, { volumes, names, kind: "ephemeral" })));
  // Two containers may not claim the same host port.
  const hostPorts = new Set<string>();
  [...arr(s.containers).map((c, i) => ({ c, p: `${path}.containers[${i}]` })), ...arr(s.initContainers).map((c, i) => ({ c, p: `${path}.initContainers[${i}]` }))].forEach(({ c, p }) => {
    arr(c.ports).forEach((port, j) => {
      if (!port.hostPort) return;
      const k = `${port.hostIP ?? ""}/${port.protocol ?? ""}/${port.hostPort}`;
      if (hostPorts.has(k)) errs.push(fieldDuplicate(`${p}.ports[${j}].hostPort`, k));
      hostPorts.add(k);
    });
  });
  if (!s.restartPolicy) errs.push(fieldRequired(`${path}.restartPolicy`, ""));
  else if (!RESTART_POLICIES.includes(s.restartPolicy)) errs.push(fieldNotSupported(`${path}.restartPolicy`, s.restartPolicy, RESTART_POLICIES));
  errs.push(...validateDNS(s, path));
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  if (s.serviceAccountName) for (const m of nameIsDNSSubdomain(s.serviceAccountName, false)) errs.push(fieldInvalid(`${path}.serviceAccountName`, s.serviceAccountName, m));
  if (s.nodeName) for (const m of nameIsDNSSubdomain(s.nodeName, false)) errs.push(fieldInvalid(`${path}.nodeName`, s.nodeName, m));
  if (s.priorityClassName) for (const m of nameIsDNSSubdomain(s.priorityClassName, false)) errs.push(fieldInvalid(`${path}.priorityClassName`, s.priorityClassName, m));
  for (const f of ["hostname", "subdomain"]) if (s[f]) for (const m of isDNS1123Label(s[f])) errs.push(fieldInvalid(`${path}.${f}`, s[f], m));
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (typeof v !== "number" || v < 1 || v > MAX_INT32) errs.push(fieldInvalid(`${path}.activeDeadlineSeconds`, v, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...validateTolerations(arr(s.tolerations), `${path}.tolerations`));
  errs.push(...validateNodeAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateTopologySpread(arr(s.topologySpreadConstraints), `${path}.topologySpreadConstraints`));
  arr(s.hostAliases).forEach((h, i) => {
    if (!isIPAddress(h.ip ?? "")) errs.push(fieldInvalid(`${path}.hostAliases[${i}].ip`, h.ip ?? "", "must be valid IP address"));
  });
  if (s.preemptionPolicy !== undefined && !["Never", "PreemptLowerPriority"].includes(s.preemptionPolicy)) {
    errs.push(fieldNotSupported(`${path}.preemptionPolicy`, s.preemptionPolicy, ["Never", "PreemptLowerPriority"]));
  }
  if (s.hostNetwork) {
    // With the host network, the container port is the host port.
    containers.forEach((c, i) =>
      arr(c.ports).forEach((p, j) => {
        if (p.hostPort && p.hostPort !== p.containerPort) errs.push(fieldInvalid(`${path}.containers[${i}].ports[${j}].containerPort`, p.containerPort, "must match `hostPort` when `hostNetwork` is true"));
      }),
    );
  }
  const sc = s.securityContext;
  if (isObj(sc)) {
    for (const f of ["runAsUser", "runAsGroup", "fsGroup"]) {
      if (typeof sc[f] === "number" && (sc[f] < 0 || sc[f] > MAX_INT32)) errs.push(fieldInvalid(`${path}.securityContext.${f}`, sc[f], inclusiveRangeError(0, MAX_INT32)));
    }
  }
  if (arr(s.schedulingGates).length > 0 && s.nodeName) errs.push(fieldForbidden(`${path}.nodeName`, "cannot be set until all schedulingGates have been cleared"));
  if (arr(s.imagePullSecrets).length > 0) {
    arr(s.imagePullSecrets).forEach((ps, i) => {
      if (!ps.name) errs.push(fieldRequired(`${path}.imagePullSecrets[${i}].name`, ""));
    });
  }
  return errs;
}

/**
 * A workload's pod template at `path` ("spec.template"). Kubernetes reports template labels at
 * `<path>.labels` (without "metadata"), and that quirk is kept so messages match.
 */
export function validatePodTemplate(template: Obj | undefined, path: string): FieldError[] {
  if (!isObj(template)) return [fieldRequired(path, "")];
  const meta = isObj(template.metadata) ? (template.metadata as Obj) : {};
  const errs = [...validateLabels(meta.labels, `${path}.labels`), ...validateAnnotations(meta.annotations, `${path}.annotations`)];
  errs.push(...validatePodSpec(template.spec, `${path}.spec`));
  if (arr(template.spec?.ephemeralContainers).length > 0) errs.push(fieldForbidden(`${path}.spec.ephemeralContainers`, "ephemeral containers not allowed in pod template"));
  return errs;
}

export function validatePod(pod: KubeObject): FieldError[] {
  const spec = isObj(pod.spec) ? (pod.spec as Obj) : undefined;
  if (!spec) return [fieldRequired("spec", "")];
  return validatePodSpec(spec, "spec");
}
