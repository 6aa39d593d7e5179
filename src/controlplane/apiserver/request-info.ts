// Turns a request path and method into what is being asked for, the way Kubernetes'
// RequestInfoFactory does: API prefix, group, version, namespace, resource, name, subresource, verb.

export interface RequestInfo {
  /** True for /api/... and /apis/... paths that address resources. */
  isResourceRequest: boolean;
  path: string;
  verb: string; // get list watch create update patch delete deletecollection (or the HTTP method for non-resource paths)
  apiPrefix: "api" | "apis" | "";
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the version, for discovery requests with no resource. */
  parts: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    group: "",
    version: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
    parts: [],
  };
  const segments = path.split("/").filter((s) => s.length > 0).map(safeDecode);
  if (segments.length === 0) return info;
  let rest: string[];
  if (segments[0] === "api") {
    info.apiPrefix = "api";
    if (segments.length < 2) return info;
    info.version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === "apis") {
    info.apiPrefix = "apis";
    if (segments.length < 3) {
      if (segments.length === 2) info.group = segments[1];
      return info;
    }
    info.group = segments[1];
    info.version = segments[2];
    rest = segments.slice(3);
  } else {
    return info;
  }
  info.parts = rest;
  if (rest.length === 0) return info;
  info.isResourceRequest = true;

  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  info.subresource = rest.slice(2).join("/");

  switch (method) {
    case "GET":
    case "HEAD":
      if (watchPath || isTrue(query.get("watch"))) info.verb = "watch";
      else info.verb = info.name ? "get" : "list";
      break;
    case "POST":
      info.verb = "create";
      break;
    case "PUT":
      info.verb = "update";
      break;
    case "PATCH":
      info.verb = "patch";
      break;
    case "DELETE":
      info.verb = info.name ? "delete" : "deletecollection";
      break;
    default:
      info.verb = method.toLowerCase();
  }
  // A namespace addressed by name is the namespace resource itself, not a namespaced child.
  if (info.resource === "namespaces") info.namespace = "";
  return info;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function isTrue(v: string | null): boolean {
  return v === "true" || v === "1";
}
