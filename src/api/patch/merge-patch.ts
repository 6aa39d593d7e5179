// RFC 7386 JSON merge patch (application/merge-patch+json): objects merge recursively, `null`
// deletes a key, anything else (arrays included) replaces the target value. Like evanphx/json-patch
// (which kube-apiserver uses), `null` members of objects placed by the patch are dropped too, also
// inside replaced arrays, while null array elements stay.
import { badRequest } from "../errors.js";
import { clone, isObject } from "./json.js";

export function mergePatch<T>(obj: T, patch: unknown): T {
  // A patch document that is not a JSON object is ErrBadJSONPatch, which the apiserver maps to
  // 400 with the error text.
  if (!isObject(patch)) throw badRequest("Invalid JSON Patch");
  return applyMerge(obj, patch) as T;
}

function applyMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return pruneNulls(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMerge(out[k], v);
  }
  return out;
}

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return clone(v);
}
