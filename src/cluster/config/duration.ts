// Go-style durations for `--wait` ("0", "500ms", "30s", "1m30s", "2h"), as kind's --wait takes
// them, plus a bare number meaning seconds ("--wait 30" can only mean that; kubectl's
// --request-timeout reads it the same way). The result is whole milliseconds, rounded up so
// that a non-zero duration never becomes 0 (which means "do not wait").

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** The longest timer Node.js can set (2^31-1 ms, about 24.8 days); longer would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const EXAMPLES = "use a number with a unit, e.g. 30s, 1m30s, 500ms, 2m or 1h (a bare number means seconds)";

export function parseDuration(text: string): number {
  const s = text.trim();
  const bad = (why: string) => new Error(`invalid duration ${JSON.stringify(text)}: ${why}`);
  if (s === "") throw bad(EXAMPLES);
  let rest = s;
  let negative = false;
  if (rest[0] === "-" || rest[0] === "+") {
    negative = rest[0] === "-";
    rest = rest.slice(1);
  }
  let ns = 0n;
  if (/^(\d+\.?\d*|\.\d+)$/.test(rest)) {
    ns = toNs(rest, NS_PER_UNIT.s); // a bare number: seconds
  } else {
    if (rest === "") throw bad(EXAMPLES);
    const term = /^(\d+\.?\d*|\.\d+)([^\d.]*)/;
    while (rest !== "") {
      const m = term.exec(rest);
      if (!m) throw bad(EXAMPLES);
      const [whole, num, unit] = m;
      if (unit === "") throw bad(`missing unit after ${num}; ${EXAMPLES}`);
      const per = NS_PER_UNIT[unit];
      if (per === undefined) {
        const hint = unit === "d" ? "; use h (24h is a day)" : `; units are ns, us, ms, s, m, h`;
        throw bad(`unknown unit ${JSON.stringify(unit)}${hint}`);
      }
      ns += toNs(num, per);
      rest = rest.slice(whole.length);
    }
  }
  if (negative && ns > 0n) throw bad("must not be negative");
  const ms = (ns + 999_999n) / 1_000_000n;
  if (ms > BigInt(MAX_DURATION_MS)) throw bad("too long: at most 596h");
  return Number(ms);
}

/** `num` (digits with an optional fraction) times `per` nanoseconds, exactly (fraction floored, as Go does). */
function toNs(num: string, per: bigint): bigint {
  const [int, frac = ""] = num.split(".");
  let ns = BigInt(int || "0") * per;
  if (frac !== "") ns += (BigInt(frac) * per) / 10n ** BigInt(frac.length);
  return ns;
}

/** Milliseconds back into a short Go-style duration, for messages: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let out = "";
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (rest) out += rest % 1000 === 0 || h || m || rest >= 1000 ? `${rest / 1000}s` : `${rest}ms`;
  return out;
}
