import { describe, expect, it } from "vitest";
import { parseNodeArgs, workerV8Flags } from "./main.js";

describe("parseNodeArgs", () => {
  it.each([
    [["node"], {}],
    [["node", "--config", "/c.json"], { config: "/c.json" }],
    [["node", "--config=/c.json", "--root", "/r"], { config: "/c.json", root: "/r" }],
  ])("takes %j", (argv, want) => expect(parseNodeArgs(argv)).toEqual(want));

  it.each([[["create"]], [["node", "--help"]], [["node", "--config"]], [["node", "extra"]], [["node", "--root="]], [[]]])(
    "leaves %j to the CLI",
    (argv) => expect(parseNodeArgs(argv)).toBeUndefined(),
  );
});

describe("workerV8Flags", () => {
  it("tunes workers only", () => {
    expect(workerV8Flags("worker", "")).toEqual(["--semi-space-growth-factor=1", "--heap-growing-percent=50"]);
    expect(workerV8Flags("control-plane", "")).toEqual([]);
    expect(workerV8Flags(undefined, "")).toEqual([]);
  });
  it("lets NODE_OPTIONS win", () => {
    expect(workerV8Flags("worker", "--max-semi-space-size=8")).toEqual(["--heap-growing-percent=50"]);
    expect(workerV8Flags("worker", "--heap_growing_percent=80 --semi-space-growth-factor=2")).toEqual([]);
  });
});
