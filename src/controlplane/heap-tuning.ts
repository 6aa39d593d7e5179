// V8 heap settings for the long-running control plane process (`minicluster server`).
//
// V8's defaults trade memory for throughput: the young generation grows to 2 × 16 MiB, and the
// old generation may grow to up to 4× its live size before the next full collection. For a
// server whose live heap is ~30 MB at 10,000 objects, that is most of its RSS. Measured with
// `npm run bench -- apiserver` (10,000 ConfigMaps, 16 HTTPS clients, see docs/benchmarks.md):
// these two settings take the RSS after the load from ~160 MB to ~125 MB, while creates/s,
// GETs/s and the server's CPU time per request stay within run-to-run noise (scavenges of a
// 1 MiB semi-space take well under a millisecond).
//
// How they are set: Node 20's single executable takes no V8 flags on its command line, and
// flags that size the heap at start-up (--max-semi-space-size) have no effect once V8 runs.
// These two are read at every garbage collection, so setting them at run time works:
// - --semi-space-growth-factor=1: the young generation keeps its initial 1 MiB semi-spaces;
// - --heap-growing-percent=50: a full collection runs once the old generation has grown 50%
//   over what the last one left alive.
// The young generation only stays at its initial size if the flag is set before start-up
// allocates much, so src/main.ts imports this module first: importing it tunes the process
// when its command is `server`. Flags given through NODE_OPTIONS win: a setting is skipped when
// that flag (for the young generation: any semi-space flag) is there.

import v8 from "node:v8";

/** Each flag with the pattern of user-given flags that take precedence over it. */
export const SERVER_V8_FLAGS: readonly { flag: string; unless: RegExp }[] = [
  { flag: "--semi-space-growth-factor=1", unless: /semi[-_]space/ },
  { flag: "--heap-growing-percent=50", unless: /heap[-_]growing[-_]percent/ },
];

/** The flags to set for a process with these CLI arguments and Node options (none unless `server`). */
export function serverV8Flags(args: readonly string[], nodeOptions: string): string[] {
  if (args.find((a) => !a.startsWith("-")) !== "server") return [];
  return SERVER_V8_FLAGS.filter((f) => !f.unless.test(nodeOptions)).map((f) => f.flag);
}

for (const flag of serverV8Flags(process.argv.slice(2), [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" "))) {
  v8.setFlagsFromString(flag);
}
