// YAML request bodies (application/yaml, application/apply-patch+yaml). Kubernetes converts YAML
// to JSON with sigs.k8s.io/yaml on top of go-yaml v2, which follows YAML 1.1: `yes`/`on` are
// booleans and `0644` is octal (420), the reading every manifest with `defaultMode: 0644` relies
// on. go-yaml v2 does not resolve sexagesimal numbers (`12:30`) nor turn timestamps into anything
// but strings, so those two YAML 1.1 tags are left out.

import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Tags } from "yaml";
import { badRequest } from "../errors.js";

const GO_YAML_TAGS = (tags: Tags): Tags =>
  tags.filter((t) => {
    const tag = (t as { tag?: string; format?: string }).tag;
    const format = (t as { format?: string }).format;
    return tag !== "tag:yaml.org,2002:timestamp" && format !== "TIME";
  });

export interface YamlDecoded {
  value: unknown;
  duplicates: string[];
}

/** Parses one YAML document; multi-document bodies and syntax errors are 400 BadRequest. */
export function decodeYaml(text: string): YamlDecoded {
  const docs = parseAllDocuments(text, { version: "1.1", uniqueKeys: false, merge: true, customTags: GO_YAML_TAGS });
  // parseAllDocuments returns an EmptyStream (no array methods needed) for empty input.
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      const what = err.message.split(" at line ")[0].split("\n")[0];
      throw badRequest(line ? `yaml: line ${line}: ${what}` : `yaml: ${what}`);
    }
  }
  // A trailing `---` leaves an empty document behind; only documents with content count.
  const real = list.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null && d.contents.range?.[0] === d.contents.range?.[1]));
  if (real.length > 1) throw badRequest("yaml: the request body holds more than one YAML document; send one object per request");
  const doc = real[0];
  if (!doc) return { value: null, duplicates: [] };
  const duplicates: string[] = [];
  collectDuplicates(doc.contents, "", duplicates);
  return { value: toJson(doc), duplicates };
}

function toJson(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`yaml: ${(err as Error).message}`);
  }
}

function collectDuplicates(node: unknown, path: string, out: string[]): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyPath = path ? `${path}.${key}` : key;
      if (seen.has(key)) out.push(keyPath);
      else seen.add(key);
      collectDuplicates(pair.value, keyPath, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => collectDuplicates(item, `${path}[${index}]`, out));
  }
}
