import { describe, expect, it } from "vitest";
import { ApiError, WatchExpiredError, apiErrorFromResponse, apiErrorFromWatchEvent, isAlreadyExists, isConflict, isGone, isNotFound, statusFromResponse } from "./api-error.js";

describe("statusFromResponse", () => {
  it("keeps the server's Status: code, reason, message, details", () => {
    const body = JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "web" not found',
      reason: "NotFound",
      details: { name: "web", kind: "pods" },
      code: 404,
    });
    expect(statusFromResponse(404, body)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "web" not found',
      reason: "NotFound",
      details: { name: "web", kind: "pods" },
      code: 404,
    });
  });

  it("makes a Status from the HTTP code when the body is not one", () => {
    const s = statusFromResponse(503, "<html>busy</html>");
    expect(s).toMatchObject({ code: 503, reason: "ServiceUnavailable", status: "Failure" });
    expect(s.message).toContain("<html>busy</html>");
    expect(statusFromResponse(502, "").message).toBe("the server responded with HTTP 502");
    expect(statusFromResponse(502, "").reason).toBe("");
  });

  it("fills a missing code or reason from the HTTP status", () => {
    expect(statusFromResponse(409, JSON.stringify({ kind: "Status", message: "x" }))).toMatchObject({ code: 409, reason: "Conflict", message: "x" });
  });
});

describe("ApiError", () => {
  const err = (code: number, reason: string) => apiErrorFromResponse(code, JSON.stringify({ kind: "Status", code, reason, message: "m" }), "GET /x");

  it("names the request and the server's message", () => {
    const e = err(404, "NotFound");
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toBe("GET /x: m");
    expect([e.code, e.reason]).toEqual([404, "NotFound"]);
  });

  it("classifies errors", () => {
    expect(isNotFound(err(404, "NotFound"))).toBe(true);
    expect(isNotFound(new Error("404"))).toBe(false);
    expect(isConflict(err(409, "Conflict"))).toBe(true);
    expect(isConflict(err(409, "AlreadyExists"))).toBe(false);
    expect(isAlreadyExists(err(409, "AlreadyExists"))).toBe(true);
    expect(isGone(err(410, "Expired"))).toBe(true);
    expect(err(410, "Expired")).toBeInstanceOf(WatchExpiredError);
    expect(err(404, "NotFound")).not.toBeInstanceOf(WatchExpiredError);
  });

  it("turns a watch ERROR event into an error, 410 into WatchExpiredError", () => {
    const gone = apiErrorFromWatchEvent({ kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired", message: "too old resource version: 1 (5)" });
    expect(gone).toBeInstanceOf(WatchExpiredError);
    expect(gone.message).toBe("too old resource version: 1 (5)");
    const other = apiErrorFromWatchEvent({ kind: "Status", code: 500, reason: "InternalError", message: "boom" }, "watching pods");
    expect(other).not.toBeInstanceOf(WatchExpiredError);
    expect(other.message).toBe("watching pods: boom");
    expect(apiErrorFromWatchEvent("garbage").code).toBe(500);
  });
});
