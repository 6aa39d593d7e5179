// Pod defaulting, as Kubernetes' SetDefaults_Pod / SetDefaults_PodSpec / SetDefaults_Container and
// friends (pkg/apis/core/v1/defaults.go), plus the defaults the standard admission plugins add to
// every Pod (ServiceAccount, Priority, DefaultTolerationSeconds).
//
// `podSpecDefaults` is for every PodSpec, including workload templates; `podDefaults` adds what
// only materializes on real Pods (enableServiceLinks, requests from limits, admission defaults).

import { parseQuantity } from "../validation/quantity.js";
import { arr, dflt, ensureObj, isObj, type Obj } from "./util.js";

const DEFAULT_MODE = 0o644; // 420: file mode of projected configMap/secret/downwardAPI files

/** Always when the image has no tag or the tag is `latest`, IfNotPresent otherwise (digests too). */
export function defaultPullPolicy(image: string): string {
  if (image.includes("@")) return "IfNotPresent";
  const lastSlash = image.lastIndexOf("/");
  const tail = image.slice(lastSlash + 1);
  const colon = tail.lastIndexOf(":");
  if (colon < 0) return "Always";
  return tail.slice(colon + 1) === "latest" ? "Always" : "IfNotPresent";
}

function httpGetDefaults(h: unknown): void {
  if (!isObj(h)) return;
  dflt(h, "path", "/");
  dflt(h, "scheme", "HTTP");
}

function probeDefaults(p: unknown): void {
  if (!isObj(p)) return;
  dflt(p, "timeoutSeconds", 1);
  dflt(p, "periodSeconds", 10);
  dflt(p, "successThreshold", 1);
  dflt(p, "failureThreshold", 3);
  httpGetDefaults(p.httpGet);
}

function lifecycleDefaults(l: unknown): void {
  if (!isObj(l)) return;
  for (const h of [l.postStart, l.preStop]) if (isObj(h)) httpGetDefaults(h.httpGet);
}

function fieldRefDefaults(env: Obj): void {
  const vf = env.valueFrom;
  if (isObj(vf) && isObj(vf.fieldRef)) dflt(vf.fieldRef, "apiVersion", "v1");
}

export function containerDefaults(c: Obj): void {
  // Like Kubernetes, an unparseable or missing image counts as untagged: Always.
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(typeof c.image === "string" ? c.image : "");
  dflt(c, "terminationMessagePath", "/dev/termination-log");
  dflt(c, "terminationMessagePolicy", "File");
  for (const p of arr(c.ports)) dflt(p, "protocol", "TCP");
  for (const e of arr(c.env)) fieldRefDefaults(e);
  probeDefaults(c.livenessProbe);
  probeDefaults(c.readinessProbe);
  probeDefaults(c.startupProbe);
  lifecycleDefaults(c.lifecycle);
}

/** Every volume source field of a Volume; a volume must set exactly one. */
export const VOLUME_SOURCES = [
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
  "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
  "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
  "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
] as const;

function downwardItemsDefaults(items: unknown): void {
  for (const it of arr(items)) if (isObj(it.fieldRef)) dflt(it.fieldRef, "apiVersion", "v1");
}

function volumeDefaults(v: Obj): void {
  // A volume with no source at all is an emptyDir.
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  if (isObj(v.secret)) dflt(v.secret, "defaultMode", DEFAULT_MODE);
  if (isObj(v.configMap)) dflt(v.configMap, "defaultMode", DEFAULT_MODE);
  if (isObj(v.downwardAPI)) {
    dflt(v.downwardAPI, "defaultMode", DEFAULT_MODE);
    downwardItemsDefaults(v.downwardAPI.items);
  }
  if (isObj(v.projected)) {
    dflt(v.projected, "defaultMode", DEFAULT_MODE);
    for (const src of arr(v.projected.sources)) {
      if (isObj(src.serviceAccountToken)) dflt(src.serviceAccountToken, "expirationSeconds", 3600);
      if (isObj(src.downwardAPI)) downwardItemsDefaults(src.downwardAPI.items);
    }
  }
  if (isObj(v.hostPath)) dflt(v.hostPath, "type", "");
  if (isObj(v.iscsi)) dflt(v.iscsi, "iscsiInterface", "default");
  if (isObj(v.rbd)) {
    dflt(v.rbd, "pool", "rbd");
    dflt(v.rbd, "user", "admin");
    dflt(v.rbd, "keyring", "/etc/ceph/keyring");
  }
  if (isObj(v.azureDisk)) {
    dflt(v.azureDisk, "cachingMode", "ReadWrite");
    dflt(v.azureDisk, "fsType", "ext4");
    dflt(v.azureDisk, "readOnly", false);
    dflt(v.azureDisk, "kind", "Shared");
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate) && isObj(v.ephemeral.volumeClaimTemplate.spec)) {
    dflt(v.ephemeral.volumeClaimTemplate.spec, "volumeMode", "Filesystem");
  }
}

/** SetDefaults_PodSpec plus everything nested in it. Used for Pods and for workload templates. */
export function podSpecDefaults(spec: Obj): void {
  dflt(spec, "dnsPolicy", "ClusterFirst");
  dflt(spec, "restartPolicy", "Always");
  dflt(spec, "securityContext", {});
  dflt(spec, "terminationGracePeriodSeconds", 30);
  dflt(spec, "schedulerName", "default-scheduler");
  for (const c of arr(spec.initContainers)) containerDefaults(c);
  for (const c of arr(spec.containers)) containerDefaults(c);
  for (const c of arr(spec.ephemeralContainers)) containerDefaults(c);
  for (const v of arr(spec.volumes)) volumeDefaults(v);
}

/** Pod template (`spec.template` of workloads): only the PodSpec defaults apply. */
export function podTemplateDefaults(template: Obj | undefined): void {
  if (!isObj(template)) return;
  podSpecDefaults(ensureObj(template, "spec"));
}

// A request left unset takes the limit, so a container with only limits is Guaranteed.
function requestsFromLimits(c: Obj): void {
  const res = c.resources;
  if (!isObj(res) || !isObj(res.limits)) return;
  const limits = res.limits as Obj;
  if (Object.keys(limits).length === 0) return;
  const requests = ensureObj(res, "requests");
  for (const [k, v] of Object.entries(limits)) dflt(requests, k, v);
}

/** Not-ready/unreachable NoExecute tolerations (DefaultTolerationSeconds admission, 300 s). */
const DEFAULT_TOLERATION_KEYS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

function defaultTolerations(spec: Obj): void {
  const tolerations = arr(spec.tolerations);
  for (const key of DEFAULT_TOLERATION_KEYS) {
    // A toleration that already covers the key with NoExecute (or any effect) is kept as the user wrote it.
    const covered = tolerations.some((t) => (t.key === key || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoExecute"));
    if (!covered) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

function qosClass(spec: Obj): string {
  const containers = [...arr(spec.initContainers), ...arr(spec.containers)];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = isObj(c.resources?.requests) ? (c.resources.requests as Obj) : {};
    const lim = isObj(c.resources?.limits) ? (c.resources.limits as Obj) : {};
    const relevant = (o: Obj) => Object.keys(o).filter((k) => k === "cpu" || k === "memory");
    if (relevant(req).length || relevant(lim).length) anySet = true;
    for (const r of ["cpu", "memory"]) {
      if (lim[r] === undefined || parseQuantity(req[r] ?? lim[r]) !== parseQuantity(lim[r])) guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/**
 * All Pod defaults. Besides SetDefaults_Pod this applies what admission does to every Pod in a
 * standard cluster: serviceAccountName "default" (ServiceAccount), priority 0 and
 * preemptionPolicy PreemptLowerPriority when no priorityClassName is used (Priority), the two
 * 300-second NoExecute tolerations (DefaultTolerationSeconds), and, when the Pod has no status
 * yet, status.phase Pending with its qosClass (the Pod strategy's PrepareForCreate).
 * The API-access token volume that the ServiceAccount admission mounts is left to the API server,
 * because it needs a random name suffix.
 */
export function podDefaults(pod: Obj): void {
  const spec = ensureObj(pod, "spec");
  podSpecDefaults(spec);
  dflt(spec, "enableServiceLinks", true);
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) requestsFromLimits(c);
  if (spec.hostNetwork) {
    // With the host network the container port is the host port.
    for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) for (const p of arr(c.ports)) dflt(p, "hostPort", p.containerPort);
  }
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || "default";
  dflt(spec, "serviceAccount", spec.serviceAccountName); // the deprecated alias mirrors the name
  if (!spec.priorityClassName) dflt(spec, "priority", 0);
  dflt(spec, "preemptionPolicy", "PreemptLowerPriority");
  defaultTolerations(spec);
  const status = ensureObj(pod, "status");
  if (!status.phase) status.phase = "Pending";
  if (!status.qosClass) status.qosClass = qosClass(spec);
}
