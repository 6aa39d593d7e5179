import defs from "../generated/definitions.json" with { type: "json" };
export const n: number = Object.keys(defs as Record<string, unknown>).length;
