// Child process for durability.test.ts: writes keys as fast as it can with 16 writes in flight
// and prints each key only after its write was acknowledged, until it is killed.
// Usage: node --import tsx crash-writer.fixture.ts <db path>

import { SqliteBackend } from "./sqlite-backend.js";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-writer.fixture.ts <db path>");
const backend = new SqliteBackend({ path });
await backend.start();
process.stdout.write("ready\n");

let next = 0;
async function writer(): Promise<never> {
  for (;;) {
    const key = `/crash/${next++}`;
    const r = await backend.create(key, JSON.stringify({ key, pad: "x".repeat(200) }));
    if (!r.ok) throw new Error(`create ${key}: ${r.reason}`);
    // Pipes are written synchronously on Linux, so a printed key has left this process.
    process.stdout.write(`${key}\n`);
  }
}
await Promise.all(Array.from({ length: 16 }, writer));
