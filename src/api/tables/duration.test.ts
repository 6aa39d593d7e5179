import { describe, expect, it } from "vitest";
import { humanDuration, shortHumanDuration, since } from "./duration.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("humanDuration (apimachinery duration.HumanDuration)", () => {
  it.each([
    [-3 * S, "<invalid>"],
    [-1500, "0s"],
    [0, "0s"],
    [59 * S, "59s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [3 * M + 2 * S, "3m2s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [4 * H + 5 * M, "4h5m"],
    [8 * H + 5 * M, "8h"],
    [47 * H, "47h"],
    [2 * D, "2d"],
    [2 * D + 3 * H, "2d3h"],
    [8 * D, "8d"],
    [45 * D, "45d"],
    [729 * D, "729d"],
    [3 * 365 * D + 20 * D, "3y20d"],
    [4 * 365 * D, "4y"],
    [10 * 365 * D + 100 * D, "10y"],
  ])("%d ms → %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe("shortHumanDuration and since", () => {
  it("prints one unit", () => {
    expect(shortHumanDuration(90 * S)).toBe("1m");
    expect(shortHumanDuration(30 * H)).toBe("1d");
  });
  it("treats missing and Go zero times as unknown", () => {
    const now = new Date("2024-05-01T12:00:00Z");
    expect(since(undefined, now)).toBe("<unknown>");
    expect(since("0001-01-01T00:00:00Z", now)).toBe("<unknown>");
    expect(since("2024-05-01T11:55:00Z", now)).toBe("5m");
  });
});
