// PATCH requests: JSON patch, merge patch, strategic merge patch and server-side apply, on the
// main resource or its status/scale subresources.

import { StatusError, badRequest } from "../../api/errors.js";
import { decodeBody } from "../../api/decode/index.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import type { KubeObject, ResourceDef } from "../../api/registry/types.js";
import { applyPatch, jsonPatch, mergePatch, strategicMergePatch } from "../../api/patch/index.js";
import { schemaOf } from "../../api/schema/index.js";
import { applyFieldValidation, type FieldValidation } from "./decode-object.js";
import type { HandlerDeps } from "./handlers.js";
import type { BodyFormat } from "./negotiate.js";
import type { Caller } from "./rest.js";
import { scaleUpdate } from "./subresources.js";

export interface PatchOptions {
  dryRun: boolean;
  fieldManager?: string;
  force: boolean;
  fieldValidation: FieldValidation;
  warnings: string[];
}

function parsePatchBody(format: BodyFormat, body: Buffer): { patch: unknown; duplicateFields: string[] } {
  if (body.length === 0) throw badRequest("the body of the request was empty");
  if (format === "apply-patch") {
    const d = decodeBody(body, "application/apply-patch+yaml");
    return { patch: d.obj, duplicateFields: d.duplicateFields };
  }
  try {
    return { patch: JSON.parse(body.toString("utf8")), duplicateFields: [] };
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

function patchOnce(format: BodyFormat, current: KubeObject, patch: unknown, definition: string): KubeObject {
  switch (format) {
    case "json-patch":
      return jsonPatch(current, patch) as KubeObject;
    case "merge-patch":
      return mergePatch(current, patch) as KubeObject;
    case "strategic-merge-patch":
      return strategicMergePatch(current, patch, schemaOf(definition)) as KubeObject;
    default:
      throw badRequest(`unsupported patch type ${format}`);
  }
}

function checkPatchedObject(result: unknown, r: ResourceDef, definition: string, level: FieldValidation, warnings: string[]): KubeObject {
  if (typeof result !== "object" || result === null || Array.isArray(result)) throw badRequest("the patch did not produce an object");
  const obj = result as KubeObject;
  warnings.push(...applyFieldValidation({ obj, duplicateFields: [], definition }, level, r));
  return obj;
}

export async function applyPatchRequest(
  deps: HandlerDeps,
  r: ResourceDef,
  ns: string,
  name: string,
  subresource: string,
  format: BodyFormat,
  body: Buffer,
  caller: Caller,
  opts: PatchOptions,
): Promise<{ object: KubeObject; created: boolean }> {
  const { registry } = deps;
  const { patch, duplicateFields } = parsePatchBody(format, body);
  if (duplicateFields.length && opts.fieldValidation === "Strict") {
    throw new StatusError(400, "BadRequest", `strict decoding error: ${duplicateFields.map((f) => `duplicate field "${f}"`).join(", ")}`);
  }
  if (format !== "json-patch" && (typeof patch !== "object" || patch === null || Array.isArray(patch))) {
    throw badRequest("the body of the request must be a JSON or YAML object");
  }
  const writeOpts = { dryRun: opts.dryRun, fieldManager: opts.fieldManager, warnings: opts.warnings };

  if (subresource === "scale") {
    const scaleDef = "io.k8s.api.autoscaling.v1.Scale";
    const object = await scaleUpdate(
      registry,
      r,
      ns,
      name,
      (scale) => checkPatchedObject(patchOnce(format === "apply-patch" ? "merge-patch" : format, scale, patch, scaleDef), r, scaleDef, opts.fieldValidation, opts.warnings),
      caller,
      writeOpts,
    );
    return { object, created: false };
  }

  if (format === "apply-patch") {
    const applied = patch as KubeObject;
    const av = apiVersionOf(r);
    if (applied.apiVersion !== av || applied.kind !== r.kind) {
      throw badRequest(`the API version and kind in the data (${String(applied.apiVersion)}, Kind=${String(applied.kind)}) must match the request (${av}, Kind=${r.kind})`);
    }
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
    }
    const schema = schemaOf(r.definition);
    const existing = await registry.tryGet(r, ns, name);
    const now = new Date();
    const resetFields = subresource === "status" ? [["spec"], ["metadata"]] : r.subresources.includes("status") ? [["status"]] : undefined;
    if (!existing && !subresource) {
      const checked = checkPatchedObject(structuredClone(applied), r, r.definition, opts.fieldValidation, opts.warnings);
      const { object } = applyPatch(undefined, checked, { manager: opts.fieldManager!, force: opts.force, schema, apiVersion: av, now, kind: r.kind, resetFields });
      (object.metadata ??= {}).name = name;
      const created = await registry.create(r, ns, object, caller, { ...writeOpts, managedFieldsDone: true });
      return { object: created, created: true };
    }
    const object = await registry.update(
      r,
      ns,
      name,
      (current) => {
        const checked = checkPatchedObject(structuredClone(applied), r, r.definition, opts.fieldValidation, opts.warnings);
        const out = applyPatch(current, checked, { manager: opts.fieldManager!, force: opts.force, schema, apiVersion: av, now, kind: r.kind, subresource: subresource || undefined, resetFields }).object;
        // The applied config pins a resourceVersion only if it carries one.
        if (checked.metadata?.resourceVersion) out.metadata!.resourceVersion = checked.metadata.resourceVersion;
        else delete out.metadata?.resourceVersion;
        return out;
      },
      caller,
      { ...writeOpts, subresource, operation: "Apply" },
    );
    return { object, created: false };
  }

  const object = await registry.update(
    r,
    ns,
    name,
    (current) => {
      const patched = checkPatchedObject(patchOnce(format, current, patch, r.definition), r, r.definition, opts.fieldValidation, opts.warnings);
      // The current object carries no resourceVersion here: one in the result came from the
      // patch and pins the write to that version.
      return patched;
    },
    caller,
    { ...writeOpts, subresource },
  );
  return { object, created: false };
}

