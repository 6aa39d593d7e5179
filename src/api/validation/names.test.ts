import { describe, expect, it } from "vitest";
import {
  isConfigMapKey,
  isCIdentifier,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  nameIsPathSegment,
} from "./names.js";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe("name validators", () => {
  const cases: Array<[string, (v: string) => string[], string, string[]]> = [
    ["subdomain ok", isDNS1123Subdomain, "example.com", []],
    ["subdomain bad", isDNS1123Subdomain, "Bad_Name", [SUBDOMAIN_MSG]],
    ["subdomain too long", isDNS1123Subdomain, "a".repeat(254), ["must be no more than 253 characters"]],
    ["label ok", isDNS1123Label, "my-name", []],
    ["label with dots", isDNS1123Label, "a.b", ["must not contain dots"]],
    ["label bad", isDNS1123Label, "-x", [LABEL_MSG]],
    ["label too long", isDNS1123Label, "a".repeat(64), ["must be no more than 63 characters"]],
    [
      "dns1035 starting with digit",
      isDNS1035Label,
      "1abc",
      [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name' or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ["qualified ok with prefix", isQualifiedName, "example.com/My_Name", []],
    ["qualified empty prefix", isQualifiedName, "/name", ["prefix part must be non-empty"]],
    ["qualified empty name", isQualifiedName, "example.com/", ["name part must be non-empty", expect.stringContaining("name part must consist of alphanumeric") as unknown as string]],
    ["qualified two slashes", isQualifiedName, "a/b/c", [expect.stringContaining("a qualified name must consist of") as unknown as string]],
    ["label value empty ok", isValidLabelValue, "", []],
    ["label value bad", isValidLabelValue, "-bad", [expect.stringContaining("a valid label must be an empty string") as unknown as string]],
    ["c identifier", isCIdentifier, "1abc", [expect.stringContaining("a valid C identifier must start") as unknown as string]],
    ["env var ok", isEnvVarName, "MY_ENV.NAME", []],
    ["env var digit start", isEnvVarName, "1X", [expect.stringContaining("a valid environment variable name") as unknown as string]],
    ["config key dotdot", isConfigMapKey, "..x", ["must not start with '..'"]],
    ["config key bad char", isConfigMapKey, "a/b", [expect.stringContaining("a valid config key must consist of alphanumeric characters") as unknown as string]],
    ["port name ok", isValidPortName, "http-alt", []],
    [
      "port name bad",
      isValidPortName,
      "--1234567890123456",
      [
        "must be no more than 15 characters",
        "must contain at least one letter (a-z)",
        "must not contain consecutive hyphens",
        "must not begin or end with a hyphen",
      ],
    ],
    ["percent", isValidPercent, "5", [expect.stringContaining("a valid percent string") as unknown as string]],
    ["path segment", isValidPathSegmentName, "..", ["may not be '..'"]],
    ["path segment contains", isValidPathSegmentName, "a/b%", ["may not contain '/'", "may not contain '%'"]],
  ];
  it.each(cases)("%s", (_n, fn, value, expected) => {
    expect(fn(value)).toEqual(expected);
  });

  it("checks port numbers", () => {
    expect(isValidPortNum(80)).toEqual([]);
    expect(isValidPortNum(0)).toEqual(["must be between 1 and 65535, inclusive"]);
    expect(isValidPortNum(65536)).toEqual(["must be between 1 and 65535, inclusive"]);
  });

  it("allows a trailing dash in generateName prefixes only", () => {
    expect(nameIsDNSSubdomain("web-", true)).toEqual([]);
    expect(nameIsDNSSubdomain("web-", false)).toHaveLength(1);
    expect(nameIsPathSegment("..", true)).toEqual([]);
    expect(nameIsPathSegment("system:node", false)).toEqual([]);
  });
});
