// Client-certificate authentication, as the Kubernetes API server does it: a verified certificate's
// subject CN is the user name and each subject O is a group. Every authenticated user also gets
// the "system:authenticated" group, which the default RBAC bindings refer to.
import type { PeerCertificate } from "node:tls";

export interface CertUser {
  name: string;
  groups: string[];
}

export const AUTHENTICATED_GROUP = "system:authenticated";
const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";
const ANY_EXTENDED_KEY_USAGE_OID = "2.5.29.37.0";

/** Node gives a repeated subject attribute as an array, a single one as a string. */
function values(field: string | string[] | undefined): string[] {
  if (field === undefined) return [];
  return Array.isArray(field) ? field : [field];
}

/**
 * The user a TLS client proved to be, or undefined when the connection carries no usable identity
 * (no certificate, a chain the CA did not sign, a certificate not meant for client auth, no CN).
 * `authorized` is `socket.authorized`: the TLS layer has already checked the chain and validity.
 */
export function userFromPeerCertificate(cert: PeerCertificate | undefined, authorized: boolean): CertUser | undefined {
  // getPeerCertificate() returns {} when the client sent none, so test for a subject, not for truthiness.
  if (!authorized || !cert?.subject) return undefined;
  // Kubernetes verifies with ExtKeyUsageClientAuth; a certificate with an EKU list lacking it (a
  // serving cert, say) is no client identity. No EKU extension at all means any usage, as in Go.
  const eku = cert.ext_key_usage;
  if (eku && !eku.includes(CLIENT_AUTH_OID) && !eku.includes(ANY_EXTENDED_KEY_USAGE_OID)) return undefined;
  // Go's pkix.Name keeps the last CN when there are several; match it so names agree with kube-apiserver.
  const name = values(cert.subject.CN).at(-1);
  if (!name) return undefined;
  const groups = values(cert.subject.O);
  return { name, groups: groups.includes(AUTHENTICATED_GROUP) ? [...groups] : [...groups, AUTHENTICATED_GROUP] };
}
