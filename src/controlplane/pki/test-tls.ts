// Test helper: performs one real TLS handshake on loopback and reports what the server saw of the
// client, so authentication tests run against Node's actual certificate verification.
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import type { CertAndKey } from "./issue.js";

export interface ServerView {
  authorized: boolean;
  authorizationError?: string;
  peer: tls.PeerCertificate;
}

export async function handshake(server: { ca: string; serving: CertAndKey }, client?: CertAndKey): Promise<ServerView> {
  const srv = tls.createServer({
    cert: server.serving.cert,
    key: server.serving.key,
    ca: server.ca,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const seen = new Promise<ServerView>((resolve) => {
    srv.once("secureConnection", (socket) => {
      const err = socket.authorizationError;
      resolve({ authorized: socket.authorized, authorizationError: err ? String(err) : undefined, peer: socket.getPeerCertificate() });
      socket.end();
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca: server.ca, ...(client ?? {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    const view = await seen;
    socket.destroy();
    return view;
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
