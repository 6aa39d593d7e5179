// Discovery documents, both the legacy per-group form (/api, /apis, /api/v1, /apis/G, /apis/G/V)
// and the aggregated form (apidiscovery.k8s.io/v2 and v2beta1) that kubectl 1.30+ asks for first.
// All of them are derived from the resource table and computed once.

import { createHash } from "node:crypto";
import { apiVersionOf, type GroupVersion, groupVersions, isStored, subresourceKind, subresourceVerbs } from "../../api/registry/resources.js";
import type { ResourceDef } from "../../api/registry/types.js";

export interface Discovery {
  /** Legacy documents by path ("/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1"). */
  legacy: Map<string, string>;
  aggregatedCore(version: "v2" | "v2beta1"): string;
  aggregatedGroups(version: "v2" | "v2beta1"): string;
}

function storageVersionHash(r: ResourceDef): string {
  return createHash("sha256").update(`${r.group}/${r.version}/${r.kind}`).digest("base64").slice(0, 11);
}

function legacyResources(gv: GroupVersion): unknown[] {
  const out: unknown[] = [];
  for (const r of gv.resources) {
    const entry: Record<string, unknown> = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    if (isStored(r)) entry.storageVersionHash = storageVersionHash(r);
    out.push(entry);
    for (const sub of r.subresources) {
      const k = subresourceKind(r, sub);
      const s: Record<string, unknown> = { name: `${r.plural}/${sub}`, singularName: "", namespaced: r.namespaced };
      if (k.group !== r.group || k.version !== r.version) {
        s.group = k.group;
        s.version = k.version;
      }
      s.kind = k.kind;
      s.verbs = subresourceVerbs(sub);
      out.push(s);
    }
  }
  return out;
}

function aggregatedResources(gv: GroupVersion): unknown[] {
  return gv.resources.map((r) => {
    const entry: Record<string, unknown> = {
      resource: r.plural,
      responseKind: { group: r.group, version: r.version, kind: r.kind },
      scope: r.namespaced ? "Namespaced" : "Cluster",
      singularResource: r.singular,
      verbs: r.verbs,
    };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    if (r.subresources.length) {
      entry.subresources = r.subresources.map((sub) => ({
        subresource: sub,
        responseKind: subresourceKind(r, sub),
        verbs: subresourceVerbs(sub),
      }));
    }
    return entry;
  });
}

export function buildDiscovery(resources: readonly ResourceDef[]): Discovery {
  const gvs = groupVersions(resources);
  const legacy = new Map<string, string>();
  const core = gvs.filter((g) => g.group === "");
  const named = gvs.filter((g) => g.group !== "");

  legacy.set(
    "/api",
    JSON.stringify({
      kind: "APIVersions",
      versions: core.map((g) => g.version),
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "" }],
    }),
  );
  const groupNames = [...new Set(named.map((g) => g.group))];
  const apiGroup = (name: string) => {
    const versions = named.filter((g) => g.group === name).map((g) => ({ groupVersion: apiVersionOf(g), version: g.version }));
    return { name, versions, preferredVersion: versions[0] };
  };
  legacy.set("/apis", JSON.stringify({ kind: "APIGroupList", apiVersion: "v1", groups: groupNames.map(apiGroup) }));
  for (const name of groupNames) legacy.set(`/apis/${name}`, JSON.stringify({ kind: "APIGroup", apiVersion: "v1", ...apiGroup(name) }));
  for (const gv of gvs) {
    const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
    legacy.set(path, JSON.stringify({ kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(gv), resources: legacyResources(gv) }));
  }

  const aggregated = (groups: GroupVersion[], version: string) => {
    const names = [...new Set(groups.map((g) => g.group))];
    return JSON.stringify({
      kind: "APIGroupDiscoveryList",
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: names.map((name) => ({
        metadata: name ? { name, creationTimestamp: null } : { creationTimestamp: null },
        versions: groups
          .filter((g) => g.group === name)
          .map((g) => ({ version: g.version, resources: aggregatedResources(g), freshness: "Current" })),
      })),
    });
  };
  const cache = new Map<string, string>();
  const memo = (key: string, f: () => string) => {
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = f()));
    return v;
  };
  return {
    legacy,
    aggregatedCore: (v) => memo(`core/${v}`, () => aggregated(core, v)),
    aggregatedGroups: (v) => memo(`groups/${v}`, () => aggregated(named, v)),
  };
}

export function aggregatedContentType(version: "v2" | "v2beta1"): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
