// Content negotiation: which representation a client asked for in Accept (plain JSON, a Table,
// PartialObjectMetadata, aggregated discovery), and which body format it sent.

import { notAcceptable, unsupportedMediaType } from "../../api/errors.js";

export type Representation =
  | { as: "object" }
  | { as: "Table"; version: "v1" | "v1beta1" }
  | { as: "PartialObjectMetadata"; version: "v1" | "v1beta1" }
  | { as: "APIGroupDiscoveryList"; version: "v2" | "v2beta1" };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(",").map((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf("=");
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    return { type: type.toLowerCase(), params: p };
  });
}

const JSONISH = new Set(["application/json", "application/*", "*/*", "application/yaml"]);

/** Picks the first acceptable representation for a resource request. */
export function negotiateResource(accept: string | undefined, allowTable: boolean): Representation {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { as: "object" };
  for (const r of ranges) {
    if (!JSONISH.has(r.type)) continue;
    const as = r.params.as;
    if (!as) return { as: "object" };
    if (r.params.g !== "meta.k8s.io") continue;
    const v = r.params.v;
    if (v !== "v1" && v !== "v1beta1") continue;
    if (as === "Table" && allowTable) return { as: "Table", version: v };
    if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") return { as: "PartialObjectMetadata", version: v };
  }
  // Protobuf-only clients: we speak JSON only.
  throw notAcceptable(`only the following media types are accepted: application/json, application/yaml`);
}

export function wantsAggregatedDiscovery(accept: string | undefined): "v2" | "v2beta1" | undefined {
  for (const r of parseAccept(accept)) {
    if (r.type === "application/json" && r.params.as === "APIGroupDiscoveryList" && r.params.g === "apidiscovery.k8s.io") {
      if (r.params.v === "v2" || r.params.v === "v2beta1") return r.params.v;
    }
    if (r.type === "application/json" && !r.params.as) return undefined;
  }
  return undefined;
}

export type BodyFormat = "json" | "yaml" | "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

export function bodyFormat(contentType: string | undefined, forPatch: boolean): BodyFormat {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (forPatch) {
    switch (type) {
      case "application/json-patch+json":
        return "json-patch";
      case "application/merge-patch+json":
        return "merge-patch";
      case "application/strategic-merge-patch+json":
        return "strategic-merge-patch";
      case "application/apply-patch+yaml":
      case "application/apply-patch+cbor":
        if (type.endsWith("cbor")) break;
        return "apply-patch";
    }
    throw unsupportedMediaType(contentType ?? "");
  }
  switch (type) {
    case "application/json":
    case "":
      return "json";
    case "application/yaml":
    case "application/x-yaml":
    case "text/yaml":
      return "yaml";
  }
  throw unsupportedMediaType(contentType ?? "");
}
