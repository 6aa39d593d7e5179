// What Kubernetes' ServiceAccount admission plugin adds to a new Pod (plugin/pkg/admission/
// serviceaccount): serviceAccountName "default" when none is named, and — unless
// spec.automountServiceAccountToken (or, when the pod leaves it unset, the ServiceAccount's) is false — a projected `kube-api-access-<random>` volume
// (a bound token, the cluster CA from ConfigMap kube-root-ca.crt, the namespace) mounted read-only
// at /var/run/secrets/kubernetes.io/serviceaccount in every init and app container that does not
// mount something there already. Mirror pods (static pods) are left alone.

import { arr, isObj, type Obj } from "./util.js";

export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
export const API_ACCESS_VOLUME_PREFIX = "kube-api-access-";
export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
/** One hour plus 7 s: the kubelet-visible marker of the admission-injected token. */
export const API_ACCESS_TOKEN_SECONDS = 3607;
const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

// Kubernetes' utilrand alphabet: no vowels, no confusable characters.
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

export function randomSuffix(n = 5, random: () => number = Math.random): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)];
  return s;
}

/** The projected volume the admission plugin injects. */
export function apiAccessVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: API_ACCESS_TOKEN_SECONDS, path: "token" } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    },
  };
}

/**
 * Applies the ServiceAccount admission defaults to a Pod being created (in place). `serviceAccount`:
 * the pod's ServiceAccount when it exists; its automountServiceAccountToken: false applies unless
 * the pod says otherwise.
 */
export function admitPodServiceAccount(pod: Obj, random: () => number = Math.random, serviceAccount?: Obj): void {
  if (!isObj(pod.spec)) pod.spec = {};
  const spec = pod.spec as Obj;
  const annotations = isObj(pod.metadata?.annotations) ? (pod.metadata.annotations as Obj) : {};
  if (annotations[MIRROR_ANNOTATION] !== undefined) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || "default";
  if (spec.automountServiceAccountToken === false) return;
  if (spec.automountServiceAccountToken === undefined && serviceAccount?.automountServiceAccountToken === false) return;

  const volumes = arr(spec.volumes);
  const names = new Set(volumes.map((v) => v.name as string));
  let volumeName = volumes.find((v) => typeof v.name === "string" && v.name.startsWith(API_ACCESS_VOLUME_PREFIX))?.name as string | undefined;
  const hasVolume = volumeName !== undefined;
  while (volumeName === undefined || (!hasVolume && names.has(volumeName))) volumeName = API_ACCESS_VOLUME_PREFIX + randomSuffix(5, random);

  let needed = false;
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) {
    const mounts = arr(c.volumeMounts);
    if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
    needed = true;
  }
  if (needed && !hasVolume) spec.volumes = [...volumes, apiAccessVolume(volumeName)];
}
