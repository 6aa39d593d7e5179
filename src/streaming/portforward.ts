// Kubernetes port-forward over SPDY (protocol "portforward.k8s.io"): for each forwarded
// connection the client opens two streams with the same `requestid` and `port` headers, one with
// streamtype=error (the server writes a message there if forwarding fails, then FIN) and one with
// streamtype=data (the bytes, both ways). kubectl 1.31+ carries the same SPDY connection inside a
// WebSocket whose subprotocol is "SPDY/3.1+portforward.k8s.io" (binary messages, no channel byte).

import type { Duplex } from "node:stream";
import type { SpdySession, SpdyStream } from "./spdy/session.js";

export const PORTFORWARD_PROTOCOL = "portforward.k8s.io";
export const PORTFORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORTFORWARD_PROTOCOL}`;

export type PortDialer = (port: number) => Promise<Duplex>;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port: number;
}

/** Parses a port header as Kubernetes does: 1..65535. */
export function parsePort(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function servePortForward(session: SpdySession, dial: PortDialer, describe: (port: number) => string, log?: (m: string) => void): void {
  const pairs = new Map<string, Pair>();
  session.on("stream", (s: SpdyStream) => {
    const type = s.header("streamtype");
    const port = parsePort(s.header("port"));
    if ((type !== "error" && type !== "data") || port === undefined) {
      log?.(`port-forward: refusing stream ${s.id} (streamType=${type ?? ""}, port=${s.header("port") ?? ""})`);
      s.reset();
      return;
    }
    const key = s.header("requestid") ?? `port:${port}`;
    const pair = pairs.get(key) ?? { port };
    pairs.set(key, pair);
    if (type === "error") pair.error = s;
    else pair.data = s;
    if (pair.error && pair.data) {
      pairs.delete(key);
      forward(pair as Required<Pair>, dial, describe, log);
    }
  });
}

function forward(pair: Required<Pair>, dial: PortDialer, describe: (port: number) => string, log?: (m: string) => void): void {
  const { data, error, port } = pair;
  const early: Buffer[] = [];
  let clientEnded = false;
  let socket: Duplex | undefined;
  const onData = (b: Buffer) => {
    if (socket) socket.write(b);
    else early.push(b);
  };
  data.on("data", onData);
  data.on("end", () => {
    clientEnded = true;
    socket?.end();
  });
  data.on("reset", () => socket?.destroy());
  const session = data.session;

  dial(port).then(
    (sock) => {
      socket = sock;
      for (const b of early) sock.write(b);
      early.length = 0;
      if (clientEnded) sock.end();
      if (data.reset_) sock.destroy();
      const onDrain = () => sock.resume();
      session.on("drain", onDrain);
      sock.on("data", (b: Buffer) => {
        if (!data.write(b)) sock.pause();
      });
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        session.off("drain", onDrain);
        data.end();
        error.end();
      };
      sock.on("end", finish);
      sock.on("close", finish);
      sock.on("error", (err: Error) => log?.(`port-forward ${describe(port)}: ${err.message}`));
    },
    (err: Error) => {
      const msg = `error forwarding port ${port} to ${describe(port)}: ${err.message}`;
      log?.(msg);
      error.end(Buffer.from(msg, "utf8"));
      data.end();
    },
  );
}
