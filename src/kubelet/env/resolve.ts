// A container's environment as the kubelet makes it (makeEnvironmentVariables): envFrom sources
// in order (prefix, invalid names skipped with a warning), then env entries in order — `value`
// with $(VAR) expansion over what is defined so far (and the service variables), valueFrom
// (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef) taken literally. A missing
// non-optional ConfigMap/Secret or key is a ContainerConfigError: the lifecycle reports it as
// CreateContainerConfigError with this message. The final process env (resolveEnv) puts it over
// the image's env and the default PATH, like containerd's WithEnv (a later value replaces an
// earlier one in place).

import type { ConfigMap, Container, Node, Pod, Secret } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../client/api-error.js";
import type { RestClient } from "../../client/rest.js";
import type { ImageRecord } from "../oci/image-record.js";
import { expandVars, lookupIn } from "./expand.js";
import { podFieldValue, resourceFieldValue, type Allocatable } from "./fields.js";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const CONFIGMAPS = { group: "", version: "v1", plural: "configmaps", namespaced: true } as const;
const SECRETS = { group: "", version: "v1", plural: "secrets", namespaced: true } as const;
const NODES = { group: "", version: "v1", plural: "nodes", namespaced: false } as const;

/** A container cannot be configured (reason CreateContainerConfigError); the message is Kubernetes'. */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
  readonly reason = "CreateContainerConfigError";
}

export interface EnvContext {
  client: Pick<RestClient, "get">;
  nodeName: string;
  hostIP: string;
  podIP: string;
  podIPs?: string[];
  /** Node allocatable for limits.* without a limit; read from the Node object when absent. */
  nodeAllocatable?: Allocatable;
  /** Service link variables (issue 5); they never override the container's own. */
  serviceEnv?: Readonly<Record<string, string>>;
  /** Warnings the kubelet turns into events: (reason, message). */
  onWarning?: (reason: string, message: string) => void;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
export const isEnvVarName = (s: string): boolean => ENV_NAME.test(s);

const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;

/** Reads ConfigMaps/Secrets once per resolution; NotFound is undefined. */
class ObjectCache {
  private readonly configMaps = new Map<string, Promise<ConfigMap | undefined>>();
  private readonly secrets = new Map<string, Promise<Secret | undefined>>();
  constructor(
    private readonly client: Pick<RestClient, "get">,
    private readonly namespace: string,
  ) {}
  private fetch<T>(cache: Map<string, Promise<T | undefined>>, r: typeof CONFIGMAPS | typeof SECRETS, name: string): Promise<T | undefined> {
    let p = cache.get(name);
    if (!p) {
      p = this.client.get<T>(r, name, { namespace: this.namespace }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      cache.set(name, p);
    }
    return p;
  }
  configMap(name: string): Promise<ConfigMap | undefined> {
    return this.fetch(this.configMaps, CONFIGMAPS, name);
  }
  secret(name: string): Promise<Secret | undefined> {
    return this.fetch(this.secrets, SECRETS, name);
  }
}

const decode = (b64: string): string => Buffer.from(b64, "base64").toString("utf8");

/** The container's own variables in order (envFrom, then env; a later name replaces an earlier one in place). */
export async function resolveContainerEnv(pod: Pod, container: Container, ctx: EnvContext): Promise<Array<[string, string]>> {
  const ns = pod.metadata?.namespace ?? "default";
  const cache = new ObjectCache(ctx.client, ns);
  const env = new Map<string, string>();
  let allocatable = ctx.nodeAllocatable;
  const getAllocatable = async (): Promise<Allocatable> => {
    if (!allocatable) {
      const node = await ctx.client.get<Node>(NODES, pod.spec?.nodeName || ctx.nodeName);
      allocatable = (node.status?.allocatable ?? {}) as Allocatable;
    }
    return allocatable;
  };

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    let data: Record<string, string> | undefined;
    let what: string;
    let name: string;
    if (from.configMapRef) {
      name = from.configMapRef.name ?? "";
      what = "configMap";
      const cm = await cache.configMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      name = from.secretRef.name ?? "";
      what = "secret";
      const s = await cache.secret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, decode(v)]));
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data)) {
      const key = prefix + k;
      if (!isEnvVarName(key)) {
        invalid.push(key);
        continue;
      }
      env.set(key, v);
    }
    if (invalid.length) {
      ctx.onWarning?.(
        "InvalidEnvironmentVariableNames",
        `Keys [${invalid.sort().join(", ")}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  const lookup = lookupIn(env, ctx.serviceEnv);
  for (const v of container.env ?? []) {
    let value = v.value ?? "";
    if (value !== "") {
      value = expandVars(value, lookup);
    } else if (v.valueFrom) {
      const vf = v.valueFrom;
      if (vf.fieldRef) {
        try {
          value = podFieldValue(pod, vf.fieldRef, { nodeName: ctx.nodeName, hostIP: ctx.hostIP, podIP: ctx.podIP, podIPs: ctx.podIPs });
        } catch (err) {
          throw new ContainerConfigError((err as Error).message);
        }
      } else if (vf.resourceFieldRef) {
        const ref = vf.resourceFieldRef;
        const target = ref.containerName ? findContainer(pod, ref.containerName) : container;
        if (!target) throw new ContainerConfigError(`container ${ref.containerName} not found`);
        const alloc = ref.resource.startsWith("limits.") ? await getAllocatable() : {};
        try {
          value = resourceFieldValue(target, ref, alloc);
        } catch (err) {
          throw new ContainerConfigError((err as Error).message);
        }
      } else if (vf.configMapKeyRef) {
        const { name = "", key, optional } = vf.configMapKeyRef;
        const cm = await cache.configMap(name);
        if (!cm) {
          if (optional) continue;
          throw new ContainerConfigError(`configmap "${name}" not found`);
        }
        const val = cm.data?.[key];
        if (val === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
        }
        value = val;
      } else if (vf.secretKeyRef) {
        const { name = "", key, optional } = vf.secretKeyRef;
        const s = await cache.secret(name);
        if (!s) {
          if (optional) continue;
          throw new ContainerConfigError(`secret "${name}" not found`);
        }
        const val = s.data?.[key];
        if (val === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
        }
        value = decode(val);
      }
    }
    env.set(v.name, value);
  }

  const out = [...env.entries()];
  for (const [k, v] of Object.entries(ctx.serviceEnv ?? {})) if (!env.has(k)) out.push([k, v]);
  return out;
}

export function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

/** containerd's WithEnv: each K=V replaces the same K in place, new ones are appended. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  const index = new Map<string, number>();
  out.forEach((kv, i) => index.set(envKey(kv), i));
  for (const kv of overrides) {
    const k = envKey(kv);
    const i = index.get(k);
    if (i === undefined) {
      index.set(k, out.length);
      out.push(kv);
    } else {
      out[i] = kv;
    }
  }
  return out;
}

const envKey = (kv: string): string => {
  const i = kv.indexOf("=");
  return i === -1 ? kv : kv.slice(0, i);
};

/** The final process env: default PATH, then the image's env, then the container's (which wins). */
export function finalEnv(image: ImageRecord, containerEnv: ReadonlyArray<readonly [string, string]>): string[] {
  const withImage = mergeEnv([`PATH=${DEFAULT_PATH}`], image.config.env ?? []);
  return mergeEnv(withImage, containerEnv.map(([k, v]) => `${k}=${v}`));
}

export async function resolveEnv(pod: Pod, container: Container, image: ImageRecord, ctx: EnvContext): Promise<string[]> {
  return finalEnv(image, await resolveContainerEnv(pod, container, ctx));
}
