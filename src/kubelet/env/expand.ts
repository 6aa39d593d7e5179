// $(VAR) expansion as Kubernetes does it for env values, command, args and subPathExpr
// (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)` is replaced when NAME is
// known and left as written when not, `$$` is an escaped `$`, any other `$` stays literal and an
// unclosed `$(` is copied through unchanged.

export type Lookup = (name: string) => string | undefined;

/** A lookup over ordered maps: the first that has the name wins. */
export function lookupIn(...maps: Array<ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined>): Lookup {
  return (name) => {
    for (const m of maps) {
      if (!m) continue;
      if (m instanceof Map) {
        if (m.has(name)) return m.get(name);
      } else if (Object.prototype.hasOwnProperty.call(m, name)) {
        return (m as Record<string, string>)[name];
      }
    }
    return undefined;
  };
}

export function expandVars(input: string, lookup: Lookup): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let consumed: number;
    if (next === "$") {
      out += "$";
      consumed = 1;
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close === -1) {
        // Unclosed: keep "$(" and go on after it.
        out += "$(";
        consumed = 1;
      } else {
        const name = input.slice(cursor + 2, close);
        const value = lookup(name);
        out += value === undefined ? `$(${name})` : value;
        consumed = close - cursor;
      }
    } else {
      out += "$" + next;
      consumed = 1;
    }
    cursor += consumed;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
