// Small SchemaNode fixtures shaped like the Kubernetes definitions the patch code meets most:
// Pod and Deployment with their merge keys, list-map keys, sets, atomic lists and maps.
import type { SchemaNode } from "../../schema/types.js";

const str: SchemaNode = { type: "string" };
const int: SchemaNode = { type: "integer" };
const intOrString: SchemaNode = { type: "int-or-string" };
const stringMap: SchemaNode = { type: "object", additionalProperties: str };

export const objectMeta: SchemaNode = {
  type: "object",
  ref: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
  properties: {
    name: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: str,
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: "array", items: str, patchStrategy: "merge", listType: "set" },
    managedFields: { type: "array", items: { type: "object", properties: { manager: str } }, listType: "atomic" },
  },
};

const port: SchemaNode = {
  type: "object",
  properties: {
    name: str,
    containerPort: int,
    // Kubernetes' OpenAPI carries `default: "TCP"`; the shared contract does not declare `default` yet.
    protocol: { type: "string", default: "TCP" } as SchemaNode,
  },
};

const container: SchemaNode = {
  type: "object",
  ref: "io.k8s.api.core.v1.Container",
  properties: {
    name: str,
    image: str,
    args: { type: "array", items: str, listType: "atomic" },
    ports: {
      type: "array",
      items: port,
      patchStrategy: "merge",
      patchMergeKey: "containerPort",
      listType: "map",
      listMapKeys: ["containerPort", "protocol"],
    },
    env: { type: "array", items: { type: "object", properties: { name: str, value: str } }, patchStrategy: "merge", patchMergeKey: "name", listType: "map", listMapKeys: ["name"] },
    volumeMounts: { type: "array", items: { type: "object", properties: { name: str, mountPath: str } }, patchStrategy: "merge", patchMergeKey: "mountPath", listType: "map", listMapKeys: ["mountPath"] },
    resources: { type: "object", properties: { limits: stringMap, requests: stringMap } },
  },
};

export const podSpec: SchemaNode = {
  type: "object",
  ref: "io.k8s.api.core.v1.PodSpec",
  required: ["containers"],
  properties: {
    containers: { type: "array", items: container, patchStrategy: "merge", patchMergeKey: "name", listType: "map", listMapKeys: ["name"] },
    tolerations: { type: "array", items: { type: "object", properties: { key: str, operator: str, value: str, effect: str } }, listType: "atomic" },
    nodeSelector: { ...stringMap, mapType: "atomic" },
    restartPolicy: str,
    volumes: {
      type: "array",
      items: { type: "object", properties: { name: str, emptyDir: { type: "object", properties: { medium: str } }, configMap: { type: "object", properties: { name: str } } } },
      patchStrategy: "merge,retainKeys",
      patchMergeKey: "name",
      listType: "map",
      listMapKeys: ["name"],
    },
  },
};

const status: SchemaNode = { type: "object", properties: { replicas: int, phase: str } };

export const podSchema: SchemaNode = {
  type: "object",
  ref: "io.k8s.api.core.v1.Pod",
  properties: { apiVersion: str, kind: str, metadata: objectMeta, spec: podSpec, status },
};

export const deploymentSchema: SchemaNode = {
  type: "object",
  ref: "io.k8s.api.apps.v1.Deployment",
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      type: "object",
      properties: {
        replicas: int,
        selector: { type: "object", mapType: "atomic", properties: { matchLabels: stringMap } },
        template: { type: "object", properties: { metadata: objectMeta, spec: podSpec } },
        strategy: {
          type: "object",
          patchStrategy: "retainKeys",
          properties: { type: str, rollingUpdate: { type: "object", properties: { maxSurge: intOrString, maxUnavailable: intOrString } } },
        },
      },
    },
    status,
  },
};

export function deployment(opts: { replicas?: number; image?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  const labels = opts.labels ?? { app: "web" };
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: opts.image ?? "nginx:1.25" }] },
    },
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default", labels }, spec };
}
