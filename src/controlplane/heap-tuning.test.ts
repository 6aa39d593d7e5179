import { describe, expect, it } from "vitest";
import { serverV8Flags } from "./heap-tuning.js";

describe("serverV8Flags", () => {
  it("tunes the heap for the server command only", () => {
    expect(serverV8Flags(["server", "--data-dir", "/d"], "")).toEqual(["--semi-space-growth-factor=1", "--heap-growing-percent=50"]);
    expect(serverV8Flags(["-v", "server"], "")).toEqual(["--semi-space-growth-factor=1", "--heap-growing-percent=50"]);
    expect(serverV8Flags(["create", "server"], "")).toEqual([]);
    expect(serverV8Flags(["--help"], "")).toEqual([]);
    expect(serverV8Flags([], "")).toEqual([]);
  });

  it("leaves a setting to flags the user gave", () => {
    expect(serverV8Flags(["server"], "--max-semi-space-size=8")).toEqual(["--heap-growing-percent=50"]);
    expect(serverV8Flags(["server"], "--expose-gc --heap_growing_percent=80")).toEqual(["--semi-space-growth-factor=1"]);
  });
});
