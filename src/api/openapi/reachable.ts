// The definitions a document must carry: everything its operations reference, transitively.

import { definitions, refName, type JsonSchema } from "../schema/definitions.js";

/** Names of `roots` and every definition reachable from them through $ref, sorted. */
export function reachableDefinitions(roots: Iterable<string>): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const def = defs[name];
    if (!def) throw new Error(`OpenAPI: unknown definition ${name}`);
    seen.add(name);
    collectRefs(def, stack);
  }
  return [...seen].sort();
}

function collectRefs(s: JsonSchema, out: string[]): void {
  if (s.$ref) out.push(refName(s.$ref));
  if (s.items) collectRefs(s.items, out);
  if (s.additionalProperties) collectRefs(s.additionalProperties, out);
  for (const p of Object.values(s.properties ?? {})) collectRefs(p, out);
}
