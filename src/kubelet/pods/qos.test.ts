import type { Pod } from "kubernetes-types/core/v1.js";
import { describe, expect, it } from "vitest";
import { podQosClass } from "./qos.js";

const pod = (...resources: Array<{ requests?: Record<string, string>; limits?: Record<string, string> } | undefined>): Pod => ({
  spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: "x", ...(r ? { resources: r } : {}) })) },
});

describe("podQosClass", () => {
  it.each([
    ["nothing set", pod(undefined, {}), "BestEffort"],
    ["zero values only", pod({ requests: { cpu: "0", memory: "0" } }), "BestEffort"],
    ["other resources only", pod({ limits: { "ephemeral-storage": "1Gi" } }), "BestEffort"],
    ["limits equal requests everywhere", pod({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "0.1", memory: "64Mi" } }), "Guaranteed"],
    ["limits only (requests default to them)", pod({ limits: { cpu: "1", memory: "1Gi" } }), "Guaranteed"],
    ["requests below limits", pod({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } }), "Burstable"],
    ["a container without limits", pod({ limits: { cpu: "1", memory: "1Gi" } }, undefined), "Burstable"],
    ["memory limit only", pod({ limits: { memory: "1Gi" } }), "Burstable"],
    ["requests only", pod({ requests: { cpu: "10m" } }), "Burstable"],
  ])("%s", (_name, p, expected) => {
    expect(podQosClass(p)).toBe(expected);
  });

  it("counts init containers", () => {
    const p = pod({ limits: { cpu: "1", memory: "1Gi" } });
    p.spec!.initContainers = [{ name: "i", image: "x", resources: { requests: { cpu: "10m" } } }];
    expect(podQosClass(p)).toBe("Burstable");
  });
});
