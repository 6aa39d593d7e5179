// What configMap, secret, downwardAPI and projected volumes contain, as payloads for the atomic
// writer (pkg/volume/{configmap,secret,downwardapi,projected}: MakePayload / CollectData), with
// Kubernetes' error messages. Pure apart from the injected object getters.

import type {
  ConfigMap,
  ConfigMapProjection,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  Secret,
  SecretProjection,
  Volume,
} from "kubernetes-types/core/v1.js";
import { findContainer } from "../env/resolve.js";
import { podFieldValue, resourceFieldValue, type Allocatable, type FieldContext } from "../env/fields.js";
import type { Payload } from "./atomic-writer.js";

export const DEFAULT_MODE = 0o644;

/** Reads objects of the pod's namespace; undefined = not found. */
export interface ObjectSource {
  configMap(name: string): Promise<ConfigMap | undefined>;
  secret(name: string): Promise<Secret | undefined>;
  /** Node allocatable, for resourceFieldRef limits without a limit. */
  allocatable(): Promise<Allocatable>;
  /** Service account token for projected volumes (issue 5); undefined when not available yet. */
  serviceAccountToken?(req: { audience?: string; expirationSeconds: number }): Promise<string | undefined>;
}

type Bytes = Record<string, Buffer>;

function keyedPayload(
  all: Bytes,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  what: "configmap" | "secret",
  out: Payload,
): void {
  if (!items?.length) {
    for (const [k, v] of Object.entries(all)) out.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const it of items) {
    const v = all[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new Error(what === "configmap" ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
}

const configMapBytes = (cm: ConfigMap): Bytes => ({
  ...Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "utf8")])),
  ...Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])),
});
const secretBytes = (s: Secret): Bytes => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));

async function configMapInto(
  src: ObjectSource,
  ref: { name?: string; items?: KeyToPath[]; optional?: boolean },
  mode: number,
  out: Payload,
): Promise<void> {
  const name = ref.name ?? "";
  const cm = await src.configMap(name);
  if (!cm) {
    if (ref.optional) return;
    throw new Error(`configmap "${name}" not found`);
  }
  keyedPayload(configMapBytes(cm), ref.items, mode, !!ref.optional, "configmap", out);
}

async function secretInto(src: ObjectSource, ref: { name?: string; items?: KeyToPath[]; optional?: boolean }, mode: number, out: Payload): Promise<void> {
  const name = ref.name ?? "";
  const s = await src.secret(name);
  if (!s) {
    if (ref.optional) return;
    throw new Error(`secret "${name}" not found`);
  }
  keyedPayload(secretBytes(s), ref.items, mode, !!ref.optional, "secret", out);
}

async function downwardInto(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, mode: number, src: ObjectSource, ctx: FieldContext, out: Payload): Promise<void> {
  for (const it of items ?? []) {
    let value: string;
    if (it.fieldRef) {
      value = podFieldValue(pod, it.fieldRef, ctx, true);
    } else if (it.resourceFieldRef) {
      const c = findContainer(pod, it.resourceFieldRef.containerName ?? "");
      if (!c) throw new Error(`container ${it.resourceFieldRef.containerName ?? ""} not found`);
      value = resourceFieldValue(c, it.resourceFieldRef, it.resourceFieldRef.resource.startsWith("limits.") ? await src.allocatable() : {});
    } else {
      continue;
    }
    out.set(it.path, { data: value, mode: it.mode ?? mode });
  }
}

/** The files of an atomically written volume; undefined for other volume types. */
export async function volumePayload(pod: Pod, vol: Volume, src: ObjectSource, ctx: FieldContext = {}): Promise<Payload | undefined> {
  const out: Payload = new Map();
  if (vol.configMap) {
    await configMapInto(src, vol.configMap, vol.configMap.defaultMode ?? DEFAULT_MODE, out);
  } else if (vol.secret) {
    await secretInto(src, { name: vol.secret.secretName, items: vol.secret.items, optional: vol.secret.optional }, vol.secret.defaultMode ?? DEFAULT_MODE, out);
  } else if (vol.downwardAPI) {
    await downwardInto(pod, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? DEFAULT_MODE, src, ctx, out);
  } else if (vol.projected) {
    const mode = vol.projected.defaultMode ?? DEFAULT_MODE;
    for (const s of vol.projected.sources ?? []) {
      if (s.configMap) await configMapInto(src, s.configMap as ConfigMapProjection, mode, out);
      else if (s.secret) await secretInto(src, s.secret as SecretProjection, mode, out);
      else if (s.downwardAPI) await downwardInto(pod, s.downwardAPI.items, mode, src, ctx, out);
      else if (s.serviceAccountToken) {
        // A bound token for the pod's ServiceAccount (the VolumeManager's token source renews it);
        // with no token source (tests, no API client) the file is left out.
        const tok = await src.serviceAccountToken?.({ audience: s.serviceAccountToken.audience, expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3607 });
        if (tok !== undefined) out.set(s.serviceAccountToken.path, { data: tok, mode });
      }
    }
  } else {
    return undefined;
  }
  return out;
}
