import { describe, expect, it } from "vitest";
import {
  JsonObjectSplitter,
  SPDY_PROTOCOLS,
  STREAM_V4,
  STREAM_V5,
  WS_PROTOCOLS,
  decodeChannel,
  encodeChannel,
  exitMessage,
  exitStatus,
  negotiate,
  parseTerminalSize,
  splitProtocols,
  streamOptions,
} from "./protocol.js";

describe("remote command protocol", () => {
  it("negotiates in the client's order among what the server supports", () => {
    expect(negotiate(splitProtocols(["v5.channel.k8s.io"]), WS_PROTOCOLS)).toBe(STREAM_V5);
    expect(negotiate(splitProtocols("v4.channel.k8s.io, v3.channel.k8s.io"), SPDY_PROTOCOLS)).toBe(STREAM_V4);
    expect(negotiate(splitProtocols(["v5.channel.k8s.io", "v4.channel.k8s.io"]), SPDY_PROTOCOLS)).toBe(STREAM_V4);
    expect(negotiate(splitProtocols(["base64.channel.k8s.io"]), WS_PROTOCOLS)).toBeUndefined();
    expect(splitProtocols(undefined)).toEqual([]);
  });

  it("frames channels with one leading byte", () => {
    expect([...encodeChannel(1, "hi")]).toEqual([1, 0x68, 0x69]);
    expect(decodeChannel(Buffer.from([255, 0]))).toEqual({ channel: 255, data: Buffer.from([0]) });
    expect(decodeChannel(Buffer.alloc(0))).toBeUndefined();
  });

  it("reads terminal sizes like Go's encoding/json (keys in any case)", () => {
    expect(parseTerminalSize('{"Width":120,"Height":40}')).toEqual({ width: 120, height: 40 });
    expect(parseTerminalSize('{"width":1,"height":2}')).toEqual({ width: 1, height: 2 });
    expect(parseTerminalSize('{"Width":1}')).toBeUndefined();
    expect(parseTerminalSize("nope")).toBeUndefined();
    const s = new JsonObjectSplitter();
    expect(s.push('{"Width":1,"Height":2}\n{"Width":3,')).toEqual(['{"Width":1,"Height":2}']);
    expect(s.push('"Height":4}\n')).toEqual(['{"Width":3,"Height":4}']);
  });

  it("reports exit codes as client-go's v4 decoder expects them", () => {
    expect(exitStatus({ exitCode: 0 })).toEqual({ metadata: {}, status: "Success" });
    expect(exitStatus({ exitCode: 3, command: ["sh", "-c", "exit 3"] })).toEqual({
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
    expect(exitMessage({ exitCode: 0 }, 2)).toBeUndefined();
    expect(exitMessage({ exitCode: 2 }, 3)).toBe("command terminated with non-zero exit code: exit code 2");
    expect(exitMessage({ error: "boom" }, 1)).toBe("boom");
  });

  it("reads stream options in the kubelet's and the API's spelling; a terminal has no stderr", () => {
    expect(streamOptions(new URLSearchParams("input=1&output=1&error=1"))).toEqual({ stdin: true, stdout: true, stderr: true, tty: false });
    expect(streamOptions(new URLSearchParams("stdin=true&stdout=true&stderr=true&tty=true"))).toEqual({ stdin: true, stdout: true, stderr: false, tty: true });
    expect(streamOptions(new URLSearchParams("stdout=false"))).toEqual({ stdin: false, stdout: false, stderr: false, tty: false });
  });
});
