// URL paths and query strings of the Kubernetes REST API, as client-go's request builder makes
// them: /api/v1/... for the core group, /apis/<group>/<version>/... otherwise.

/** Enough about a resource to address it; the API server's ResourceDef satisfies it. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface PathParts {
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function resourcePath(r: ResourceRef, p: PathParts = {}): string {
  let out = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced) {
    if (p.namespace) out += `/namespaces/${encodeURIComponent(p.namespace)}`;
    else if (p.name) throw new Error(`${r.plural} are namespaced: a namespace is needed to address ${JSON.stringify(p.name)}`);
  }
  out += `/${r.plural}`;
  if (p.name !== undefined) {
    if (p.name === "") throw new Error(`an empty name cannot address one of ${r.plural}`);
    out += `/${encodeURIComponent(p.name)}`;
    if (p.subresource) out += `/${p.subresource}`;
  }
  return out;
}

/** A query string ("" or "?a=b&c=d") from the defined, non-empty values, in the given order. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === "") continue;
    q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
