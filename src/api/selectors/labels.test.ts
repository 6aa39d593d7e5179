import { describe, expect, it } from "vitest";
import { StatusError } from "../errors.js";
import {
  formatLabels,
  formatLabelSelector,
  labelSelectorAsMatcher,
  labelSelectorToString,
  MAX_LABEL_SELECTOR_LENGTH,
  parseLabelSelector,
} from "./labels.js";
import { isQualifiedName } from "./validation.js";

const NAME_RE_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("parseLabelSelector: canonical string form", () => {
  it.each([
    ["", ""],
    ["app=web", "app=web"],
    ["app==web", "app==web"],
    ["app!=web", "app!=web"],
    ["  tier = front ,app=web ", "app=web,tier=front"],
    ["env in (prod, dev,prod)", "env in (dev,prod)"],
    ["env notin (qa)", "env notin (qa)"],
    ["env in ()", "env in ()"],
    ["env in (,a)", "env in (,a)"],
    ["gpu", "gpu"],
    ["!gpu", "!gpu"],
    ["example.com/role=db,!beta", "!beta,example.com/role=db"],
    ["a=", "a="],
    ["rank>3,rank<10", "rank>3,rank<10"],
    ["in in (in, notin)", "in in (in,notin)"],
  ])("%j → %j", (input, canonical) => {
    expect(parseLabelSelector(input).toString()).toBe(canonical);
  });
});

describe("parseLabelSelector: matching", () => {
  const labels = { app: "web", tier: "front", rank: "5", empty: "" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app=db", false],
    ["app!=db", true],
    ["missing!=x", true],
    ["app in (db,web)", true],
    ["app notin (db,web)", false],
    ["missing notin (x)", true],
    ["tier", true],
    ["!tier", false],
    ["!missing", true],
    ["empty=", true],
    ["missing=", false],
    ["rank>4", true],
    ["rank>5", false],
    ["rank<6", true],
    ["app>1", false],
    ["app=web,tier=back", false],
  ])("%j matches: %s", (sel, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });

  it("treats missing labels as an empty map", () => {
    expect(parseLabelSelector("!a").matches(undefined)).toBe(true);
    expect(parseLabelSelector("a").matches(undefined)).toBe(false);
  });
});

describe("parseLabelSelector: errors are 400 with apimachinery's text", () => {
  it.each([
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["a=b c", "found 'c', expected: ',' or 'end of string'"],
    ["a,", "found '', expected: identifier after ','"],
    ["=a", "found '=', expected: !, identifier, or 'end of string'"],
    ["a in b", "unable to parse requirement: found 'b' expected: '('"],
    ["a in (b", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ["a=b=c", "found '=', expected: ',' or 'end of string'"],
    ["a!b", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["a$=b", `unable to parse requirement: <nil>: Invalid value: "a$": name part ${NAME_RE_MSG}`],
    ["a=b$", `unable to parse requirement: values[0][a]: Invalid value: "b$": ${VALUE_RE_MSG}`],
    ["rank>x", `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
  ])("%j", (sel, message) => {
    const err = errorOf(() => parseLabelSelector(sel));
    expect(err.code).toBe(400);
    expect(err.reason).toBe("BadRequest");
    expect(err.message).toBe(message);
  });

  it("rejects selectors beyond the size guard without parsing them", () => {
    const err = errorOf(() => parseLabelSelector("a".repeat(MAX_LABEL_SELECTOR_LENGTH + 1)));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/label selector is too long/);
  });

  it("bounds the number of requirements", () => {
    const sel = Array.from({ length: 1001 }, (_, i) => `k${i}`).join(",");
    expect(errorOf(() => parseLabelSelector(sel)).message).toBe("label selector has more than 1000 requirements");
  });
});

describe("label key validation", () => {
  it.each([
    ["app", []],
    ["example.com/app", []],
    ["/app", ["prefix part must be non-empty"]],
    ["Example.com/app", [expect.stringContaining("prefix part a lowercase RFC 1123 subdomain")]],
    ["a/b/c", [expect.stringContaining("a qualified name must consist of")]],
    ["x".repeat(64), ["name part must be no more than 63 bytes"]],
  ])("%j", (key, errs) => {
    expect(isQualifiedName(key)).toEqual(errs);
  });
});

describe("LabelSelector objects", () => {
  it("converts matchLabels and matchExpressions, sorted by key", () => {
    const m = labelSelectorAsMatcher({
      matchLabels: { tier: "front", app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "dev"] },
        { key: "canary", operator: "DoesNotExist" },
        { key: "zone", operator: "Exists" },
      ],
    });
    expect(m.toString()).toBe("app=web,!canary,env in (dev,prod),tier=front,zone");
    expect(m.matches({ app: "web", tier: "front", env: "dev", zone: "a" })).toBe(true);
    expect(m.matches({ app: "web", tier: "front", env: "dev", zone: "a", canary: "1" })).toBe(false);
  });

  it("nil selects nothing, empty selects everything", () => {
    expect(labelSelectorAsMatcher(null).matches({})).toBe(false);
    expect(labelSelectorAsMatcher(null).matchesNothing).toBe(true);
    expect(labelSelectorAsMatcher({}).matches({ any: "x" })).toBe(true);
    expect(labelSelectorToString({ matchLabels: {} })).toBe("");
  });

  it.each([
    [{ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, '"Gt" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    [{ matchLabels: { "a b": "c" } }, `key: Invalid value: "a b": name part ${NAME_RE_MSG}`],
  ])("invalid %j", (sel, message) => {
    expect(errorOf(() => labelSelectorAsMatcher(sel)).message).toBe(message);
    expect(formatLabelSelector(sel)).toBe("<error>");
  });

  it("formats for printers", () => {
    expect(formatLabelSelector(undefined)).toBe("<none>");
    expect(formatLabelSelector({ matchLabels: { app: "web" } })).toBe("app=web");
    expect(formatLabels({ b: "2", a: "1" })).toBe("a=1,b=2");
    expect(formatLabels({})).toBe("<none>");
  });
});
