import { describe, expect, it } from "vitest";
import * as dnsPacket from "dns-packet";
import { encodeForUdp, encodeResponse } from "./server.js";

const NAME = "db.default.svc.cluster.local";

function response(n: number, name = NAME): dnsPacket.Packet {
  return {
    type: "response",
    id: 7,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ name, type: "A", class: "IN" }],
    answers: Array.from({ length: n }, (_, i) => ({ name, type: "A" as const, ttl: 30, class: "IN" as const, data: `10.244.0.${i + 1}` })),
    authorities: [{ name: "cluster.local", type: "SOA", ttl: 5, class: "IN", data: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }],
    additionals: [],
  };
}
const query = (edns?: number): dnsPacket.Packet => ({
  type: "query",
  id: 7,
  questions: [{ name: NAME, type: "A" }],
  additionals: edns ? [{ type: "OPT", name: ".", udpPayloadSize: edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
});

describe("wire encoding", () => {
  it("compresses owners equal to the question and decodes back to the same records", () => {
    const res = response(20);
    const compressed = encodeResponse(res);
    expect(compressed.length).toBeLessThan(dnsPacket.encode(res).length);
    const back = dnsPacket.decode(compressed);
    expect(back.answers!.map((a) => [a.name, (a as { data: string }).data])).toEqual(res.answers!.map((a) => [NAME, (a as { data: string }).data]));
    expect(back.authorities!.map((a) => a.name)).toEqual(["cluster.local"]);
    expect([back.id, back.flag_aa]).toEqual([7, true]);
  });

  it("keeps 20 A records in a 512-byte datagram", () => {
    const b = encodeForUdp(response(20), query());
    expect(dnsPacket.decode(b).flag_tc).toBe(false);
    expect(b.length).toBeLessThanOrEqual(512);
  });

  it("truncates what does not fit the client's size, and honours EDNS0", () => {
    const small = dnsPacket.decode(encodeForUdp(response(60), query()));
    expect([small.flag_tc, small.answers!.length, small.questions![0]!.name]).toEqual([true, 0, NAME]);
    const big = dnsPacket.decode(encodeForUdp(response(60), query(4096)));
    expect([big.flag_tc, big.answers!.length]).toEqual([false, 60]);
  });
});
