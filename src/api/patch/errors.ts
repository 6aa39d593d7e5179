// Errors shaped exactly as kube-apiserver answers patch failures (see
// k8s.io/apiserver/pkg/endpoints/handlers/patch.go). Two shapes need care:
//  - NewGenericServerResponse(422, ...) keeps only a canned message and drops the real cause;
//  - plain Go errors that are not API statuses become 500 with an empty reason (ErrorToAPIStatus).
import { StatusError } from "../errors.js";

export function genericInvalid(): StatusError {
  return new StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {});
}

export function unknownServerError(message: string): StatusError {
  const err = new StatusError(500, "InternalError", message);
  err.status.reason = "";
  return err;
}
