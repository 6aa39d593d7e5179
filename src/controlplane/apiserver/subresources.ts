// The scale and binding subresources: Scale is a view of a workload's replicas; Binding assigns
// a pod to a node (what the scheduler posts).

import { StatusError, conflict, invalid } from "../../api/errors.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { labelSelectorToString } from "../../api/selectors/labels.js";
import type { Caller, Registry, WriteOptions } from "./rest.js";

interface WithReplicas {
  spec?: { replicas?: number; selector?: Parameters<typeof labelSelectorToString>[0] };
  status?: { replicas?: number };
}

export function getScale(_r: ResourceDef, obj: KubeObject): KubeObject {
  const o = obj as KubeObject & WithReplicas;
  const m = obj.metadata ?? {};
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: labelSelectorToString(o.spec?.selector) },
  };
}

/** Updates a workload's spec.replicas from a Scale produced by `toScale(currentScale)`. */
export async function scaleUpdate(
  registry: Registry,
  r: ResourceDef,
  ns: string,
  name: string,
  toScale: (current: KubeObject) => KubeObject | Promise<KubeObject>,
  caller: Caller,
  opts: WriteOptions,
): Promise<KubeObject> {
  return registry.update(
    r,
    ns,
    name,
    async (current) => {
      const scale = (await toScale(getScale(r, current))) as KubeObject & { spec?: { replicas?: unknown } };
      const replicas = scale.spec?.replicas;
      if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid("Scale", "autoscaling", name, [
          replicas === undefined
            ? { type: "FieldValueRequired", field: "spec.replicas", detail: "Required value" }
            : { type: "FieldValueInvalid", field: "spec.replicas", detail: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
        ]);
      }
      const next = current as KubeObject & WithReplicas;
      (next.spec ??= {}).replicas = replicas;
      const pinned = scale.metadata?.resourceVersion;
      if (pinned) next.metadata!.resourceVersion = pinned;
      return next;
    },
    caller,
    { ...opts, subresource: "" },
  );
}

export async function bindPod(registry: Registry, r: ResourceDef, ns: string, name: string, binding: KubeObject, caller: Caller, opts: WriteOptions): Promise<KubeObject> {
  const target = binding.target as { kind?: string; name?: string } | undefined;
  const podName = binding.metadata?.name ?? name;
  if (podName !== name) throw new StatusError(400, "BadRequest", `the name of the object (${podName}) does not match the name on the URL (${name})`);
  if (!target?.name) {
    throw invalid("Binding", "", name, [{ type: "FieldValueRequired", field: "target.name", detail: "Required value" }]);
  }
  if (target.kind && target.kind !== "Node") {
    throw invalid("Binding", "", name, [{ type: "FieldValueNotSupported", field: "target.kind", detail: `Unsupported value: ${JSON.stringify(target.kind)}: supported values: "Node"` }]);
  }
  return registry.update(
    r,
    ns,
    name,
    (pod) => {
      const spec = (pod.spec ??= {}) as { nodeName?: string };
      if (pod.metadata?.deletionTimestamp) throw conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = target.name;
      const status = (pod.status ??= {}) as { conditions?: Array<Record<string, unknown>> };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
      conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") });
      status.conditions = conditions;
      return pod;
    },
    caller,
    { ...opts, subresource: "binding" },
  );
}
