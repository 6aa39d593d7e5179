// Kubernetes API errors. Every error the API server answers with is a StatusError carrying the
// `Status` body that real clients (kubectl, client-go, client-node) parse: code, reason, message,
// details. Validation code returns FieldError lists; `invalid()` turns them into a 422 Status.

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Invalid"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "Timeout"
  | "Expired"
  | "TooManyRequests"
  | "InternalError"
  | "ServiceUnavailable";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason | "";
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = "StatusError";
    this.status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
    if (details) this.status.details = details;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason as StatusReason;
  }
}

/** A resource identity used in messages: `deployments.apps "web"`. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export const badRequest = (message: string): StatusError => new StatusError(400, "BadRequest", message);
export const unauthorized = (message = "Unauthorized"): StatusError => new StatusError(401, "Unauthorized", message);
export const forbidden = (message: string): StatusError => new StatusError(403, "Forbidden", message);
export const methodNotAllowed = (message = "the server does not allow this method on the requested resource"): StatusError =>
  new StatusError(405, "MethodNotAllowed", message);
export const notAcceptable = (message: string): StatusError => new StatusError(406, "NotAcceptable", message);
export const unsupportedMediaType = (contentType: string): StatusError =>
  new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml; got ${JSON.stringify(contentType)}`);
export const tooLarge = (message = "the request is too large"): StatusError => new StatusError(413, "RequestEntityTooLarge", message);
export const internalError = (message: string): StatusError =>
  new StatusError(500, "InternalError", `Internal error occurred: ${message}`);
export const serviceUnavailable = (message: string): StatusError => new StatusError(503, "ServiceUnavailable", message);

export const notFound = (gr: GroupResource, name: string): StatusError =>
  new StatusError(404, "NotFound", `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });

export const alreadyExists = (gr: GroupResource, name: string): StatusError =>
  new StatusError(409, "AlreadyExists", `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });

export const conflict = (gr: GroupResource, name: string, why: string): StatusError =>
  new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });

export const gone = (message: string): StatusError => new StatusError(410, "Expired", message);

// Field errors, in the shape of k8s.io/apimachinery/pkg/util/validation/field.

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "FieldValueNotFound"
  | "InternalError";

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indices, as Kubernetes prints it: `spec.containers[0].image`. */
  field: string;
  /** Full detail, already including the value where Kubernetes includes it. */
  detail: string;
}

function fmtValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export const fieldRequired = (field: string, detail = ""): FieldError => ({
  type: "FieldValueRequired",
  field,
  detail: detail ? `Required value: ${detail}` : "Required value",
});
export const fieldInvalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: "FieldValueInvalid",
  field,
  detail: `Invalid value: ${fmtValue(value)}${detail ? `: ${detail}` : ""}`,
});
export const fieldNotSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  type: "FieldValueNotSupported",
  field,
  detail: `Unsupported value: ${fmtValue(value)}${supported.length ? `: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}` : ""}`,
});
export const fieldDuplicate = (field: string, value: unknown): FieldError => ({
  type: "FieldValueDuplicate",
  field,
  detail: `Duplicate value: ${fmtValue(value)}`,
});
export const fieldForbidden = (field: string, detail: string): FieldError => ({
  type: "FieldValueForbidden",
  field,
  detail: `Forbidden: ${detail}`,
});
export const fieldTooLong = (field: string, value: unknown, max: number): FieldError => ({
  type: "FieldValueTooLong",
  field,
  detail: `Too long: may not be more than ${max} bytes`,
});
export const fieldTypeInvalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: "FieldValueTypeInvalid",
  field,
  detail: `Invalid value: ${fmtValue(value)}: ${detail}`,
});

/** 422 Invalid, as `Pod "web" is invalid: [a: Required value, b: Invalid value: ...]`. */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): StatusError {
  const parts = errors.map((e) => (e.field ? `${e.field}: ${e.detail}` : e.detail));
  const list = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const title = group ? `${kind}.${group}` : kind;
  return new StatusError(422, "Invalid", `${title} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}
