// The whole test suite (unit + API + end-to-end projects), ending with one plain line
// "N passed, N failed" that CI reads. Extra arguments go to vitest.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "minicluster-test-")), "results.json");
const run = spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: "inherit",
});
let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(fs.readFileSync(report, "utf8"));
  passed = results.numPassedTests ?? 0;
  // A test file that failed to load counts as a failure even though it ran no test.
  const brokenFiles = (results.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  failed = (results.numFailedTests ?? 0) + brokenFiles;
} catch {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
