// Human durations exactly as k8s.io/apimachinery/pkg/util/duration prints them: AGE columns,
// "3 (5m ago)" restarts, job durations. Inputs are milliseconds; Go truncates toward zero.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** duration.HumanDuration: "45s", "3m2s", "10m", "4h5m", "20h", "2d3h", "45d", "3y20d", "10y". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  // Up to two seconds in the future is clock skew between machines: "0s".
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = Math.trunc(ms / SECOND) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = Math.trunc(ms / MINUTE) % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** duration.ShortHumanDuration: one unit only ("45s", "3m", "5h", "12d", "2y"). */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** RFC 3339 timestamp (or MicroTime) → epoch ms; undefined for missing or unparsable values. */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== "string" || ts === "") return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * printers.go translateTimestampSince: "<unknown>" for a zero or missing time. Go's zero time
 * ("0001-01-01T00:00:00Z") counts as missing too.
 */
export function since(ts: unknown, now: Date): string {
  if (isZeroTime(ts)) return "<unknown>";
  return humanDuration(now.getTime() - (parseTimestamp(ts) as number));
}

/** metav1.Time.IsZero for a decoded value: missing, unparsable or Go's zero time. */
export function isZeroTime(ts: unknown): boolean {
  const t = parseTimestamp(ts);
  return t === undefined || t === GO_ZERO_TIME;
}

/** Go's zero time.Time, 0001-01-01T00:00:00Z, which a zero metav1.Time serializes as in some clients. */
export const GO_ZERO_TIME = Date.parse("0001-01-01T00:00:00Z");
