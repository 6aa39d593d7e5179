import { describe, expect, it } from "vitest";
import { parseNodeConfig } from "./config.js";

const CP = {
  cluster: "dev",
  nodeName: "dev-control-plane",
  role: "control-plane",
  apiServer: "https://dev-control-plane:6443",
  labels: { extra: "labels" },
  taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/16",
  tlsSans: ["dev-control-plane"],
};

const parse = (o: unknown) => parseNodeConfig(JSON.stringify(o), "node.json");

describe("parseNodeConfig", () => {
  it("reads the contract's example", () => {
    expect(parse(CP)).toEqual(CP);
  });

  it("fills optional fields and ignores unknown ones", () => {
    expect(parse({ cluster: "dev", nodeName: "dev-worker", role: "worker", apiServer: "https://dev-control-plane:6443", future: 1 })).toEqual({
      cluster: "dev",
      nodeName: "dev-worker",
      role: "worker",
      apiServer: "https://dev-control-plane:6443",
      labels: {},
      taints: [],
      tlsSans: [],
    });
  });

  it.each([
    [{ ...CP, role: "master" }, /node.json: role: must be "control-plane" or "worker"/],
    [{ ...CP, nodeName: "Bad_Name" }, /nodeName: a lowercase RFC 1123 subdomain/],
    [{ ...CP, cluster: undefined }, /cluster: is required/],
    [{ ...CP, role: "worker", apiServer: undefined }, /apiServer: is required/],
    [{ ...CP, apiServer: "http://x:6443" }, /apiServer: must be an https:\/\/ URL/],
    [{ ...CP, labels: { "bad key!": "x" } }, /labels: Invalid value: "bad key!"/],
    [{ ...CP, labels: { a: 1 } }, /labels: must be an object of string values/],
    [{ ...CP, taints: [{ key: "k", effect: "Sometimes" }] }, /taints\[0\]\.effect: must be one of/],
    [{ ...CP, taints: {} }, /taints: must be a list/],
    [{ ...CP, tlsSans: [""] }, /tlsSans: must be a list of non-empty strings/],
  ])("rejects %o", (o, want) => {
    expect(() => parse(o)).toThrow(want);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseNodeConfig("{", "node.json")).toThrow(/node.json: not valid JSON/);
  });
});
