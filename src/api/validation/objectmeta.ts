// Generic ObjectMeta validation, run by the API server on every create and update before the
// kind's own strategy (k8s.io/apimachinery/pkg/api/validation/objectmeta.go).

import type { ObjectMetaLike } from "../registry/types.js";
import { fieldForbidden, fieldInvalid, fieldRequired, type FieldError } from "../errors.js";
import { child, validateImmutable, validateNonnegative } from "./field.js";
import { validateAnnotations, validateLabels } from "./labels.js";
import { isQualifiedName, nameIsDNSLabel, nameIsDNSSubdomain, type NameFn } from "./names.js";

export interface ObjectMetaOptions {
  /** Whether the kind lives in namespaces (namespace required) or is cluster-scoped (forbidden). */
  namespaced: boolean;
  /** Name format of the kind; DNS-1123 subdomain unless the kind says otherwise. */
  nameFn?: NameFn;
}

type OwnerRef = NonNullable<ObjectMetaLike["ownerReferences"]>[number];

// Kinds that may never own anything: an Event's lifetime is too short to own objects.
const BANNED_OWNERS = new Set(["/v1, Kind=Event"]);

function gvkString(apiVersion: string, kind: string): { group: string; version: string; text: string } {
  const slash = apiVersion.indexOf("/");
  const group = slash >= 0 ? apiVersion.slice(0, slash) : "";
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  return { group, version, text: `${group}/${version}, Kind=${kind}` };
}

function validateOwnerReference(ref: OwnerRef, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const gvk = gvkString(ref.apiVersion ?? "", ref.kind ?? "");
  if (!gvk.version) errs.push(fieldInvalid(child(path, "apiVersion"), ref.apiVersion ?? "", "version must not be empty"));
  if (!ref.kind) errs.push(fieldInvalid(child(path, "kind"), ref.kind ?? "", "kind must not be empty"));
  if (!ref.name) errs.push(fieldInvalid(child(path, "name"), ref.name ?? "", "name must not be empty"));
  if (!ref.uid) errs.push(fieldInvalid(child(path, "uid"), ref.uid ?? "", "uid must not be empty"));
  if (BANNED_OWNERS.has(gvk.text)) errs.push(fieldInvalid(path, ref, `${gvk.text} is disallowed from being an owner`));
  return errs;
}

export function validateOwnerReferences(refs: OwnerRef[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = "";
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, path));
    if (ref.controller) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          fieldInvalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) for (const m of isQualifiedName(f)) errs.push(fieldInvalid(path, f, m));
  return errs;
}

/** Namespace names are DNS-1123 labels wherever they appear. */
export function validateNamespaceName(ns: string, path: string): FieldError[] {
  return nameIsDNSLabel(ns, false).map((m) => fieldInvalid(path, ns, m));
}

export function validateObjectMeta(meta: ObjectMetaLike | undefined, opts: ObjectMetaOptions, path = "metadata"): FieldError[] {
  const m = meta ?? {};
  const nameFn = opts.nameFn ?? nameIsDNSSubdomain;
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of nameFn(m.generateName, true)) errs.push(fieldInvalid(child(path, "generateName"), m.generateName, msg));
  // When generateName is used the name is filled in by the server before this runs; a name is
  // therefore always required here.
  if (!m.name) errs.push(fieldRequired(child(path, "name"), "name or generateName is required"));
  else for (const msg of nameFn(m.name, false)) errs.push(fieldInvalid(child(path, "name"), m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(fieldRequired(child(path, "namespace"), ""));
    else errs.push(...validateNamespaceName(m.namespace, child(path, "namespace")));
  } else if (m.namespace) {
    errs.push(fieldForbidden(child(path, "namespace"), "not allowed on this type"));
  }
  errs.push(...validateNonnegative(m.generation, child(path, "generation")));
  errs.push(...validateLabels(m.labels, child(path, "labels")));
  errs.push(...validateAnnotations(m.annotations, child(path, "annotations")));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, "ownerReferences")));
  errs.push(...validateFinalizers(m.finalizers, child(path, "finalizers")));
  return errs;
}

/**
 * Update rules: identity fields never change, generation never goes back, and no finalizer may be
 * added once deletion started. The API server fills a missing resourceVersion from the stored
 * object before this runs (unconditional update), so it is not checked here.
 */
export function validateObjectMetaUpdate(meta: ObjectMetaLike | undefined, old: ObjectMetaLike | undefined, path = "metadata"): FieldError[] {
  const n = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const before = new Set(o.finalizers ?? []);
    const added = [...new Set((n.finalizers ?? []).filter((f) => !before.has(f)))].sort();
    if (added.length) {
      errs.push(
        fieldForbidden(
          child(path, "finalizers"),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      );
    }
  }
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(fieldInvalid(child(path, "generation"), n.generation ?? 0, "must not be decremented"));
  errs.push(...validateImmutable(n.name ?? "", o.name ?? "", child(path, "name")));
  errs.push(...validateImmutable(n.namespace ?? "", o.namespace ?? "", child(path, "namespace")));
  errs.push(...validateImmutable(n.uid ?? "", o.uid ?? "", child(path, "uid")));
  errs.push(...validateImmutable(n.creationTimestamp ?? null, o.creationTimestamp ?? null, child(path, "creationTimestamp")));
  errs.push(...validateImmutable(n.deletionTimestamp ?? null, o.deletionTimestamp ?? null, child(path, "deletionTimestamp")));
  errs.push(...validateImmutable(n.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, child(path, "deletionGracePeriodSeconds")));
  errs.push(...validateLabels(n.labels, child(path, "labels")));
  errs.push(...validateAnnotations(n.annotations, child(path, "annotations")));
  errs.push(...validateOwnerReferences(n.ownerReferences, child(path, "ownerReferences")));
  errs.push(...validateFinalizers(n.finalizers, child(path, "finalizers")));
  return errs;
}
