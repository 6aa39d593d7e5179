// Namespace: the "kubernetes" finalizer, phase Active and the kubernetes.io/metadata.name label.
// `spec.finalizers` and `status` change only through the finalize/status subresources, so an
// update keeps the stored ones (namespacePrepareForUpdate).

import { fieldInvalid, type FieldError } from "../errors.js";
import type { KubeObject, TypeStrategy } from "../registry/types.js";
import { validateFinalizers } from "../validation/objectmeta.js";
import { arr, ensureObj, isObj, specOf } from "./util.js";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
const STANDARD_FINALIZERS = new Set(["kubernetes"]);

export function namespaceDefaults(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ["kubernetes"];
  const status = ensureObj(obj, "status");
  if (!status.phase) status.phase = "Active";
  // The immutable name label lets selectors pick namespaces by name.
  if (obj.metadata?.name) {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: obj.metadata.name };
  }
}

export function validateNamespaceFinalizers(finalizers: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers) {
    const own = validateFinalizers([f], path);
    errs.push(...own);
    if (!own.length && !f.includes("/") && !STANDARD_FINALIZERS.has(f)) {
      errs.push(fieldInvalid(path, f, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  }
  return errs;
}

export function validateNamespace(obj: KubeObject): FieldError[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  return validateNamespaceFinalizers(arr<string>((spec as { finalizers?: unknown }).finalizers), "spec.finalizers");
}

export function namespacePrepareForUpdate(obj: KubeObject, old: KubeObject): void {
  const spec = specOf(obj);
  const oldSpec = isObj(old.spec) ? (old.spec as Record<string, unknown>) : {};
  if (oldSpec.finalizers !== undefined) spec.finalizers = structuredClone(oldSpec.finalizers);
  else delete spec.finalizers;
  if (old.status !== undefined) obj.status = structuredClone(old.status);
}

export const namespaceStrategy: TypeStrategy = {
  defaults: namespaceDefaults,
  validate: validateNamespace,
  tracksGeneration: false,
};
