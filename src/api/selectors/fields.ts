// Field selectors (`?fieldSelector=`): the syntax of k8s.io/apimachinery/pkg/fields (terms joined
// by ",", operators "=", "==", "!=", values escaped with "\"), and the per-kind field sets the
// API server allows (the scheme's field-label conversion funcs plus the registries'
// ToSelectableFields/GetAttrs in kubernetes/pkg/registry/*/strategy.go).

import { badRequest } from "../errors.js";
import type { FieldGetter, KubeObject } from "../registry/types.js";

export type FieldOperator = "=" | "==" | "!=";

export interface FieldRequirement {
  /** The field label after conversion (e.g. Pod "spec.host" becomes "spec.nodeName"). */
  readonly field: string;
  readonly operator: FieldOperator;
  /** Unescaped value. */
  readonly value: string;
}

export interface FieldMatcher {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(obj: KubeObject): boolean;
  /** Canonical form (`a=b,c!=d`, values escaped), like fields.Selector.String(). */
  toString(): string;
}

export const MAX_FIELD_SELECTOR_LENGTH = 64 * 1024;
export const MAX_FIELD_REQUIREMENTS = 100;

// ---------------------------------------------------------------------------------------------
// Syntax

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue, with its error texts (an unescaped rune is printed as its code, as Go's %v does). */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === "\\" || c === "," || c === "=") out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Split on commas that are not escaped. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const TERM_OPERATORS: FieldOperator[] = ["!=", "==", "="];

/** The first operator occurrence splits the term; at one position "!=" and "==" win over "=". */
function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/**
 * Parse the syntax only (no field-name check). Terms are sorted as strings first, as
 * apimachinery does, so the canonical form does not depend on the order sent.
 */
export function parseFieldRequirements(selector: string): FieldRequirement[] {
  if (selector.length > MAX_FIELD_SELECTOR_LENGTH) {
    throw badRequest(`field selector is too long: ${selector.length} characters, the limit is ${MAX_FIELD_SELECTOR_LENGTH}`);
  }
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const split = splitTerm(part);
    if (!split) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, operator, rhs] = split;
    reqs.push({ field, operator, value: unescapeFieldValue(rhs) });
    if (reqs.length > MAX_FIELD_REQUIREMENTS) {
      throw badRequest(`field selector has more than ${MAX_FIELD_REQUIREMENTS} requirements`);
    }
  }
  return reqs;
}

// ---------------------------------------------------------------------------------------------
// Per-kind fields

type Obj = Record<string, any>;
const meta = (o: KubeObject): Obj => o.metadata ?? {};
const spec = (o: KubeObject): Obj => (o.spec as Obj | undefined) ?? {};
const status = (o: KubeObject): Obj => (o.status as Obj | undefined) ?? {};
const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
/** Go's strconv.Itoa of an int field that defaults to 0. */
const int = (v: unknown): string => String(typeof v === "number" ? v : 0);
/** strconv.FormatBool of a bool field that defaults to false. */
const bool = (v: unknown): string => (v === true ? "true" : "false");

const name: FieldGetter = (o) => str(meta(o).name);
const namespace: FieldGetter = (o) => str(meta(o).namespace);
const objectMeta = { "metadata.name": name, "metadata.namespace": namespace };

const involvedObjectFields = (ref: (o: KubeObject) => Obj, prefix: string): Record<string, FieldGetter> => ({
  [`${prefix}.kind`]: (o) => str(ref(o).kind),
  [`${prefix}.namespace`]: (o) => str(ref(o).namespace),
  [`${prefix}.name`]: (o) => str(ref(o).name),
  [`${prefix}.uid`]: (o) => str(ref(o).uid),
  [`${prefix}.apiVersion`]: (o) => str(ref(o).apiVersion),
  [`${prefix}.resourceVersion`]: (o) => str(ref(o).resourceVersion),
  [`${prefix}.fieldPath`]: (o) => str(ref(o).fieldPath),
});

/**
 * Every field label each kind accepts, metadata included: a kind listed here answers
 * `field label not supported: <label>` for anything else. Kinds not listed accept only
 * metadata.name and metadata.namespace (apimachinery's DefaultMetaV1FieldSelectorConversion).
 * Note that Node and Namespace do not accept metadata.namespace. Getters read the object in the
 * kind's own external shape (for events.k8s.io/v1 Event: `regarding`, `reportingController`).
 */
export const fieldSelectorFields: Record<string, Record<string, FieldGetter>> = {
  "v1/Pod": {
    ...objectMeta,
    "spec.nodeName": (o) => str(spec(o).nodeName),
    "spec.restartPolicy": (o) => str(spec(o).restartPolicy),
    "spec.schedulerName": (o) => str(spec(o).schedulerName),
    "spec.serviceAccountName": (o) => str(spec(o).serviceAccountName),
    "spec.hostNetwork": (o) => bool(spec(o).hostNetwork),
    "status.phase": (o) => str(status(o).phase),
    // The internal type keeps only podIPs; its first entry is "status.podIP".
    "status.podIP": (o) => str(status(o).podIPs?.[0]?.ip ?? status(o).podIP),
    // Accepted by the conversion func but absent from the selectable set, so it reads as "".
    "status.podIPs": () => "",
    "status.nominatedNodeName": (o) => str(status(o).nominatedNodeName),
  },
  "v1/Node": {
    "metadata.name": name,
    "spec.unschedulable": (o) => bool(spec(o).unschedulable),
  },
  "v1/ReplicationController": { ...objectMeta, "status.replicas": (o) => int(status(o).replicas) },
  "v1/Event": {
    ...objectMeta,
    ...involvedObjectFields((o) => (o.involvedObject as Obj | undefined) ?? {}, "involvedObject"),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent ?? o.reportingController),
    // Source.Component, falling back to reportingController for events written via events.k8s.io.
    source: (o) => str((o.source as Obj | undefined)?.component || o.reportingComponent || o.reportingController),
    type: (o) => str(o.type),
  },
  "events.k8s.io/v1/Event": {
    ...objectMeta,
    ...involvedObjectFields((o) => (o.regarding as Obj | undefined) ?? {}, "regarding"),
    reason: (o) => str(o.reason),
    reportingController: (o) => str(o.reportingController),
    type: (o) => str(o.type),
  },
  "v1/Namespace": {
    "metadata.name": name,
    "status.phase": (o) => str(status(o).phase),
  },
  "v1/Secret": { ...objectMeta, type: (o) => str(o.type) },
  "v1/Service": {
    ...objectMeta,
    "spec.clusterIP": (o) => str(spec(o).clusterIP),
    "spec.type": (o) => str(spec(o).type),
  },
  "apps/v1/ReplicaSet": { ...objectMeta, "status.replicas": (o) => int(status(o).replicas) },
  "batch/v1/Job": { ...objectMeta, "status.successful": (o) => int(status(o).succeeded) },
  "certificates.k8s.io/v1/CertificateSigningRequest": {
    "metadata.name": name,
    "spec.signerName": (o) => str(spec(o).signerName),
  },
};

/** Old v1 clients send these labels; the API server renames them before matching. */
const FIELD_ALIASES: Record<string, Record<string, string>> = {
  "v1/Pod": { "spec.host": "spec.nodeName" },
};

export interface FieldSelectorOptions {
  /**
   * The complete set of accepted labels, for kinds not in `fieldSelectorFields` (for example a
   * custom resource with selectableFields); unknown labels then answer "field label not supported".
   */
  fields?: Record<string, FieldGetter>;
}

function resolveFields(kindKey: string, opts: FieldSelectorOptions | undefined): {
  fields: Record<string, FieldGetter>;
  unknown: (label: string) => string;
} {
  const fields = opts?.fields ?? fieldSelectorFields[kindKey];
  if (fields) return { fields, unknown: (label) => `field label not supported: ${label}` };
  return {
    fields: objectMeta,
    unknown: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
  };
}

/**
 * `?fieldSelector=` for one kind (gvkKey, e.g. "v1/Pod") → matcher. Unknown labels and bad
 * syntax answer 400 BadRequest with Kubernetes' text. A field absent from an object matches as "".
 */
export function parseFieldSelector(selector: string, kindKey: string, opts?: FieldSelectorOptions): FieldMatcher {
  const { fields, unknown } = resolveFields(kindKey, opts);
  const aliases = FIELD_ALIASES[kindKey] ?? {};
  const reqs = parseFieldRequirements(selector).map((r) => {
    const field = Object.hasOwn(aliases, r.field) ? aliases[r.field] : r.field;
    if (!Object.hasOwn(fields, field)) throw badRequest(unknown(r.field));
    return { ...r, field };
  });
  const getters = reqs.map((r) => fields[r.field]);
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches(obj) {
      return reqs.every((r, i) => {
        const v = getters[i](obj) ?? "";
        return r.operator === "!=" ? v !== r.value : v === r.value;
      });
    },
    toString: () => reqs.map((r) => `${r.field}${r.operator === "!=" ? "!=" : "="}${escapeFieldValue(r.value)}`).join(","),
  };
}

/** The value a selector pins a field to (`f=v` or `f==v`), for index lookups such as spec.nodeName. */
export function fieldRequiresExactMatch(m: FieldMatcher, field: string): string | undefined {
  const r = m.requirements.find((x) => x.field === field && x.operator !== "!=");
  return r?.value;
}
