// The cluster PKI: CA, API server serving certificate, client certificates, and the mapping from a
// verified client certificate to a Kubernetes user.
export { ensurePki, pkiPaths, ADMIN_USER, ADMIN_GROUP, type Pki, type EnsurePkiOptions } from "./ensure.js";
export { createCa, issueClientCert, issueServingCert, loadSigningCa } from "./issue.js";
export type { CertAndKey, ClientCertRequest, SigningCa } from "./issue.js";
export { servingSans, type SanSet } from "./sans.js";
export { userFromPeerCertificate, type CertUser } from "./authn.js";
