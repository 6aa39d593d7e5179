// Builds dist/minicluster: an esbuild bundle (CommonJS, as Node's single-executable
// applications require) injected into a copy of this machine's `node` with postject, with
// better-sqlite3's native addon embedded as an SEA asset (see
// src/controlplane/store/sqlite/native-binding.ts). Works offline: nothing is downloaded.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// MINICLUSTER_DIST builds elsewhere (parallel work must not overwrite one another's dist/).
const dist = process.env.MINICLUSTER_DIST ? path.resolve(process.env.MINICLUSTER_DIST) : path.join(root, "dist");
const require = createRequire(import.meta.url);
fs.mkdirSync(dist, { recursive: true });

// dockerode's dependencies require optional modules inside try/catch and do without them: ssh2's
// native addons (sshcrypto, cpu-features) and debug's supports-color (not installed). Each becomes
// a module that throws, so they are skipped quietly (likewise ws's optional bufferutil and
// utf-8-validate) (a require() of anything but a built-in from
// the single executable prints a warning on every start).
const optionalModules = {
  name: "optional-modules",
  setup(b) {
    b.onResolve({ filter: /(\.node|^supports-color|^bufferutil|^utf-8-validate)$/ }, (a) => ({ path: a.path, namespace: "optional-module" }));
    b.onLoad({ filter: /.*/, namespace: "optional-module" }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} is not in the single executable`)});`,
      loader: "js",
    }));
  },
};

const started = Date.now();
await esbuild.build({
  entryPoints: [path.join(root, "src/main.ts")],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: path.join(dist, "minicluster.cjs"),
  // better-sqlite3 is given its addon through `nativeBinding`; `bindings` must never be reached.
  external: ["bindings"],
  plugins: [optionalModules],
  define: { "import.meta.url": "__minicluster_import_meta_url" },
  banner: { js: "var __minicluster_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});

const addon = path.join(path.dirname(require.resolve("better-sqlite3/package.json")), "build/Release/better_sqlite3.node");
const seaConfig = path.join(dist, "sea-config.json");
fs.writeFileSync(
  seaConfig,
  JSON.stringify({
    main: path.join(dist, "minicluster.cjs"),
    output: path.join(dist, "sea-prep.blob"),
    disableExperimentalSEAWarning: true,
    useCodeCache: false,
    assets: { "better_sqlite3.node": addon },
  }),
);
execFileSync(process.execPath, ["--experimental-sea-config", seaConfig], { stdio: "inherit" });

const exe = path.join(dist, "minicluster");
fs.rmSync(exe, { force: true });
fs.copyFileSync(process.execPath, exe);
fs.chmodSync(exe, 0o755);
const postject = path.join(path.dirname(require.resolve("postject/package.json")), "dist/cli.js");
execFileSync(
  process.execPath,
  [postject, exe, "NODE_SEA_BLOB", path.join(dist, "sea-prep.blob"), "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"],
  { stdio: ["ignore", "ignore", "inherit"] },
);
fs.rmSync(path.join(dist, "sea-prep.blob"), { force: true });
const size = fs.statSync(exe).size;
console.log(`built ${path.relative(root, exe)} (${(size / 1048576).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
