// How the CLI reports failures: one line on stderr (the error and its causes), the stack only
// with -v, and an exit code: 2 for usage errors, 1 for everything else.

import { errorChain } from "../common/error-chain.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function describeError(err: unknown, verbose: boolean): string {
  if (verbose && err instanceof Error && err.stack) {
    let out = err.stack;
    let cause = (err as { cause?: unknown }).cause;
    while (cause) {
      out += `\nCaused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`;
      cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined;
    }
    return out;
  }
  return errorChain(err);
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}
