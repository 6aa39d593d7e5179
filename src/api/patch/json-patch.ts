// RFC 6902 JSON patch (application/json-patch+json), with kube-apiserver's error mapping:
//  - a body that is not a list of operation objects fails to decode: 400 BadRequest with the Go
//    decoder's message;
//  - more than 10000 operations: 413;
//  - any operation that cannot be applied (bad op, missing path, failed `test`): 422 Invalid with
//    the generic message (the apiserver drops the underlying error text).
import jsonpatch from "fast-json-patch";
import type { Operation } from "fast-json-patch";
import { badRequest, tooLarge } from "../errors.js";
import { genericInvalid } from "./errors.js";
import { clone, goJsonKind, isObject } from "./json.js";

/** kube-apiserver's maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export function jsonPatch<T>(obj: T, patch: unknown): T {
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (op !== null && !isObject(op)) {
      throw badRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  try {
    // validate=true checks each operation before applying it (unknown op, missing value,
    // unresolvable path, failed test); mutateDocument=false leaves the caller's object intact.
    const result = jsonpatch.applyPatch(clone(obj), patch as Operation[], true, true);
    return result.newDocument;
  } catch {
    throw genericInvalid();
  }
}
