import { describe, expect, it } from "vitest";
import { MAX_CLUSTER_NAME_LENGTH, nodeName, validateClusterName } from "./name.js";

describe("validateClusterName", () => {
  it.each(["a", "dev", "ci-2", "my--cluster", "minicluster", "a".repeat(49)])("accepts %j", (name) => {
    expect(validateClusterName(name)).toBeUndefined();
  });

  it.each<[string, string]>([
    ["", "must not be empty"],
    ["Dev", 'must consist of lower-case letters, digits and \'-\', start with a letter and end with a letter or digit (e.g. "dev", "ci-2"), got "Dev"'],
    ["1dev", "start with a letter"],
    ["-dev", "start with a letter"],
    ["dev-", "end with a letter or digit"],
    ["dev_x", 'got "dev_x"'],
    ["dev.x", 'got "dev.x"'],
    ["dev x", 'got "dev x"'],
    ["a".repeat(50), 'must be at most 49 characters (it has 50) so that "<name>-control-plane" is a valid host name'],
  ])("rejects %j", (name, message) => {
    expect(validateClusterName(name)).toContain(message);
  });

  it("keeps every node name of the longest cluster name a DNS label", () => {
    const longest = "a".repeat(MAX_CLUSTER_NAME_LENGTH);
    expect(nodeName(longest, "control-plane", 0)).toHaveLength(63);
    expect(nodeName(longest, "worker", 18).length).toBeLessThanOrEqual(63);
  });
});

describe("nodeName", () => {
  it.each<[string, "control-plane" | "worker", number, string]>([
    ["dev", "control-plane", 0, "dev-control-plane"],
    ["dev", "worker", 0, "dev-worker"],
    ["dev", "worker", 1, "dev-worker2"],
    ["dev", "worker", 9, "dev-worker10"],
  ])("%s %s #%d → %s", (cluster, role, i, expected) => {
    expect(nodeName(cluster, role, i)).toBe(expected);
  });
});
