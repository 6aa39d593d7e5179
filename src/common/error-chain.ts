// One line for an error and its causes ("creating network x: (HTTP 409) ..."): how every component
// logs a failure and how the CLI prints one.
export function errorChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e; e = e instanceof Error ? e.cause : undefined) parts.push(e instanceof Error ? e.message : String(e));
  return parts.join(": ");
}
