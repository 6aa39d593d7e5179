import { X509Certificate, createPrivateKey } from "node:crypto";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { ipBytes, kubeletServingTls, selfSignedServingCert } from "./tls.js";

describe("kubeletServingTls", () => {
  it("is a self-signed serving certificate for the node's names and addresses", async () => {
    const now = new Date("2026-11-25T12:00:00Z");
    const { cert, key } = await kubeletServingTls(["worker-1", "10.0.0.7", "worker-1", "fd00::7", ""], now);
    const x = new X509Certificate(cert);
    expect(x.subject).toBe("CN=worker-1");
    expect(x.issuer).toBe(x.subject);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe("DNS:worker-1, IP Address:10.0.0.7, IP Address:127.0.0.1, IP Address:FD00:0:0:0:0:0:0:7");
    expect(x.checkHost("worker-1")).toBe("worker-1");
    expect(x.checkIP("10.0.0.7")).toBe("10.0.0.7");
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // Node reports the extended key usage here
    expect(new Date(x.validFrom).getTime()).toBe(now.getTime() - 5 * 60_000);
    expect(new Date(x.validTo).getTime()).toBe(now.getTime() + 365 * 86_400_000);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
  });

  it("a client that trusts it completes a TLS handshake by IP", async () => {
    const { cert, key } = selfSignedServingCert({ commonName: "n", dns: ["n"], ips: ["127.0.0.1"] });
    const server = tls.createServer({ cert, key }, (s) => s.end("hello"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ca: cert }, () => {
          if (!s.authorized) reject(s.authorizationError);
        });
        let data = "";
        s.on("data", (d: Buffer) => (data += d.toString()));
        s.on("end", () => resolve(data));
        s.on("error", reject);
      });
      expect(got).toBe("hello");
    } finally {
      server.close();
    }
  });

  it("encodes IPv4 and IPv6 addresses as 4 and 16 octets", () => {
    expect([...ipBytes("10.1.2.3")]).toEqual([10, 1, 2, 3]);
    expect(ipBytes("::1").toString("hex")).toBe("00000000000000000000000000000001");
    expect(ipBytes("fd00:10:244::5").toString("hex")).toBe("fd000010024400000000000000000005");
    expect(ipBytes("fe80::").toString("hex")).toBe("fe800000000000000000000000000000");
    expect(ipBytes("::ffff:10.0.0.1").toString("hex")).toBe("00000000000000000000ffff0a000001");
    expect(ipBytes("1:2:3:4:5:6:7:8").toString("hex")).toBe("00010002000300040005000600070008");
  });
});
