// Patch application for the API server: JSON patch, JSON merge patch, strategic merge patch and
// server-side apply with managedFields tracking. All functions are pure: inputs are never mutated
// and failures are StatusErrors shaped like kube-apiserver's.
export { jsonPatch, MAX_JSON_PATCH_OPERATIONS } from "./json-patch.js";
export { mergePatch } from "./merge-patch.js";
export { strategicMergePatch } from "./strategic-merge-patch.js";
export { applyPatch, BEFORE_FIRST_APPLY, type ApplyOptions } from "./apply/apply.js";
export { updateManagedFields, type UpdateManagedFieldsOptions } from "./apply/update.js";
export type { FieldManagerOptions, FieldManagerResult } from "./apply/common.js";
export { defaultManagerName, managerOrUserAgent, FIELD_MANAGER_MAX_LENGTH } from "./apply/manager-name.js";
export { decodeManagedFields, encodeManagedFields, type ManagedFieldsEntry } from "./apply/managed-fields.js";
export { FieldSet, pathString, type Path, type PathElement } from "./apply/fieldpath.js";
export { LAST_APPLIED_ANNOTATION } from "./apply/last-applied.js";
