// Connecting to the Docker engine: a dockerode client (honouring DOCKER_HOST) that has answered a
// ping, or a one-line error saying where we looked and how to start an engine.

import Docker from "dockerode";
import { statusOf } from "./errors.js";

export class DockerUnreachableError extends Error {
  override readonly name = "DockerUnreachableError";
}

const START_HINT = "start it with `dockerd &` or `systemctl start docker`";

/** Where the client talks to: a unix socket path or a URL. */
export async function engineAddress(docker: Docker): Promise<string> {
  const modem = docker.modem as unknown as { socketPath?: unknown; getSocketPath?: () => Promise<string | undefined>; host?: string; port?: string | number; protocol?: string };
  if (modem.socketPath) {
    if (typeof modem.socketPath === "string") return modem.socketPath;
    try {
      const p = await modem.getSocketPath?.();
      if (p) return p;
    } catch {
      // fall through
    }
    return "/var/run/docker.sock";
  }
  return `${modem.protocol ?? "http"}://${modem.host ?? "localhost"}${modem.port ? `:${modem.port}` : ""}`;
}

/** The one-line message for a failed ping. */
export function engineUnreachableMessage(address: string, err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string } | undefined;
  const code = e?.code ?? (e?.name === "TimeoutError" || e?.name === "AbortError" ? "timed out" : undefined);
  if (code === "EACCES") {
    return `cannot reach the Docker engine at ${address}: permission denied (run as root or add your user to the docker group)`;
  }
  const status = statusOf(err);
  const why = code ?? (status !== undefined ? `it answered HTTP ${status}: is that a Docker engine?` : undefined) ?? e?.message?.split("\n")[0] ?? String(err);
  return `cannot reach the Docker engine at ${address} (${why}): is it running? ${START_HINT}`;
}

/** A client whose engine has answered `/_ping` within `timeoutMs`, or a DockerUnreachableError. */
export async function connectDocker(opts: { docker?: Docker; timeoutMs?: number } = {}): Promise<Docker> {
  let docker: Docker;
  try {
    docker = opts.docker ?? new Docker();
  } catch (err) {
    // e.g. a malformed DOCKER_HOST
    throw new DockerUnreachableError(`cannot reach the Docker engine: ${(err as Error).message}`);
  }
  try {
    await (docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  } catch (err) {
    throw new DockerUnreachableError(engineUnreachableMessage(await engineAddress(docker), err));
  }
  return docker;
}
