import { defineConfig } from "vitest/config";

// Three projects: "unit" (pure logic, fast, beside the code), "api" (an in-process control plane
// driven by the real kubectl and @kubernetes/client-node) and "e2e" (real Docker clusters made
// from dist/minicluster and the node image). e2e files run one at a time, after the others:
// some of them restart the Docker engine.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["src/**/*.test.ts", "scripts/**/*.test.ts"], testTimeout: 20_000 } },
      { test: { name: "api", include: ["test/api/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
