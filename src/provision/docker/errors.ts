// Reading dockerode errors: the engine's HTTP status and its own message.

/** The HTTP status of a dockerode error, if it carries one. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The engine's own message of a dockerode error (its JSON body), else the error's message. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}
