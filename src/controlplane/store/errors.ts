// The two read failures the API server must tell apart from other errors: both are about the
// revision asked for, not about the store being broken.

/** The revision asked for was compacted away. Kubernetes answers 410 Gone ("Expired"). */
export class CompactedError extends Error {
  override readonly name = "CompactedError";
  constructor(
    readonly requestedRevision: number,
    readonly compactedRevision: number,
  ) {
    super(`required revision ${requestedRevision} has been compacted (compacted revision ${compactedRevision})`);
  }
}

/** The revision asked for is newer than the store. Kubernetes: "Too large resource version". */
export class FutureRevisionError extends Error {
  override readonly name = "FutureRevisionError";
  constructor(
    readonly requestedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`required revision ${requestedRevision} is a future revision (current revision ${currentRevision})`);
  }
}

/** Thrown by operations on a backend that is not started or already closed. */
export class BackendClosedError extends Error {
  override readonly name = "BackendClosedError";
  constructor() {
    super("store backend is closed");
  }
}

/** Shared check for reads: throws unless `revision` can be served; returns it (0 = current). */
export function checkReadRevision(revision: number | undefined, current: number, compacted: number): number {
  if (revision === undefined || revision === 0) return current;
  if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`invalid revision ${revision}`);
  if (revision > current) throw new FutureRevisionError(revision, current);
  if (revision < compacted) throw new CompactedError(revision, compacted);
  return revision;
}
