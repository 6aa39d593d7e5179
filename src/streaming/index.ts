// Streaming protocols of the Kubernetes API (exec, attach, port-forward): SPDY/3.1, the WebSocket
// channel protocols v1–v5, and port-forward over SPDY or SPDY tunnelled in a WebSocket.
export { SpdySession, SpdyStream, type SpdySessionOptions } from "./spdy/session.js";
export * as spdyFrames from "./spdy/frames.js";
export {
  WS_PROTOCOLS,
  SPDY_PROTOCOLS,
  STREAM_V5,
  STREAM_V4,
  Channel,
  negotiate,
  splitProtocols,
  streamOptions,
  exitStatus,
  type ExecResult,
  type StreamOptions,
  type TerminalSize,
} from "./remotecommand/protocol.js";
export { WebSocketRemoteCommand, SpdyRemoteCommand, type RemoteCommandIO } from "./remotecommand/io.js";
export { servePortForward, PORTFORWARD_PROTOCOL, PORTFORWARD_TUNNEL_PROTOCOL, type PortDialer } from "./portforward.js";
export { acceptSpdyUpgrade, upgradeKind, rejectUpgrade } from "./upgrade.js";
