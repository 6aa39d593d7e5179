import { describe, expect, it } from "vitest";
import { ConntrackCleaner, conntrackDeleteArgs, staleUdpFlows, type UdpServicePort } from "./conntrack.js";

const dns = (endpoints: string[], extra: Partial<UdpServicePort> = {}): UdpServicePort => ({ name: "kube-system/dns:dns", clusterIP: "10.96.0.10", port: 53, endpoints, ...extra });

describe("staleUdpFlows", () => {
  it("deletes the flows DNATed to an endpoint that went away, on the cluster IP and the NodePort", () => {
    expect(staleUdpFlows([dns(["10.244.1.2", "10.244.2.3"], { nodePort: 30053 })], [dns(["10.244.2.3"], { nodePort: 30053 })])).toEqual([
      { origDst: "10.96.0.10", dport: 53, dstNat: "10.244.1.2" },
      { dport: 30053, dstNat: "10.244.1.2" },
    ]);
  });

  it("deletes every flow to a port that had no endpoints and has some now", () => {
    expect(staleUdpFlows([dns([])], [dns(["10.244.1.2"])])).toEqual([{ origDst: "10.96.0.10", dport: 53 }]);
    // A port seen for the first time counts the same (its packets may have gone elsewhere un-NATed).
    expect(staleUdpFlows([], [dns(["10.244.1.2"], { nodePort: 30053 })])).toEqual([{ origDst: "10.96.0.10", dport: 53 }, { dport: 30053 }]);
  });

  it("on the first sync treats every port with endpoints as new", () => {
    expect(staleUdpFlows(undefined, [dns(["10.244.1.2"]), dns([], { name: "x/y", clusterIP: "10.96.7.7" })])).toEqual([{ origDst: "10.96.0.10", dport: 53 }]);
  });

  it("deletes the old endpoints of a deleted service, and nothing when nothing changed", () => {
    expect(staleUdpFlows([dns(["10.244.1.2"])], [])).toEqual([{ origDst: "10.96.0.10", dport: 53, dstNat: "10.244.1.2" }]);
    expect(staleUdpFlows([dns(["10.244.1.2"])], [dns(["10.244.1.2", "10.244.1.3"])])).toEqual([]);
    expect(staleUdpFlows([dns([])], [dns([])])).toEqual([]);
  });

  it("counts a changed cluster IP as another port", () => {
    expect(staleUdpFlows([dns(["10.244.1.2"])], [dns(["10.244.1.2"], { clusterIP: "10.96.0.11" })])).toEqual([
      { origDst: "10.96.0.11", dport: 53 },
      { origDst: "10.96.0.10", dport: 53, dstNat: "10.244.1.2" },
    ]);
  });
});

describe("ConntrackCleaner", () => {
  it("spells the conntrack arguments", () => {
    expect(conntrackDeleteArgs({ origDst: "10.96.0.10", dport: 53, dstNat: "10.244.1.2" })).toEqual(["-D", "-p", "udp", "--orig-dst", "10.96.0.10", "--orig-port-dst", "53", "--dst-nat", "10.244.1.2"]);
    expect(conntrackDeleteArgs({ dport: 30053 })).toEqual(["-D", "-p", "udp", "--orig-port-dst", "30053"]);
  });

  it("takes 'nothing matched' as success, reports real failures after trying every filter", async () => {
    const calls: string[][] = [];
    const c = new ConntrackCleaner({
      netns: "n1",
      exec: async (file, args) => {
        calls.push([file, ...args]);
        if (args.includes("30053")) return { exitCode: 1, stderr: "conntrack v1.4.7 (conntrack-tools): Operation not permitted" };
        return { exitCode: 1, stderr: "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n" };
      },
    });
    await expect(c.delete([{ dport: 30053 }, { origDst: "10.96.0.10", dport: 53 }])).rejects.toThrow(/--orig-port-dst 30053: .*Operation not permitted/);
    expect(calls.map((c) => c.slice(0, 5))).toEqual([
      ["ip", "netns", "exec", "n1", "conntrack"],
      ["ip", "netns", "exec", "n1", "conntrack"],
    ]);
    await expect(c.delete([{ origDst: "10.96.0.10", dport: 53 }])).resolves.toBeUndefined();
  });
});
