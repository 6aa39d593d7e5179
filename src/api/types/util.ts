// Helpers for reading and filling untyped decoded JSON objects.

import type { KubeObject } from "../registry/types.js";

export type Obj = Record<string, any>;

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The object's `spec` (created empty when absent, so defaulting can fill it). */
export function specOf(obj: KubeObject): Obj {
  if (!isObj(obj.spec)) obj.spec = {};
  return obj.spec as Obj;
}

/** `obj[key]` as an object, created when absent. */
export function ensureObj(parent: Obj, key: string): Obj {
  if (!isObj(parent[key])) parent[key] = {};
  return parent[key] as Obj;
}

export const arr = <T = Obj>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const rec = (v: unknown): Record<string, string> => (isObj(v) ? (v as Record<string, string>) : {});

/** Set `o[k] = v` only when `o[k]` is undefined or null. */
export function dflt(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null) o[k] = v;
}

export const has = (o: Obj | undefined, k: string): boolean => o !== undefined && o[k] !== undefined && o[k] !== null;
