import { describe, expect, it } from "vitest";
import { parseImageConfig } from "./config.js";

const id = (c: string) => `sha256:${c.repeat(64)}`;

describe("parseImageConfig", () => {
  it("reads entrypoint, cmd, env, workingDir, user and the diff IDs", () => {
    const p = parseImageConfig(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "2024-01-01T00:00:00Z",
        config: { Entrypoint: ["/bin/sh", "-c"], Cmd: ["echo hi"], Env: ["A=1"], WorkingDir: "/app", User: "1000:1000", Labels: { x: "y" } },
        rootfs: { type: "layers", diff_ids: [id("a"), id("b")] },
      }),
    );
    expect(p).toEqual({
      config: { entrypoint: ["/bin/sh", "-c"], cmd: ["echo hi"], env: ["A=1"], workingDir: "/app", user: "1000:1000" },
      diffIds: [id("a"), id("b")],
      created: "2024-01-01T00:00:00Z",
      architecture: "amd64",
      os: "linux",
    });
  });

  it("leaves out empty and null fields", () => {
    const p = parseImageConfig(JSON.stringify({ config: { Entrypoint: null, Cmd: null, WorkingDir: "", User: "" }, rootfs: { type: "layers", diff_ids: [] } }));
    expect(p.config).toEqual({});
    expect(p.diffIds).toEqual([]);
  });

  it.each([
    ["not json", /not JSON/],
    ["[]", /not a JSON object/],
    ["{}", /no rootfs/],
    [JSON.stringify({ rootfs: { diff_ids: ["sha512:x"] } }), /unsupported layer diff ID/],
    [JSON.stringify({ rootfs: { diff_ids: [] }, config: { Cmd: "sh" } }), /Cmd is not a list/],
    [JSON.stringify({ rootfs: { diff_ids: [] }, config: { User: 0 } }), /User is not a string/],
  ])("rejects %s", (raw, why) => {
    expect(() => parseImageConfig(raw)).toThrow(why);
  });
});
