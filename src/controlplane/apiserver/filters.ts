// The label and field selectors of a list, watch or deletecollection request, as one predicate.

import { gvkKey, type KubeObject, type ResourceDef } from "../../api/registry/types.js";
import { apiVersionOf } from "../../api/registry/resources.js";
import { parseLabelSelector } from "../../api/selectors/labels.js";
import { parseFieldSelector } from "../../api/selectors/fields.js";

export interface Filter {
  /** True when neither selector restricts anything. */
  empty: boolean;
  matches(obj: KubeObject): boolean;
}

export function listFilter(r: ResourceDef, query: URLSearchParams): Filter {
  const labels = parseLabelSelector(query.get("labelSelector") ?? "");
  const fields = parseFieldSelector(query.get("fieldSelector") ?? "", gvkKey(apiVersionOf(r), r.kind));
  if (labels.empty && fields.empty) return { empty: true, matches: () => true };
  return {
    empty: false,
    matches: (obj) => labels.matches(obj.metadata?.labels) && fields.matches(obj),
  };
}
