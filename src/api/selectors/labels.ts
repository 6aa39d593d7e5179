// Label selectors: the string form the API accepts in `?labelSelector=` (parsed exactly like
// k8s.io/apimachinery/pkg/labels/selector.go, with the same error texts) and the object form
// (metav1.LabelSelector) used in specs. Both become one LabelMatcher.

import { badRequest, StatusError } from "../errors.js";
import { isQualifiedName, isValidLabelValue } from "./validation.js";

/** Operators as apimachinery's selection.Operator spells them. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted and de-duplicated when parsed from a string; as given when built from an object. */
  readonly values: readonly string[];
}

export interface LabelMatcher {
  /** Sorted by key (stable), as Kubernetes sorts them. */
  readonly requirements: readonly LabelRequirement[];
  /** True for the "everything" selector (no requirements). */
  readonly empty: boolean;
  /** True only for the "nothing" selector, which a nil LabelSelector object converts to. */
  readonly matchesNothing: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** Canonical string form (`a=b,c in (d,e),!f`), what `selector.String()` returns. */
  toString(): string;
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

// Guards: parsing is linear, but a selector sent in a URL can still be made big enough to cost
// memory and time for every object matched. Real clients stay far below these numbers.
export const MAX_LABEL_SELECTOR_LENGTH = 64 * 1024;
export const MAX_LABEL_REQUIREMENTS = 1000;
export const MAX_LABEL_VALUES = 10_000;

// ---------------------------------------------------------------------------------------------
// Matching and printing

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return has && r.values.includes(val as string);
    case "notin":
    case "!=":
      return !has || !r.values.includes(val as string);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(val as string);
      const rv = parseInt64(r.values[0]);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
}

const OPERATOR_TEXT: Record<LabelOperator, string> = {
  "=": "=",
  "==": "==",
  "!=": "!=",
  in: " in ",
  notin: " notin ",
  gt: ">",
  lt: "<",
  exists: "",
  "!": "",
};

export function requirementToString(r: LabelRequirement): string {
  if (r.operator === "exists") return r.key;
  if (r.operator === "!") return `!${r.key}`;
  const vals = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(",");
  const body = r.operator === "in" || r.operator === "notin" ? `(${vals})` : vals;
  return `${r.key}${OPERATOR_TEXT[r.operator]}${body}`;
}

function makeMatcher(requirements: LabelRequirement[], nothing = false): LabelMatcher {
  // Array.prototype.sort is stable, so requirements on the same key keep their order.
  const reqs = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: reqs,
    empty: !nothing && reqs.length === 0,
    matchesNothing: nothing,
    matches(labels) {
      if (nothing) return false;
      const ls = labels ?? {};
      return reqs.every((r) => requirementMatches(r, ls));
    },
    toString: () => reqs.map(requirementToString).join(","),
  };
}

export const everything = (): LabelMatcher => makeMatcher([]);
export const nothing = (): LabelMatcher => makeMatcher([], true);

/** Selector from a plain map, as labels.SelectorFromSet (no validation). */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined | null): LabelMatcher {
  return makeMatcher(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: "=" as const, values: [v] })));
}

/** labels.FormatLabels: `a=b,c=d` sorted, or `<none>`. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined | null): string {
  const s = Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
  return s === "" ? "<none>" : s;
}

// ---------------------------------------------------------------------------------------------
// Requirement validation (labels.NewRequirement), producing field-error strings

/** Go's field.Error rendering of an Invalid value: strings quoted, anything else as JSON. */
function invalid(path: string, value: unknown, detail: string): string {
  const shown = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value ?? null);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several de-duplicated in brackets. */
function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(", ")}]`;
}

function validateKey(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalid(path, key, errs.join("; ")) : undefined;
}

/**
 * labels.NewRequirement's checks. `path` is the field path prefix ("" when parsing a string,
 * where apimachinery passes a nil path). Returns the aggregated error message, or undefined.
 * `rawValues` null means a nil slice (printed as `null`), as in LabelSelectorAsSelector.
 */
function requirementErrors(key: string, op: LabelOperator, rawValues: readonly string[] | null): string | undefined {
  const vals = rawValues ?? [];
  const errs: string[] = [];
  const keyErr = validateKey(key, "key");
  if (keyErr) errs.push(keyErr);
  switch (op) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(invalid("values", rawValues, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(invalid("values", rawValues, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(invalid("values", rawValues, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(invalid("values", rawValues, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
  }
  vals.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(invalid(`values[${i}][${key}]`, v, vErrs.join("; ")));
  });
  return errs.length ? aggregate(errs) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The string form: lexer and parser, following apimachinery token by token

enum Tok {
  Error,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const STRING_TO_TOKEN: Record<string, Tok> = {
  ")": Tok.ClosedPar,
  ",": Tok.Comma,
  "!": Tok.DoesNotExist,
  "==": Tok.DoubleEquals,
  "=": Tok.Equals,
  ">": Tok.GreaterThan,
  in: Tok.In,
  "<": Tok.LessThan,
  "!=": Tok.NotEquals,
  notin: Tok.NotIn,
  "(": Tok.OpenPar,
};
const tokenOf = (s: string): Tok | undefined => (Object.hasOwn(STRING_TO_TOKEN, s) ? STRING_TO_TOKEN[s] : undefined);

const isWhitespace = (ch: string): boolean => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecial = (ch: string): boolean => "=!(),><".includes(ch) && ch !== "";

interface Item {
  tok: Tok;
  lit: string;
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.EndOfString, lit: "" });
      return items;
    }
    if (isSpecial(s[pos])) {
      // Longest run of special symbols that still forms a token ("!=", "=="), then stop.
      let buf = "";
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buf += s[pos];
        const t = tokenOf(buf);
        if (t !== undefined) {
          last = { tok: t, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos])) pos++;
    const word = s.slice(start, pos);
    const t = tokenOf(word);
    items.push({ tok: t ?? Tok.Identifier, lit: word });
  }
}

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

class ParseError extends Error {}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  /** In value context the keywords `in` / `notin` are plain identifiers. */
  private at(i: number, values: boolean): Item {
    const it = this.items[Math.min(i, this.items.length - 1)];
    if (values && (it.tok === Tok.In || it.tok === Tok.NotIn)) return { tok: Tok.Identifier, lit: it.lit };
    return it;
  }
  private lookahead(values = true): Item {
    return this.at(this.position, values);
  }
  private consume(values = true): Item {
    return this.at(this.position++, values);
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    let valueCount = 0;
    for (;;) {
      const { tok, lit } = this.lookahead();
      switch (tok) {
        case Tok.Identifier:
        case Tok.DoesNotExist: {
          let r: LabelRequirement;
          try {
            r = this.parseRequirement();
          } catch (e) {
            if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
            throw e;
          }
          reqs.push(r);
          valueCount += r.values.length;
          if (reqs.length > MAX_LABEL_REQUIREMENTS) {
            throw new StatusError(400, "BadRequest", `label selector has more than ${MAX_LABEL_REQUIREMENTS} requirements`);
          }
          if (valueCount > MAX_LABEL_VALUES) {
            throw new StatusError(400, "BadRequest", `label selector has more than ${MAX_LABEL_VALUES} values`);
          }
          const next = this.consume();
          if (next.tok === Tok.EndOfString) return reqs;
          if (next.tok === Tok.Comma) {
            const after = this.lookahead();
            if (after.tok !== Tok.Identifier && after.tok !== Tok.DoesNotExist) {
              throw new ParseError(`found '${after.lit}', expected: identifier after ','`);
            }
            continue;
          }
          throw new ParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
        case Tok.EndOfString:
          return reqs;
        default:
          throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let op: LabelOperator | undefined;
    let { tok, lit } = this.consume();
    if (tok === Tok.DoesNotExist) {
      op = "!";
      ({ tok, lit } = this.consume());
    }
    if (tok !== Tok.Identifier) throw new ParseError(`found '${lit}', expected: identifier`);
    const key = lit;
    // apimachinery passes a nil field path here, which prints as "<nil>".
    const keyErr = validateKey(key, "<nil>");
    if (keyErr) throw new ParseError(keyErr);
    const t = this.lookahead().tok;
    if (t === Tok.EndOfString || t === Tok.Comma) op = op ?? "exists";
    if (op === "exists" || op === "!") return this.build(key, op, []);

    const opTok = this.consume(false);
    switch (opTok.tok) {
      case Tok.In:
        op = "in";
        break;
      case Tok.Equals:
        op = "=";
        break;
      case Tok.DoubleEquals:
        op = "==";
        break;
      case Tok.GreaterThan:
        op = "gt";
        break;
      case Tok.LessThan:
        op = "lt";
        break;
      case Tok.NotIn:
        op = "notin";
        break;
      case Tok.NotEquals:
        op = "!=";
        break;
      default:
        throw new ParseError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS}`);
    }
    const values = op === "in" || op === "notin" ? this.parseValues() : this.parseExactValue();
    return this.build(key, op, [...values].sort());
  }

  private build(key: string, op: LabelOperator, values: string[]): LabelRequirement {
    const err = requirementErrors(key, op, values);
    if (err) throw new ParseError(err);
    return { key, operator: op, values };
  }

  private parseValues(): Set<string> {
    const open = this.consume();
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead();
    switch (tok) {
      case Tok.Identifier:
      case Tok.Comma: {
        const s = this.parseIdentifiersList();
        if (this.consume().tok !== Tok.ClosedPar) throw new ParseError(`found '${lit}', expected: ')'`);
        return s;
      }
      case Tok.ClosedPar:
        this.consume();
        return new Set([""]);
      default:
        throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume();
      switch (tok) {
        case Tok.Identifier: {
          s.add(lit);
          const next = this.lookahead();
          if (next.tok === Tok.Comma) continue;
          if (next.tok === Tok.ClosedPar) return s;
          throw new ParseError(`found '${next.lit}', expected: ',' or ')'`);
        }
        case Tok.Comma: {
          // "(,a)", "(a,,b)" and "(a,)" each contribute an empty value.
          if (s.size === 0) s.add("");
          const next = this.lookahead();
          if (next.tok === Tok.ClosedPar) {
            s.add("");
            return s;
          }
          if (next.tok === Tok.Comma) s.add("");
          continue;
        }
        default:
          throw new ParseError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const t = this.lookahead().tok;
    if (t === Tok.EndOfString || t === Tok.Comma) return new Set([""]);
    const { tok, lit } = this.consume();
    if (tok === Tok.Identifier) return new Set([lit]);
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/** Parse the requirements of a string selector; throws a 400 StatusError with Kubernetes' text. */
export function parseLabelRequirements(selector: string): LabelRequirement[] {
  if (selector.length > MAX_LABEL_SELECTOR_LENGTH) {
    throw badRequest(`label selector is too long: ${selector.length} characters, the limit is ${MAX_LABEL_SELECTOR_LENGTH}`);
  }
  try {
    return new Parser(lex(selector)).parse();
  } catch (e) {
    if (e instanceof ParseError) throw badRequest(e.message);
    throw e;
  }
}

/** `?labelSelector=` → matcher. The empty string selects everything. */
export function parseLabelSelector(selector: string): LabelMatcher {
  return makeMatcher(parseLabelRequirements(selector));
}

// ---------------------------------------------------------------------------------------------
// The object form (metav1.LabelSelector)

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * metav1.LabelSelectorAsSelector: nil selects nothing, empty selects everything. Throws a 400
 * StatusError with apimachinery's message when the selector is invalid (validation normally
 * rejects such objects before they are stored).
 */
export function labelSelectorAsMatcher(sel: LabelSelector | null | undefined): LabelMatcher {
  if (sel === null || sel === undefined) return nothing();
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everything();
  const reqs: LabelRequirement[] = [];
  for (const [key, v] of Object.entries(matchLabels)) {
    const err = requirementErrors(key, "=", [v]);
    if (err) throw badRequest(err);
    reqs.push({ key, operator: "=", values: [v] });
  }
  for (const e of exprs) {
    const op = Object.hasOwn(EXPRESSION_OPERATORS, e.operator) ? EXPRESSION_OPERATORS[e.operator] : undefined;
    if (!op) throw badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    // A nil or empty values list is a nil slice after apimachinery's append([]string(nil), ...).
    const values = e.values && e.values.length > 0 ? [...e.values] : null;
    const err = requirementErrors(e.key, op, values);
    if (err) throw badRequest(err);
    reqs.push({ key: e.key, operator: op, values: values ?? [] });
  }
  if (reqs.length > MAX_LABEL_REQUIREMENTS) {
    throw badRequest(`label selector has more than ${MAX_LABEL_REQUIREMENTS} requirements`);
  }
  return makeMatcher(reqs);
}

/** The string form of a LabelSelector object ("" for nil or empty); throws like labelSelectorAsMatcher. */
export function labelSelectorToString(sel: LabelSelector | null | undefined): string {
  return labelSelectorAsMatcher(sel).toString();
}

/** metav1.FormatLabelSelector, used by printers: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  let s: string;
  try {
    s = labelSelectorToString(sel);
  } catch {
    return "<error>";
  }
  return s === "" ? "<none>" : s;
}
