// Pod volume validation: unique DNS-1123 label names and exactly one source, with the required
// fields of the common sources (pkg/apis/core/validation ValidateVolumes).

import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from "../errors.js";
import { isDNS1123Label, nameIsDNSSubdomain } from "../validation/names.js";
import { parseQuantity, QUANTITY_FORMAT_ERROR } from "../validation/quantity.js";
import { validateLocalDescendingPath } from "./container-validation.js";
import { VOLUME_SOURCES } from "./pod-defaults.js";
import { arr, isObj, type Obj } from "./util.js";

const FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive";
const HOST_PATH_TYPES = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

function validateMode(mode: unknown, path: string): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode <= 0o777 ? [] : [fieldInvalid(path, mode, FILE_MODE_ERROR)];
}

function validateKeyToPaths(items: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  items.forEach((it, i) => {
    const ip = `${path}[${i}]`;
    if (!it.key) errs.push(fieldRequired(`${ip}.key`, ""));
    if (!it.path) errs.push(fieldRequired(`${ip}.path`, ""));
    else errs.push(...validateLocalDescendingPath(it.path, `${ip}.path`));
    errs.push(...validateMode(it.mode, `${ip}.mode`));
  });
  return errs;
}

function validateObjectName(name: unknown, path: string): FieldError[] {
  if (!name) return [fieldRequired(path, "")];
  return nameIsDNSSubdomain(String(name), false).map((m) => fieldInvalid(path, name, m));
}

/** Checks for one source; `p` is the source's path ("spec.volumes[0].secret"). */
function validateSource(kind: string, s: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case "hostPath":
      if (!s.path) errs.push(fieldRequired(`${p}.path`, ""));
      if (s.type !== undefined && !HOST_PATH_TYPES.includes(s.type)) errs.push(fieldNotSupported(`${p}.type`, s.type, HOST_PATH_TYPES));
      break;
    case "emptyDir":
      if (s.sizeLimit !== undefined && parseQuantity(s.sizeLimit) === undefined) errs.push(fieldInvalid(`${p}.sizeLimit`, s.sizeLimit, QUANTITY_FORMAT_ERROR));
      break;
    case "secret":
      errs.push(...validateObjectName(s.secretName, `${p}.secretName`));
      errs.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
      errs.push(...validateKeyToPaths(arr(s.items), `${p}.items`));
      break;
    case "configMap":
      errs.push(...validateObjectName(s.name, `${p}.name`));
      errs.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
      errs.push(...validateKeyToPaths(arr(s.items), `${p}.items`));
      break;
    case "persistentVolumeClaim":
      if (!s.claimName) errs.push(fieldRequired(`${p}.claimName`, ""));
      break;
    case "nfs":
      if (!s.server) errs.push(fieldRequired(`${p}.server`, ""));
      if (!s.path) errs.push(fieldRequired(`${p}.path`, ""));
      else if (!String(s.path).startsWith("/")) errs.push(fieldInvalid(`${p}.path`, s.path, "must be an absolute path"));
      break;
    case "downwardAPI":
      errs.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
      arr(s.items).forEach((it, i) => {
        if (!it.path) errs.push(fieldRequired(`${p}.items[${i}].path`, ""));
        else errs.push(...validateLocalDescendingPath(it.path, `${p}.items[${i}].path`));
      });
      break;
    case "projected":
      errs.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
      arr(s.sources).forEach((src, i) => {
        const sp = `${p}.sources[${i}]`;
        const kinds = ["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"].filter((k) => isObj(src[k]));
        if (kinds.length === 0) errs.push(fieldRequired(sp, "must specify exactly 1 projected source"));
        else if (kinds.length > 1) errs.push(fieldForbidden(`${sp}.${kinds[1]}`, "may not specify more than 1 projected source"));
        if (isObj(src.serviceAccountToken)) {
          const t = src.serviceAccountToken;
          if (!t.path) errs.push(fieldRequired(`${sp}.serviceAccountToken.path`, ""));
          if (typeof t.expirationSeconds === "number" && t.expirationSeconds < 600) {
            errs.push(fieldInvalid(`${sp}.serviceAccountToken.expirationSeconds`, t.expirationSeconds, "may not specify a duration less than 10 minutes"));
          }
        }
        for (const k of ["secret", "configMap"]) if (isObj(src[k])) errs.push(...validateKeyToPaths(arr(src[k].items), `${sp}.${k}.items`));
      });
      break;
    case "csi":
      if (!s.driver) errs.push(fieldRequired(`${p}.driver`, ""));
      break;
    case "ephemeral":
      if (!isObj(s.volumeClaimTemplate)) errs.push(fieldRequired(`${p}.volumeClaimTemplate`, ""));
      break;
    case "image":
      if (!s.reference) errs.push(fieldRequired(`${p}.reference`, ""));
      break;
  }
  return errs;
}

/** Validates `spec.volumes` and returns the volume names, which container mounts must use. */
export function validateVolumes(volumes: Obj[], path: string): { names: Set<string>; errors: FieldError[] } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  volumes.forEach((v, i) => {
    const ip = `${path}[${i}]`;
    let n = 0;
    for (const kind of VOLUME_SOURCES) {
      if (v[kind] === undefined || v[kind] === null) continue;
      if (n > 0) {
        errors.push(fieldForbidden(`${ip}.${kind}`, "may not specify more than 1 volume type"));
        continue;
      }
      n++;
      errors.push(...validateSource(kind, isObj(v[kind]) ? v[kind] : {}, `${ip}.${kind}`));
    }
    if (n === 0) errors.push(fieldRequired(ip, "must specify a volume type"));
    if (!v.name) errors.push(fieldRequired(`${ip}.name`, ""));
    else for (const m of isDNS1123Label(v.name)) errors.push(fieldInvalid(`${ip}.name`, v.name, m));
    if (names.has(v.name)) errors.push(fieldDuplicate(`${ip}.name`, v.name));
    else if (v.name) names.add(v.name);
  });
  return { names, errors };
}

