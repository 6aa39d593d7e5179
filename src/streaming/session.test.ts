// SPDY sessions, port-forward pairing and the remote command transports, each side played by our
// own code over loopback sockets (the API tests play kubectl against them).

import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { SpdySession, type SpdyStream } from "./spdy/session.js";
import { servePortForward } from "./portforward.js";
import { SpdyRemoteCommand, WebSocketRemoteCommand, expectedSpdyStreams } from "./remotecommand/io.js";
import { STREAM_V4, STREAM_V5 } from "./remotecommand/protocol.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const accepted = once(server, "connection");
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  const [serverSide] = (await accepted) as [net.Socket];
  await once(client, "connect");
  server.close();
  cleanups.push(() => {
    client.destroy();
    serverSide.destroy();
  });
  return [client, serverSide];
}

async function sessions(): Promise<{ client: SpdySession; server: SpdySession }> {
  const [a, b] = await socketPair();
  return { client: new SpdySession(a, { server: false }), server: new SpdySession(b, { server: true }) };
}

function collect(s: SpdyStream): { text: () => string; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  s.on("data", (b: Buffer) => chunks.push(b));
  const ended = new Promise<void>((r) => (s.remoteEnded ? r() : s.once("end", () => r())));
  return { text: () => Buffer.concat(chunks).toString(), ended };
}

describe("SpdySession", () => {
  it("opens streams with headers, replies, carries data both ways and half-closes", async () => {
    const { client, server } = await sessions();
    const accepted = once(server, "stream") as Promise<[SpdyStream]>;
    const c = client.openStream({ streamType: "stdout", requestID: "1" });
    const replied = once(c, "reply");
    const [s] = await accepted;
    expect(s.header("streamtype")).toBe("stdout");
    expect(s.header("requestid")).toBe("1");
    await replied;
    const fromServer = collect(c);
    const fromClient = collect(s);
    s.write(Buffer.alloc(100_000, "x"));
    s.end();
    c.end(Buffer.from("bye"));
    await Promise.all([fromServer.ended, fromClient.ended]);
    expect(fromServer.text()).toBe("x".repeat(100_000));
    expect(fromClient.text()).toBe("bye");
  });

  it("answers the peer's pings", async () => {
    const { client } = await sessions();
    const pong = once(client, "pong");
    client.ping(1);
    expect(await pong).toEqual([1]);
  });

  it("ends every stream when the connection goes away", async () => {
    const { client, server } = await sessions();
    const accepted = once(server, "stream") as Promise<[SpdyStream]>;
    client.openStream({ streamtype: "data" });
    const [s] = await accepted;
    const ended = once(s, "end");
    await client.close();
    await ended;
    expect(server.closed || s.remoteEnded).toBe(true);
  });
});

describe("port-forward over SPDY", () => {
  it("pairs error and data streams by request id and relays to the dialled port", async () => {
    const echo = net.createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    cleanups.push(() => echo.close());
    const port = (echo.address() as net.AddressInfo).port;
    const { client, server } = await sessions();
    const dialled: number[] = [];
    servePortForward(server, async (p) => {
      dialled.push(p);
      return net.connect(port, "127.0.0.1");
    }, () => "pod test");

    const err = client.openStream({ streamtype: "error", port: "80", requestid: "0" });
    err.end();
    const data = client.openStream({ streamtype: "data", port: "80", requestid: "0" });
    const errText = collect(err);
    const got = collect(data);
    data.write(Buffer.from("ping-pong"));
    await new Promise<void>((r) => {
      const check = () => (got.text() === "ping-pong" ? r() : setTimeout(check, 5));
      check();
    });
    data.end();
    await Promise.all([got.ended, errText.ended]);
    expect(errText.text()).toBe("");
    expect(dialled).toEqual([80]);
  });

  it("reports a failed dial on the error stream", async () => {
    const { client, server } = await sessions();
    servePortForward(server, () => Promise.reject(new Error("connection refused")), (p) => `pod x port ${p}`);
    const err = client.openStream({ streamtype: "error", port: "81", requestid: "5" });
    const data = client.openStream({ streamtype: "data", port: "81", requestid: "5" });
    const e = collect(err);
    await e.ended;
    expect(e.text()).toBe("error forwarding port 81 to pod x port 81: connection refused");
    expect(data.id).toBe(3);
  });
});

describe("remote command over SPDY", () => {
  it("waits for the streams the options call for, then reports the exit status as a v4 Status", async () => {
    const { client, server } = await sessions();
    const options = { stdin: true, stdout: true, stderr: true, tty: false };
    expect([...expectedSpdyStreams(options, 4)].sort()).toEqual(["error", "stderr", "stdin", "stdout"]);
    const accepted = SpdyRemoteCommand.accept(server, STREAM_V4, options);
    const err = client.openStream({ streamtype: "error" });
    const stdin = client.openStream({ streamtype: "stdin" });
    const stdout = client.openStream({ streamtype: "stdout" });
    const stderr = client.openStream({ streamtype: "stderr" });
    const io = await accepted;
    const input: Buffer[] = [];
    io.on("stdin", (b: Buffer) => input.push(b));
    const stdinEnded = once(io, "stdin-end");
    stdin.end(Buffer.from("typed"));
    await stdinEnded;
    expect(Buffer.concat(input).toString()).toBe("typed");
    const out = collect(stdout);
    const errOut = collect(stderr);
    const status = collect(err);
    io.writeStdout(Buffer.from("out"));
    io.writeStderr(Buffer.from("err"));
    await io.finish({ exitCode: 3 });
    await Promise.all([out.ended, errOut.ended, status.ended]);
    expect(out.text()).toBe("out");
    expect(errOut.text()).toBe("err");
    expect(JSON.parse(status.text())).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } });
  });
});

describe("remote command over WebSocket", () => {
  it("demultiplexes channels, honours v5 close and ends with the Status on channel 3", async () => {
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => STREAM_V5 });
    const srv = http.createServer();
    srv.on("upgrade", (req, sock, head) =>
      wss.handleUpgrade(req, sock, head, (ws) => {
        const io = new WebSocketRemoteCommand(ws, ws.protocol, { stdin: true, stdout: true, stderr: false, tty: true });
        const input: Buffer[] = [];
        const sizes: unknown[] = [];
        io.on("stdin", (b: Buffer) => input.push(b));
        io.on("resize", (s) => sizes.push(s));
        io.on("stdin-end", () => {
          io.writeStdout(Buffer.from(`${Buffer.concat(input).toString()} ${JSON.stringify(sizes)}`));
          io.writeStderr(Buffer.from("!")); // with a terminal, stderr goes to stdout
          void io.finish({ exitCode: 0 });
        });
      }),
    );
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    cleanups.push(() => srv.close());
    const ws = new WebSocket(`ws://127.0.0.1:${(srv.address() as net.AddressInfo).port}/`, [STREAM_V5]);
    const messages: Buffer[] = [];
    ws.on("message", (m: Buffer) => messages.push(m));
    await once(ws, "open");
    expect(ws.protocol).toBe(STREAM_V5);
    ws.send(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]));
    ws.send(Buffer.from([0, ...Buffer.from("abc")]));
    ws.send(Buffer.from([255, 0]));
    const [code] = (await once(ws, "close")) as [number];
    expect(code).toBe(1000);
    expect(messages.map((m) => [m[0], m.subarray(1).toString()])).toEqual([
      [1, 'abc [{"width":80,"height":24}]'],
      [1, "!"],
      [3, '{"metadata":{},"status":"Success"}'],
    ]);
  });
});
