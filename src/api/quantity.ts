// Kubernetes resource quantities ("100m", "1Gi", "1.5", "1e3"), following
// k8s.io/apimachinery/pkg/api/resource: the same grammar and error texts, rounding up to
// nano precision, and the same canonical string form (what the API server writes back and
// what `kubectl get` shows). Values are exact: unscaled × 10^exp with a bigint mantissa.

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface Quantity {
  /** value = unscaled × 10^exp, exp ≥ -9 (nano precision). */
  readonly unscaled: bigint;
  readonly exp: number;
  /** The suffix family the value was written with; decides how it is printed. */
  readonly format: QuantityFormat;
  /** The value in thousandths, rounded up (MilliValue): millicores for CPU. */
  readonly milli: bigint;
}

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuantityError";
  }
}

const NANO = -9;
/** BinarySI values are clamped to the largest int64, as apimachinery does. */
const MAX_ALLOWED = 2n ** 63n - 1n;
const MAX_QUANTITY_STRING = 1024;

const DEC_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BIN_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DEC_BY_EXP = new Map(Object.entries(DEC_SUFFIXES).map(([s, e]) => [e, s]));
const BIN_BY_POWER = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** Divide rounding away from zero (inf.RoundUp). */
function divRoundUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

interface Split {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString: sign, integer digits, optional fraction, then the suffix. */
function split(str: string): Split {
  let pos = 0;
  let positive = true;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") {
    pos++;
  }
  while (pos < str.length && str[pos] === "0") pos++;
  let start = pos;
  while (pos < str.length && str[pos] >= "0" && str[pos] <= "9") pos++;
  const num = str.slice(start, pos) || "0";
  let denom = "";
  if (pos < str.length && str[pos] === ".") {
    pos++;
    start = pos;
    while (pos < str.length && str[pos] >= "0" && str[pos] <= "9") pos++;
    denom = str.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < str.length && "eEinumkKMGTP".includes(str[pos])) pos++;
  if (pos < str.length && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < str.length && str[pos] >= "0" && str[pos] <= "9") pos++;
  if (pos < str.length) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(s: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (Object.hasOwn(DEC_SUFFIXES, s)) return { base: 10, exponent: DEC_SUFFIXES[s], format: "DecimalSI" };
  if (Object.hasOwn(BIN_SUFFIXES, s)) return { base: 2, exponent: BIN_SUFFIXES[s], format: "BinarySI" };
  if (s.length > 1 && (s[0] === "e" || s[0] === "E") && /^[+-]?[0-9]+$/.test(s.slice(1))) {
    const e = Number(s.slice(1));
    // Exponents this large only describe values no quantity can hold; apimachinery fails too.
    if (Number.isSafeInteger(e) && Math.abs(e) <= 10_000) return { base: 10, exponent: e, format: "DecimalExponent" };
  }
  throw new QuantityError(QUANTITY_SUFFIX_ERROR);
}

/** Parse a quantity string; throws QuantityError with apimachinery's message. */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === "number" ? String(input) : input;
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str.length > MAX_QUANTITY_STRING) throw new QuantityError(QUANTITY_NUMERIC_ERROR);
  const { positive, num, denom, suffix } = split(str);
  const { base, exponent, format: parsedFormat } = interpretSuffix(suffix);
  let format = parsedFormat;

  let unscaled = BigInt(num + denom);
  let exp = -denom.length;
  if (base === 10) exp += exponent;
  else unscaled *= 2n ** BigInt(exponent);
  if (!positive) unscaled = -unscaled;

  // Keep at most nano precision, rounding away from zero.
  if (exp < NANO) {
    unscaled = divRoundUp(unscaled, pow10(NANO - exp));
    exp = NANO;
  }
  if (format === "BinarySI") {
    const clamp = MAX_ALLOWED;
    if (cmpRaw(abs(unscaled), exp, clamp, 0) > 0) {
      unscaled = unscaled < 0n ? -clamp : clamp;
      exp = 0;
    }
    // A binary value below one cannot be printed with a binary suffix.
    if (unscaled > 0n && cmpRaw(unscaled, exp, 1n, 0) < 0) format = "DecimalSI";
  }
  return normalize(unscaled, exp, format);
}

/** Parse, or undefined when the string is not a quantity. */
export function tryParseQuantity(input: string | number): Quantity | undefined {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** Strip trailing decimal zeros so equal values share one representation. */
function normalize(unscaled: bigint, exp: number, format: QuantityFormat): Quantity {
  if (unscaled === 0n) return { unscaled: 0n, exp: 0, format, milli: 0n };
  while (unscaled % 10n === 0n) {
    unscaled /= 10n;
    exp++;
  }
  const shift = exp + 3;
  const milli = shift >= 0 ? unscaled * pow10(shift) : divRoundUp(unscaled, pow10(-shift));
  return { unscaled, exp, format, milli };
}

function cmpRaw(a: bigint, ae: number, b: bigint, be: number): number {
  const e = Math.min(ae, be);
  const x = a * pow10(ae - e);
  const y = b * pow10(be - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return cmpRaw(a.unscaled, a.exp, b.unscaled, b.exp) as -1 | 0 | 1;
}

export const isZeroQuantity = (q: Quantity): boolean => q.unscaled === 0n;

/** ceil(q × 10^-scale), apimachinery's ScaledValue (rounds away from zero). */
export function scaledValue(q: Quantity, scale: number): bigint {
  const shift = q.exp - scale;
  return shift >= 0 ? q.unscaled * pow10(shift) : divRoundUp(q.unscaled, pow10(-shift));
}

/** Value in whole units (bytes for memory, cores for CPU), rounded up. */
export const quantityValue = (q: Quantity): bigint => scaledValue(q, 0);
/** Value in thousandths (millicores), rounded up. */
export const quantityMilliValue = (q: Quantity): bigint => scaledValue(q, -3);
/** Approximate float value, for scoring and ratios. */
export const quantityToNumber = (q: Quantity): number => Number(q.unscaled) * 10 ** q.exp;

/** A quantity of `value × 10^exp` in the given format (e.g. milli CPU: exp -3, "DecimalSI"). */
export function makeQuantity(value: bigint | number, exp = 0, format: QuantityFormat = "DecimalSI"): Quantity {
  return normalize(BigInt(value), exp, format);
}

function combine(a: Quantity, b: Quantity, sign: 1n | -1n): Quantity {
  const e = Math.min(a.exp, b.exp);
  const unscaled = a.unscaled * pow10(a.exp - e) + sign * b.unscaled * pow10(b.exp - e);
  // Like Quantity.Add: a zero receiver takes the other side's format.
  return normalize(unscaled, e, a.unscaled === 0n ? b.format : a.format);
}
export const addQuantities = (a: Quantity, b: Quantity): Quantity => combine(a, b, 1n);
export const subtractQuantities = (a: Quantity, b: Quantity): Quantity => combine(a, b, -1n);

/**
 * Canonical string form (Quantity.String / CanonicalizeBytes): decimal values use the largest
 * exponent that is a multiple of three ("1500m", "15k"); binary values the largest power of
 * 1024 ("1536Mi"), falling back to decimal below 1024 or when not integral; zero is "0".
 */
export function formatQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return "0";
  let format = q.format;
  if (format === "BinarySI") {
    const small = cmpRaw(abs(q.unscaled), q.exp, 1024n, 0) < 0;
    if (small || q.exp < 0) format = "DecimalSI";
  }
  if (format === "BinarySI") {
    let v = q.unscaled * pow10(q.exp);
    let power = 0;
    while (power < BIN_BY_POWER.length - 1 && abs(v) >= 1024n && v % 1024n === 0n) {
      v /= 1024n;
      power++;
    }
    return `${v}${BIN_BY_POWER[power]}`;
  }
  // Decimal: mantissa without trailing zeros, then lower the exponent to a multiple of three.
  let { unscaled, exp } = normalize(q.unscaled, q.exp, q.format);
  while (((exp % 3) + 3) % 3 !== 0) {
    unscaled *= 10n;
    exp--;
  }
  if (format === "DecimalExponent") return exp === 0 ? `${unscaled}` : `${unscaled}e${exp}`;
  const suffix = DEC_BY_EXP.get(exp);
  // apimachinery has no suffix beyond E (10^18); write larger values with an exponent instead.
  return suffix === undefined ? `${unscaled}e${exp}` : `${unscaled}${suffix}`;
}

/** Parse and print canonically: "1.5Gi" → "1536Mi", "1000m" → "1". */
export const canonicalQuantity = (s: string | number): string => formatQuantity(parseQuantity(s));
