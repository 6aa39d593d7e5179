// Errors of the REST client. A response with an error status becomes an ApiError carrying the
// Kubernetes `Status` the server sent (code, reason, message, details), or one made up from the
// HTTP status when the body is not a Status (a proxy's HTML page, an empty 503). Failures below
// HTTP (refused connection, TLS, timeout) stay the transport's own errors, wrapped with the
// request they belong to, so callers can tell "the API said no" from "the API is not there".

import type { Status, StatusDetails } from "../api/errors.js";

/** The reason Kubernetes uses for an HTTP status when the body does not say (apimachinery's NewGenericServerResponse). */
const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: Status;

  constructor(status: Status, context?: string) {
    super(context ? `${context}: ${status.message || status.reason || `HTTP ${status.code}`}` : status.message || status.reason || `HTTP ${status.code}`);
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? "";
  }
  get details(): StatusDetails | undefined {
    return this.status.details;
  }
}

/** A watch that can no longer continue from its resourceVersion (410, or an ERROR event with 410): relist. */
export class WatchExpiredError extends ApiError {
  override readonly name = "ApiError";
}

function isStatusBody(v: unknown): v is Partial<Status> {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "Status";
}

/** The Status for an error response: the body's own when it is one, else one built from the HTTP status. */
export function statusFromResponse(code: number, body: string): Status {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatusBody(parsed)) {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: (parsed.metadata as Record<string, unknown> | undefined) ?? {},
      status: parsed.status ?? "Failure",
      message: parsed.message ?? "",
      reason: parsed.reason ?? ((REASON_BY_CODE[code] ?? "") as Status["reason"]),
      ...(parsed.details ? { details: parsed.details } : {}),
      code: typeof parsed.code === "number" && parsed.code !== 0 ? parsed.code : code,
    };
  }
  const text = body.trim().slice(0, 200);
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: text ? `the server responded with HTTP ${code}: ${text}` : `the server responded with HTTP ${code}`,
    reason: (REASON_BY_CODE[code] ?? "") as Status["reason"],
    code,
  };
}

export function apiErrorFromResponse(code: number, body: string, context?: string): ApiError {
  const status = statusFromResponse(code, body);
  return status.code === 410 ? new WatchExpiredError(status, context) : new ApiError(status, context);
}

/** The error for an ERROR event inside a watch stream (its object is a Status). */
export function apiErrorFromWatchEvent(object: unknown, context?: string): ApiError {
  const status = isStatusBody(object) ? statusFromResponse(typeof object.code === "number" ? object.code : 500, JSON.stringify(object)) : statusFromResponse(500, "");
  return status.code === 410 ? new WatchExpiredError(status, context) : new ApiError(status, context);
}

const hasCode = (err: unknown, code: number): boolean => err instanceof ApiError && err.code === code;

export const isNotFound = (err: unknown): boolean => hasCode(err, 404);
export const isConflict = (err: unknown): boolean => hasCode(err, 409) && (err as ApiError).reason !== "AlreadyExists";
export const isAlreadyExists = (err: unknown): boolean => hasCode(err, 409) && (err as ApiError).reason === "AlreadyExists";
export const isGone = (err: unknown): boolean => hasCode(err, 410);
