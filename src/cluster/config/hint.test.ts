import { describe, expect, it } from "vitest";
import { editDistance, nearest } from "./hint.js";

describe("field name hints", () => {
  it.each<[string, string, number]>([
    ["", "abc", 3],
    ["role", "role", 0],
    ["rol", "role", 1],
    ["nmae", "name", 1],
    ["labels", "lables", 1],
    ["kitten", "sitting", 3],
  ])("edit distance %j → %j is %d", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  const known = ["kind", "apiVersion", "name", "nodes", "networking", "apiServerPort", "podSubnet", "serviceSubnet"];
  it.each<[string, string | undefined]>([
    ["nmae", "name"],
    ["node", "nodes"],
    ["apiversion", "apiVersion"],
    ["APISERVERPORT", "apiServerPort"],
    ["servicesubnets", "serviceSubnet"],
    ["podsubnett", "podSubnet"],
    ["flavour", undefined],
    ["x", undefined],
    ["image", undefined],
  ])("%j → %j", (name, expected) => {
    expect(nearest(name, known)).toBe(expected);
  });
});
