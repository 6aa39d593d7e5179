// Building blocks shared by the per-kind tables: column definitions in the shape the API server
// sends, safe accessors for decoded JSON, and the small formatters printers.go reuses.

import type { KubeObject, TableColumn, TableDef } from "../registry/types.js";
import { doc, type DocKey } from "./descriptions.js";
import { since } from "./duration.js";

export type Obj = Record<string, any>;

export function col(name: string, type: TableColumn["type"], description: string, priority = 0, format = ""): TableColumn {
  return { name, type, format, description, priority };
}
/** A column whose description is a type's field doc. */
export const docCol = (name: string, type: TableColumn["type"], key: DocKey, priority = 0): TableColumn =>
  col(name, type, doc[key], priority);

export const nameColumn: TableColumn = col("Name", "string", doc["ObjectMeta.name"], 0, "name");
export const ageColumn: TableColumn = col("Age", "string", doc["ObjectMeta.creationTimestamp"]);
export const containersColumn = (priority = 1): TableColumn =>
  col("Containers", "string", "Names of each container in the template.", priority);
export const imagesColumn = (priority = 1): TableColumn =>
  col("Images", "string", "Images referenced by each container in the template.", priority);

export const meta = (o: KubeObject): Obj => (o.metadata as Obj | undefined) ?? {};
export const spec = (o: Obj): Obj => (o.spec as Obj | undefined) ?? {};
export const status = (o: Obj): Obj => (o.status as Obj | undefined) ?? {};
export const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
/** An int32/int64 field that Go would read as 0 when absent. */
export const int = (v: unknown): number => (typeof v === "number" ? v : 0);
export const name = (o: KubeObject): string => str(meta(o).name);
export const age = (o: KubeObject, now: Date): string => since(meta(o).creationTimestamp, now);

/** layoutContainerCells: comma-joined names and images. */
export function containerCells(containers: unknown): [string, string] {
  const cs = arr(containers);
  return [cs.map((c) => str(c?.name)).join(","), cs.map((c) => str(c?.image)).join(",")];
}

/** printBoolPtr: "True"/"False", "<unset>" for nil. */
export const boolPtr = (v: unknown): string => (v === true ? "True" : v === false ? "False" : "<unset>");

/** "a,b,c + 2 more..." with at most `max` items, "<unset>" for none (listWithMoreString). */
export function listWithMore(items: string[], total: number, max: number): string {
  const shown = items.slice(0, max).join(",");
  if (total > max) return `${shown} + ${total - max} more...`;
  return shown === "" ? "<unset>" : shown;
}

/** A table whose rows are name, then `cells`, with the given columns. */
export function table(columns: TableColumn[], cells: (o: Obj, now: Date) => unknown[]): TableDef {
  return { columns, cells: (o, now) => cells(o as Obj, now) };
}
