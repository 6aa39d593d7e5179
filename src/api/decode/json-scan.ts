// A single pass over JSON text that does what JSON.parse does not: report syntax errors with Go's
// encoding/json wording and position (clients and users see the same text as from Kubernetes),
// and list duplicate object keys by path, as Kubernetes' strict decoding reports them
// (`duplicate field "metadata.name"`, `spec.containers[0].name`). It builds no values; JSON.parse
// stays the decoder.

export interface JsonScan {
  duplicates: string[];
  /** Go-style syntax error and the byte offset where it was found (in UTF-16 units of the text). */
  error?: { message: string; offset: number };
}

class SyntaxErr extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Go's quoteChar: how encoding/json prints the offending character. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const q = JSON.stringify(c).slice(1, -1);
  // JSON.stringify prints \u00XX for control characters; Go prints \x.. for them.
  return `'${q.replace(/^\\u00([0-9a-f]{2})$/, "\\x$1")}'`;
}

export function scanJson(text: string): JsonScan {
  const duplicates: string[] = [];
  let i = 0;
  const n = text.length;

  const fail = (context: string): never => {
    if (i >= n) throw new SyntaxErr("unexpected end of JSON input", n);
    throw new SyntaxErr(`invalid character ${quoteChar(text[i])} ${context}`, i);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const digits = (context: string): void => {
    if (i >= n || text[i] < "0" || text[i] > "9") fail(context);
    while (i < n && text[i] >= "0" && text[i] <= "9") i++;
  };

  const str = (): string => {
    const start = ++i; // after the opening quote
    let escaped = false;
    while (true) {
      if (i >= n) fail("");
      const c = text[i];
      if (c === '"') break;
      if (c < " ") fail("in string literal");
      if (c === "\\") {
        escaped = true;
        i++;
        if (i >= n) fail("");
        if (text[i] === "u") {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail("in \\u hexadecimal character escape");
          }
        } else if (!'"\\/bfnrt'.includes(text[i])) {
          fail("in string escape code");
        }
      }
      i++;
    }
    const raw = text.slice(start, i);
    i++; // closing quote
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  };

  const value = (path: string, context: string): void => {
    ws();
    if (i >= n) fail("");
    const c = text[i];
    if (c === "{") return object(path);
    if (c === "[") return array(path);
    if (c === '"') {
      str();
      return;
    }
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const lit of ["true", "false", "null"]) {
      if (c === lit[0]) {
        for (let k = 1; k < lit.length; k++) {
          i++;
          if (text[i] !== lit[k]) fail(`in literal ${lit} (expecting ${quoteChar(lit[k])})`);
        }
        i++;
        return;
      }
    }
    fail(context);
  };

  const number = (): void => {
    if (text[i] === "-") {
      i++;
      if (i >= n || text[i] < "0" || text[i] > "9") fail("in numeric literal");
    }
    if (text[i] === "0") i++;
    else digits("in numeric literal");
    if (text[i] === ".") {
      i++;
      digits("after decimal point in numeric literal");
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits("in exponent of numeric literal");
    }
  };

  const object = (path: string): void => {
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    const seen = new Set<string>();
    while (true) {
      ws();
      if (text[i] !== '"') fail("looking for beginning of object key string");
      const key = str();
      const keyPath = path ? `${path}.${key}` : key;
      if (seen.has(key)) duplicates.push(keyPath);
      else seen.add(key);
      ws();
      if (text[i] !== ":") fail("after object key");
      i++;
      value(keyPath, "looking for beginning of value");
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail("after object key:value pair");
    }
  };

  const array = (path: string): void => {
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      value(`${path}[${index}]`, "looking for beginning of value");
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail("after array element");
    }
  };

  try {
    value("", "looking for beginning of value");
    ws();
    if (i < n) fail("after top-level value");
    return { duplicates };
  } catch (err) {
    if (err instanceof SyntaxErr) return { duplicates, error: { message: err.message, offset: err.offset } };
    throw err;
  }
}

/** 1-based line and column of an offset, for messages. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
