// Where better-sqlite3's compiled addon comes from. Under `npm`/vitest, better-sqlite3 finds it
// itself. In the single executable (Node SEA) there is no node_modules: the build embeds
// better_sqlite3.node as an asset, which we write once to a content-addressed cache file and
// load with process.dlopen (a native addon must be a file on disk to be loaded).

import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const ASSET = "better_sqlite3.node";

export function sqliteNativeBinding(): object | undefined {
  let sea: { isSea(): boolean; getAsset(name: string): ArrayBuffer } | undefined;
  try {
    sea = createRequire(import.meta.url)("node:sea");
  } catch {
    return undefined;
  }
  if (!sea?.isSea()) return undefined;
  const bytes = Buffer.from(sea.getAsset(ASSET));
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), `minicluster-native-${hash}`);
  const file = path.join(dir, ASSET);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes, { mode: 0o755 });
    fs.renameSync(tmp, file);
  }
  const mod = { exports: {} as object };
  process.dlopen(mod, file);
  return mod.exports;
}
