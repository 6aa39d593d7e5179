// Host ports: a free one for the API server (picked here rather than by Docker, because Docker
// picks a new one at every container start and the kubeconfig must survive restarts), and a clear
// error when a port the user asked for is taken.
import net from "node:net";

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

function listenOnce(address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: address, port, exclusive: true }, () => {
      const got = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(got));
    });
  });
}

export async function pickFreePort(address: string): Promise<number> {
  return listenOnce(address === "0.0.0.0" ? "127.0.0.1" : address, 0);
}

export async function assertPortFree(address: string, port: number, what: string): Promise<void> {
  try {
    await listenOnce(address, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new PortInUseError(`${what}: port ${port} on ${address} is already in use`);
    if (code === "EADDRNOTAVAIL") throw new PortInUseError(`${what}: address ${address} is not an address of this machine`);
    if (code === "EACCES") throw new PortInUseError(`${what}: not allowed to listen on port ${port} of ${address}`);
    throw err;
  }
}

/** Whether a container start failed because its host port was taken meanwhile. */
export function isPortConflict(message: string): boolean {
  return /port is already allocated|address already in use/i.test(message);
}
