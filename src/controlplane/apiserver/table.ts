// Table and PartialObjectMetadata representations (meta.k8s.io), built from the per-kind column
// definitions in src/api/tables.

import { badRequest } from "../../api/errors.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import { gvkKey, type KubeObject, type ResourceDef } from "../../api/registry/types.js";
import { tableFor } from "../../api/tables/index.js";

export function toPartial(obj: KubeObject, version: string): KubeObject {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function toPartialList(items: KubeObject[], metadata: Record<string, unknown>, version: string): KubeObject {
  return {
    kind: "PartialObjectMetadataList",
    apiVersion: `meta.k8s.io/${version}`,
    metadata,
    items: items.map((o) => toPartial(o, version)),
  };
}

export function toTable(
  r: ResourceDef,
  items: KubeObject[],
  metadata: Record<string, unknown>,
  version: string,
  includeObject: string | null,
  now = new Date(),
  withColumns = true,
): KubeObject {
  const include = includeObject ?? "Metadata";
  if (!["None", "Metadata", "Object"].includes(include)) {
    throw badRequest(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
  }
  const def = tableFor(gvkKey(apiVersionOf(r), r.kind));
  const rows = items.map((obj) => {
    const row: Record<string, unknown> = { cells: def.cells(obj, now) };
    if (include === "Object") row.object = obj;
    else if (include === "Metadata") row.object = toPartial(obj, version);
    return row;
  });
  const table: KubeObject = { kind: "Table", apiVersion: `meta.k8s.io/${version}`, metadata };
  if (withColumns) table.columnDefinitions = def.columns;
  table.rows = rows;
  return table;
}
