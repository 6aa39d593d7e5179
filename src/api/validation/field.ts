// Small helpers shared by all validators: field paths printed as Kubernetes prints them, the field
// error kinds src/api/errors.ts has no builder for, and the common "non-negative", "immutable" and
// "int or percent" checks.

import { fieldInvalid, type FieldError } from "../errors.js";
import { isValidPercent } from "./names.js";

/** `child("spec", "containers")` → "spec.containers"; an empty base gives just the child. */
export function child(base: string, ...names: string[]): string {
  let out = base;
  for (const n of names) out = out ? `${out}.${n}` : n;
  return out;
}
/** `index("spec.containers", 0)` → "spec.containers[0]". */
export const index = (base: string, i: number): string => `${base}[${i}]`;
/** `key("data", "a.txt")` → "data[a.txt]" (Kubernetes prints map keys unquoted). */
export const key = (base: string, k: string): string => `${base}[${k}]`;

function fmt(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export const fieldNotFound = (field: string, value: unknown): FieldError => ({
  type: "FieldValueNotFound",
  field,
  detail: `Not found: ${fmt(value)}`,
});

export const fieldTooMany = (field: string, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field,
  detail: `Too many: ${actual}: must have at most ${max} items`,
});

export const FIELD_IMMUTABLE = "field is immutable";

/** Structural equality of decoded JSON values (undefined and absent keys are equal). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function validateImmutable(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [fieldInvalid(path, newVal, FIELD_IMMUTABLE)];
}

export function validateNonnegative(value: number | undefined | null, path: string): FieldError[] {
  return typeof value === "number" && value < 0 ? [fieldInvalid(path, value, "must be greater than or equal to 0")] : [];
}

export function validatePositive(value: number | undefined | null, path: string): FieldError[] {
  return typeof value === "number" && value <= 0 ? [fieldInvalid(path, value, "must be greater than zero")] : [];
}

/** An IntOrString holding a count or a percentage ("25%"), as rolling-update and PDB fields do. */
export function validatePositiveIntOrPercent(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return isValidPercent(value).map((m) => fieldInvalid(path, value, m));
  if (typeof value === "number") return validateNonnegative(value, path);
  return [fieldInvalid(path, value, "must be an integer or percentage (e.g '5%')")];
}

/** Numeric value of an IntOrString count/percentage, and whether it was a percentage. */
export function intOrPercentValue(value: unknown): { value: number; percent: boolean } {
  if (typeof value === "number") return { value, percent: false };
  if (typeof value === "string") {
    const m = /^([0-9]+)%$/.exec(value);
    if (m) return { value: Number(m[1]), percent: true };
    const n = Number(value);
    return { value: Number.isFinite(n) ? n : 0, percent: false };
  }
  return { value: 0, percent: false };
}

export function isNotMoreThan100Percent(value: unknown, path: string): FieldError[] {
  const v = intOrPercentValue(value);
  return v.percent && v.value > 100 ? [fieldInvalid(path, String(value), "must not be greater than 100%")] : [];
}

/** Stable JSON used as a map key for duplicate detection. */
export const keyOf = (v: unknown): string => JSON.stringify(v);
