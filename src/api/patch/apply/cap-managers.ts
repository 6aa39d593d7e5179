// Kubernetes keeps at most 10 Update entries per object; beyond that the oldest are folded, per API
// version, into an "ancient-changes" entry (capManagersManager), so objects touched by many
// controllers do not grow without bound.
import { managerIdentifier, type Managed } from "./managed-fields.js";

export const MAX_UPDATE_MANAGERS = 10;
const BUCKET = "ancient-changes";

export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): Managed {
  const out: Managed = new Map([...managed].map(([k, v]) => [k, { ...v }]));
  const updaters = [...out.entries()].filter(([, m]) => m.operation === "Update").map(([id]) => id);
  if (updaters.length <= max) return out;
  const seconds = (id: string) => {
    const t = out.get(id)?.time;
    return t ? Math.floor(Date.parse(t) / 1000) : 0;
  };
  updaters.sort((a, b) => seconds(a) - seconds(b) || (a < b ? -1 : a > b ? 1 : 0));

  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i];
    const m = out.get(id);
    if (!m) continue;
    const bucket = managerIdentifier({ manager: BUCKET, operation: "Update", apiVersion: m.apiVersion });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (!out.has(bucket)) {
      // The first old entry of this version becomes the bucket.
      const f = out.get(first)!;
      out.delete(first);
      out.set(bucket, { ...f, manager: BUCKET, operation: "Update", subresource: undefined });
    }
    const b = out.get(bucket)!;
    out.set(bucket, { ...b, apiVersion: m.apiVersion, set: m.set.union(b.set), time: m.time });
    out.delete(id);
    length--;
  }
  return out;
}
