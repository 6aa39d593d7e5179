import { defineConfig } from "vitest/config";

// Two projects: "unit" (pure logic, fast, beside the code) and "api" (an in-process control
// plane driven by the real kubectl and @kubernetes/client-node). Docker end-to-end tests join
// as a third project when the provisioner lands.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["src/**/*.test.ts", "scripts/**/*.test.ts"], testTimeout: 20_000 } },
      { test: { name: "api", include: ["test/api/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
});
