// `npm run bench -- <name>`: runs one benchmark script (the names below; README.md says what each measures).
const name = process.argv[2];
const benches: Record<string, string> = { store: "./store.ts", apiserver: "./apiserver.ts", cluster: "./cluster.ts", scheduler: "./scheduler.ts", load: "./load.ts", pods: "./pods.ts", proxy: "./proxy.ts", dns: "./dns.ts", "dns-pod": "./dns-pod.ts", shift: "./shift.ts" };
if (!name || !benches[name]) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}>`);
  process.exit(2);
}
await import(benches[name]);
