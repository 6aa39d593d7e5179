#!/usr/bin/env node
// Generates src/api/generated/definitions.json: OpenAPI v2-style definitions for every API type of
// the groups we serve, keyed by the Kubernetes canonical name (io.k8s.api.core.v1.Pod ...).
//
// Source of truth is the `kubernetes-types` package (TypeScript declarations carrying Kubernetes'
// own descriptions, `?` for optional fields and literal apiVersion/kind on top-level kinds). It
// lacks three things Kubernetes publishes, which we overlay from tables kept beside the schema
// code:
//   - integer formats: every `number` in these groups is a Go int32 or int64 (no float exists in
//     them; checked against k8s.io/api release-1.30), int64 fields are listed in field-formats.json;
//   - base64 `[]byte` fields (format "byte"), also in field-formats.json;
//   - patch/list metadata (x-kubernetes-patch-strategy, -patch-merge-key, -list-type,
//     -list-map-keys, -map-type) from the struct tags and +listType markers, in patch-meta.json.
// Every table entry must name an existing definition and field, so a package upgrade that renames
// something fails here instead of silently dropping metadata.
//
// Only the syntax of the declarations is read (no type checker): it takes ~0.3 s.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const typesDir = dirname(require.resolve("kubernetes-types/package.json"));

/** Declaration file (relative to kubernetes-types, without .d.ts) → canonical name prefix. */
const MODULES = {
  "core/v1": "io.k8s.api.core.v1",
  "apps/v1": "io.k8s.api.apps.v1",
  "batch/v1": "io.k8s.api.batch.v1",
  "autoscaling/v1": "io.k8s.api.autoscaling.v1",
  "authentication/v1": "io.k8s.api.authentication.v1",
  "authorization/v1": "io.k8s.api.authorization.v1",
  "coordination/v1": "io.k8s.api.coordination.v1",
  "discovery/v1": "io.k8s.api.discovery.v1",
  "events/v1": "io.k8s.api.events.v1",
  "rbac/v1": "io.k8s.api.rbac.v1",
  "storage/v1": "io.k8s.api.storage.v1",
  "policy/v1": "io.k8s.api.policy.v1",
  "meta/v1": "io.k8s.apimachinery.pkg.apis.meta.v1",
  runtime: "io.k8s.apimachinery.pkg.runtime",
  "api/resource": "io.k8s.apimachinery.pkg.api.resource",
};

const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/** Aliases of `string` that Kubernetes publishes with a format. */
const STRING_ALIAS_FORMATS = {
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "date-time",
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "date-time",
};

function readJson(rel) {
  return JSON.parse(readFileSync(join(root, rel), "utf8"));
}

/** Text of the JSDoc block right before a node, without the comment markers. */
function docOf(node, text) {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const last = ranges.filter((r) => text.startsWith("/**", r.pos)).pop();
  if (!last) return undefined;
  const body = text.slice(last.pos + 3, last.end - 2);
  const lines = body.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
  return lines.join("\n").trim() || undefined;
}

function literalText(typeNode) {
  if (ts.isLiteralTypeNode(typeNode) && ts.isStringLiteral(typeNode.literal)) return typeNode.literal.text;
  return undefined;
}

function gvkOf(members) {
  let apiVersion;
  let kind;
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    if (m.name.getText() === "apiVersion") apiVersion = literalText(m.type);
    if (m.name.getText() === "kind") kind = literalText(m.type);
  }
  if (!apiVersion || !kind) return undefined;
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion, kind } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

function generate() {
  const defs = {};
  const formats = readJson("src/api/schema/field-formats.json");
  const int64 = formats.int64;

  for (const [mod, prefix] of Object.entries(MODULES)) {
    const file = join(typesDir, `${mod}.d.ts`);
    const text = readFileSync(file, "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);

    // Identifier → canonical name, for local declarations and imports.
    const scope = new Map();
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st)) {
        const from = posix.join(posix.dirname(mod), st.moduleSpecifier.text);
        const otherPrefix = MODULES[from];
        if (!otherPrefix) throw new Error(`${mod} imports from ${from}, which is not a served module: add it to MODULES`);
        for (const el of st.importClause?.namedBindings?.elements ?? []) scope.set(el.name.text, `${otherPrefix}.${(el.propertyName ?? el.name).text}`);
      } else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) {
        scope.set(st.name.text, `${prefix}.${st.name.text}`);
      }
    }

    const where = (node) => `${mod}.d.ts:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;

    const schemaOf = (t, defName, field) => {
      switch (t.kind) {
        case ts.SyntaxKind.StringKeyword:
          return { type: "string" };
        case ts.SyntaxKind.BooleanKeyword:
          return { type: "boolean" };
        case ts.SyntaxKind.NumberKeyword:
          return { type: "integer", format: int64[defName]?.includes(field) ? "int64" : "int32" };
        case ts.SyntaxKind.LiteralType:
          if (literalText(t) !== undefined) return { type: "string" };
          break;
        case ts.SyntaxKind.UnionType: {
          const kinds = t.types.map((x) => x.kind).sort();
          if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) return { $ref: `#/definitions/${INT_OR_STRING}` };
          break;
        }
        case ts.SyntaxKind.ArrayType:
          return { type: "array", items: schemaOf(t.elementType, defName, field) };
        case ts.SyntaxKind.TypeReference: {
          const name = t.typeName.getText();
          if (name === "Array" && t.typeArguments?.length === 1) return { type: "array", items: schemaOf(t.typeArguments[0], defName, field) };
          const canonical = scope.get(name);
          if (canonical) return { $ref: `#/definitions/${canonical}` };
          break;
        }
        case ts.SyntaxKind.TypeLiteral: {
          const idx = t.members.length === 1 && ts.isIndexSignatureDeclaration(t.members[0]) ? t.members[0] : undefined;
          if (idx?.type) return { type: "object", additionalProperties: schemaOf(idx.type, defName, field) };
          break;
        }
      }
      throw new Error(`${where(t)}: unsupported type syntax "${t.getText()}" in ${defName}.${field}`);
    };

    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st)) {
        const name = `${prefix}.${st.name.text}`;
        const def = { description: docOf(st, text), type: "object" };
        const properties = {};
        const required = [];
        for (const m of st.members) {
          if (!ts.isPropertySignature(m) || !m.type) throw new Error(`${where(m)}: unexpected member in ${name}`);
          const field = m.name.getText().replace(/^"|"$/g, "");
          const prop = schemaOf(m.type, name, field);
          const description = docOf(m, text);
          properties[field] = description ? { description, ...prop } : prop;
          if (!m.questionToken) required.push(field);
        }
        if (Object.keys(properties).length) def.properties = properties;
        if (required.length) def.required = required;
        const gvk = gvkOf(st.members);
        if (gvk) def["x-kubernetes-group-version-kind"] = [gvk];
        defs[name] = def;
      } else if (ts.isTypeAliasDeclaration(st)) {
        const name = `${prefix}.${st.name.text}`;
        if (st.type.kind !== ts.SyntaxKind.StringKeyword) throw new Error(`${where(st)}: unsupported alias ${name}`);
        const def = { description: docOf(st, text), type: "string" };
        if (STRING_ALIAS_FORMATS[name]) def.format = STRING_ALIAS_FORMATS[name];
        defs[name] = def;
      }
    }
  }

  // kubernetes-types inlines IntOrString as `number | string`; Kubernetes publishes it as a named
  // definition that every such field references.
  defs[INT_OR_STRING] = {
    description:
      "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
    type: "string",
    format: "int-or-string",
  };

  checkInt64Table(defs, int64);
  applyByteFormats(defs, formats.byte);
  applyPatchMeta(defs, readJson("src/api/schema/patch-meta.json"));
  return sortKeys(defs);
}

function fieldOf(defs, defName, field, table) {
  const prop = defs[defName]?.properties?.[field];
  if (!prop) throw new Error(`${table}: ${defName}.${field} does not exist in kubernetes-types`);
  return prop;
}

function checkInt64Table(defs, int64) {
  for (const [defName, fields] of Object.entries(int64)) {
    for (const field of fields) {
      const prop = fieldOf(defs, defName, field, "field-formats.json int64");
      const leaf = prop.type === "array" ? prop.items : prop;
      if (leaf.format !== "int64") throw new Error(`field-formats.json int64: ${defName}.${field} is not a number`);
    }
  }
}

function applyByteFormats(defs, byteFields) {
  for (const [defName, fields] of Object.entries(byteFields)) {
    for (const field of fields) {
      const prop = fieldOf(defs, defName, field, "field-formats.json byte");
      // map[string][]byte (Secret.data) carries the format on the values.
      const leaf = prop.type === "object" ? prop.additionalProperties : prop;
      if (leaf?.type !== "string") throw new Error(`field-formats.json byte: ${defName}.${field} is not a string`);
      leaf.format = "byte";
    }
  }
}

const EXTENSION = {
  patchStrategy: "x-kubernetes-patch-strategy",
  patchMergeKey: "x-kubernetes-patch-merge-key",
  listType: "x-kubernetes-list-type",
  listMapKeys: "x-kubernetes-list-map-keys",
  mapType: "x-kubernetes-map-type",
};

function applyPatchMeta(defs, table) {
  for (const [defName, fields] of Object.entries(table.fields)) {
    for (const [field, meta] of Object.entries(fields)) {
      const prop = fieldOf(defs, defName, field, "patch-meta.json");
      for (const [key, value] of Object.entries(meta)) {
        if (!EXTENSION[key]) throw new Error(`patch-meta.json: unknown key ${key} on ${defName}.${field}`);
        prop[EXTENSION[key]] = value;
      }
    }
  }
  for (const [defName, meta] of Object.entries(table.types)) {
    const def = defs[defName];
    if (!def) throw new Error(`patch-meta.json: type ${defName} does not exist in kubernetes-types`);
    for (const [key, value] of Object.entries(meta)) def[EXTENSION[key]] = value;
  }
}

function sortKeys(obj) {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}

const started = Date.now();
const defs = generate();
const outDir = join(root, "src/api/generated");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "definitions.json"), JSON.stringify(defs, null, 1) + "\n");
if (!process.env.GEN_QUIET) console.log(`gen-schemas: ${Object.keys(defs).length} definitions in ${Date.now() - started} ms`);
