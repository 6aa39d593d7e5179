import type { PeerCertificate } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { userFromPeerCertificate } from "./authn.js";
import { createCa, issueClientCert, issueServingCert, loadSigningCa, type CertAndKey, type SigningCa } from "./issue.js";
import { servingSans } from "./sans.js";
import { handshake } from "./test-tls.js";

// A PeerCertificate-shaped object for the pure cases; the TLS cases below use real handshakes.
function peer(subject: Record<string, string | string[]>, ext_key_usage?: string[]): PeerCertificate {
  return { subject, ext_key_usage } as unknown as PeerCertificate;
}

describe("userFromPeerCertificate (pure)", () => {
  it.each([
    ["CN and one O", peer({ CN: "alice", O: "dev" }), true, { name: "alice", groups: ["dev", "system:authenticated"] }],
    ["several O", peer({ CN: "bob", O: ["a", "b"] }), true, { name: "bob", groups: ["a", "b", "system:authenticated"] }],
    ["no O", peer({ CN: "carol" }), true, { name: "carol", groups: ["system:authenticated"] }],
    ["system:authenticated not duplicated", peer({ CN: "d", O: "system:authenticated" }), true, { name: "d", groups: ["system:authenticated"] }],
    ["last CN wins, as in Go", peer({ CN: ["first", "last"] }), true, { name: "last", groups: ["system:authenticated"] }],
    ["clientAuth EKU", peer({ CN: "e" }, ["1.3.6.1.5.5.7.3.2"]), true, { name: "e", groups: ["system:authenticated"] }],
    ["anyExtendedKeyUsage", peer({ CN: "f" }, ["2.5.29.37.0"]), true, { name: "f", groups: ["system:authenticated"] }],
    ["serverAuth-only EKU", peer({ CN: "g" }, ["1.3.6.1.5.5.7.3.1"]), true, undefined],
    ["not authorized", peer({ CN: "h" }), false, undefined],
    ["empty CN", peer({ CN: "", O: "x" }), true, undefined],
    ["no certificate ({})", {} as PeerCertificate, true, undefined],
    ["undefined", undefined, true, undefined],
  ])("%s", (_name, cert, authorized, want) => {
    expect(userFromPeerCertificate(cert, authorized)).toEqual(want);
  });
});

describe("userFromPeerCertificate (real TLS handshakes)", () => {
  let ca: SigningCa;
  let serving: CertAndKey;
  beforeAll(async () => {
    ca = await loadSigningCa(await createCa());
    serving = await issueServingCert(ca, servingSans([], "test"));
  });
  const server = () => ({ ca: ca.pem.cert, serving });

  it("maps an issued client certificate to its user and groups", async () => {
    const client = await issueClientCert(ca, { commonName: "jane", organizations: ["team-a", "system:masters"] });
    const view = await handshake(server(), client);
    expect(view.authorized).toBe(true);
    expect(userFromPeerCertificate(view.peer, view.authorized)).toEqual({
      name: "jane",
      groups: ["team-a", "system:masters", "system:authenticated"],
    });
  });

  it("rejects a certificate from another CA", async () => {
    const other = await loadSigningCa(await createCa());
    const client = await issueClientCert(other, { commonName: "mallory", organizations: ["system:masters"] });
    const view = await handshake(server(), client);
    expect(view.authorized).toBe(false);
    expect(userFromPeerCertificate(view.peer, view.authorized)).toBeUndefined();
  });

  it("rejects the serving certificate presented as a client certificate", async () => {
    const view = await handshake(server(), serving);
    // OpenSSL's ssl_client purpose check already refuses it; the EKU check is the second line.
    expect(view.authorizationError).toBe("INVALID_PURPOSE");
    expect(userFromPeerCertificate(view.peer, view.authorized)).toBeUndefined();
    expect(userFromPeerCertificate(view.peer, true)).toBeUndefined();
  });

  it("gives no user to a client without a certificate", async () => {
    const view = await handshake(server());
    expect(view.authorized).toBe(false);
    expect(userFromPeerCertificate(view.peer, view.authorized)).toBeUndefined();
  });
});
