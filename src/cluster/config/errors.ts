// A bad cluster file: every problem names the file, the line and the field path, and the whole
// error reads as one line (the CLI prints errors on one line and exits 1).

export interface ConfigProblem {
  file: string;
  /** 1-based; absent when the problem has no place in the file. */
  line?: number;
  /** Field path as Kubernetes prints it: `nodes[1].labels[tier]`; "" for the file as a whole. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** How many problems the one-line message lists before "and N more". */
const LISTED = 3;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const shown = problems.slice(0, LISTED).map(formatProblem);
    if (problems.length > LISTED) shown.push(`and ${problems.length - LISTED} more`);
    super(shown.join("; "));
    this.problems = problems;
  }
}
