import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { DockerUnreachableError, connectDocker, engineAddress, engineUnreachableMessage } from "./engine.js";

describe("engineUnreachableMessage", () => {
  it("says where, why, and how to start an engine, on one line", () => {
    const m = engineUnreachableMessage("/var/run/docker.sock", Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" }));
    expect(m).toBe("cannot reach the Docker engine at /var/run/docker.sock (ENOENT): is it running? start it with `dockerd &` or `systemctl start docker`");
    expect(m).not.toContain("\n");
  });

  it("permission denied is a different problem", () => {
    expect(engineUnreachableMessage("/var/run/docker.sock", { code: "EACCES" })).toBe(
      "cannot reach the Docker engine at /var/run/docker.sock: permission denied (run as root or add your user to the docker group)",
    );
  });

  it("timeouts and strange answers", () => {
    expect(engineUnreachableMessage("http://h:2375", Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" }))).toContain("(timed out)");
    expect(engineUnreachableMessage("http://h:2375", { statusCode: 404, message: "(HTTP code 404) unexpected" })).toContain("(it answered HTTP 404: is that a Docker engine?)");
  });
});

describe("connectDocker", () => {
  it("fails with one line naming the socket when nothing listens there", async () => {
    const docker = new Docker({ socketPath: "/nonexistent/mc-engine-test.sock" });
    expect(await engineAddress(docker)).toBe("/nonexistent/mc-engine-test.sock");
    const err = await connectDocker({ docker }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnreachableError);
    expect((err as Error).message).toBe(
      "cannot reach the Docker engine at /nonexistent/mc-engine-test.sock (ENOENT): is it running? start it with `dockerd &` or `systemctl start docker`",
    );
  });

  it("names a TCP engine by URL", async () => {
    expect(await engineAddress(new Docker({ host: "127.0.0.1", port: 1, protocol: "http" }))).toBe("http://127.0.0.1:1");
  });
});
