import { describe, expect, it } from "vitest";
import { LineBuffer, formatEntry, parseCriLine, parseLogOptions, selectEntries } from "./cri-log.js";

const FILE = [
  "2030-01-01T00:00:00.000000000Z stdout F one",
  "2030-01-01T00:00:10.000000000Z stderr P two-a ",
  "2030-01-01T00:00:11.000000000Z stderr F two-b",
  "2030-01-01T00:00:20.000000000Z stdout F three",
  "2030-01-01T00:00:21.000000000Z stdout F ",
  "2030-01-01T00:00:30.000000000Z stdout F unterminated",
].join("\n");

const opts = (q: string) => parseLogOptions(new URLSearchParams(q));
const render = (q: string, now = new Date("2030-01-01T00:00:30Z")) =>
  selectEntries(FILE, opts(q), now)
    .entries.map((e) => formatEntry(e, opts(q).timestamps))
    .join("");

describe("CRI log files", () => {
  it("parses lines and keeps content spaces", () => {
    expect(parseCriLine("2030-01-01T00:00:00Z stdout F  two  spaces ")).toMatchObject({ stream: "stdout", full: true, content: " two  spaces " });
    expect(parseCriLine("2030-01-01T00:00:00Z stderr P part")).toMatchObject({ stream: "stderr", full: false, content: "part" });
    expect(parseCriLine("garbage")).toBeUndefined();
    expect(parseCriLine("2030-01-01T00:00:00Z bogus F x")).toBeUndefined();
  });

  it("joins partial lines, leaves an unterminated last line for a follower", () => {
    expect(render("")).toBe("one\ntwo-a two-b\nthree\n\n");
    const { consumed } = selectEntries(FILE, opts(""), new Date());
    expect(consumed).toBe(Buffer.byteLength(FILE) - "2030-01-01T00:00:30.000000000Z stdout F unterminated".length);
  });

  it("keeps timestamps when asked", () => {
    expect(render("timestamps=true").split("\n")[0]).toBe("2030-01-01T00:00:00.000000000Z one");
  });

  it("tails whole lines (partial runs count once)", () => {
    expect(render("tailLines=3")).toBe("two-a two-b\nthree\n\n");
    expect(render("tailLines=0")).toBe("");
    expect(render("tailLines=100")).toBe("one\ntwo-a two-b\nthree\n\n");
  });

  it("drops entries older than sinceSeconds / sinceTime", () => {
    expect(render("sinceSeconds=15")).toBe("three\n\n");
    expect(render("sinceTime=2030-01-01T00:00:10Z")).toBe("two-a two-b\nthree\n\n");
  });

  it("validates options with Kubernetes' messages", () => {
    expect(() => opts("tailLines=x")).toThrow(/tailLines: invalid value "x"/);
    expect(() => opts("limitBytes=0")).toThrow(/limitBytes: Invalid value: 0/);
    expect(() => opts("sinceSeconds=1&sinceTime=2030-01-01T00:00:00Z")).toThrow(/at most one of/);
    expect(opts("follow=true&previous=1&limitBytes=5")).toMatchObject({ follow: true, previous: true, limitBytes: 5 });
  });

  it("splits appended text into complete lines", () => {
    const b = new LineBuffer();
    expect(b.push("a\nb")).toEqual(["a"]);
    expect(b.push("c\n")).toEqual(["bc"]);
    expect(b.push("")).toEqual([]);
  });
});
