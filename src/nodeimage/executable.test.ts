import path from "node:path";
import { describe, expect, it } from "vitest";
import { isSingleExecutable, repoExecutablePath, resolveMiniclusterExecutable } from "./executable.js";

describe("resolveMiniclusterExecutable", () => {
  it("is the running executable when we are the single executable", () => {
    expect(resolveMiniclusterExecutable({ sea: true, execPath: "/usr/local/bin/minicluster" })).toBe("/usr/local/bin/minicluster");
  });

  it("is the repository's dist/minicluster otherwise, with a clear error when it is missing", () => {
    expect(isSingleExecutable()).toBe(false);
    expect(repoExecutablePath()).toBe(path.resolve(import.meta.dirname, "../../dist/minicluster"));
    expect(resolveMiniclusterExecutable({ sea: false, repoExecutable: process.execPath })).toBe(process.execPath);
    expect(() => resolveMiniclusterExecutable({ sea: false, repoExecutable: "/nonexistent/dist/minicluster" })).toThrow(
      "/nonexistent/dist/minicluster does not exist: the node image carries the single executable, run `npm run build` first",
    );
  });
});
