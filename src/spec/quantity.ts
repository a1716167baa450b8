// Kubernetes resource.Quantity parsing (apimachinery pkg/api/resource,
// quantity.go and quantity_suffixer.go).
//
//   <quantity>        ::= <signedNumber><suffix>
//   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei            (powers of 1024)
//   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E (powers of 1000)
//   <decimalExponent> ::= e<signedInteger> | E<signedInteger>
//
// The value is held exactly as a signed count of nano-units in a BigInt, so
// nothing is lost to floating point. As Kubernetes does, precision below one
// nano-unit is rounded up (away from zero), and milliValue()/value() round
// up too ("0.1m" is 1m of CPU; "0.5" bytes is 1 byte). "n" and "u" are in
// Kubernetes' suffixer although its doc comment omits them.
//
// One deliberate difference: Kubernetes silently caps a magnitude above
// 2^63-1; podshim rejects it, because a capped memory limit is a limit
// nobody wrote.

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** The text as written. */
  readonly text: string;
  readonly format: QuantityFormat;
  /** Exact value in units of 1e-9, signed. */
  readonly nanos: bigint;
  /** Value in thousandths, rounded up (away from zero): CPU millicores. */
  milliValue(): bigint;
  /** Value in whole units, rounded up (away from zero): bytes for memory. */
  value(): bigint;
  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): number;
}

export const MAX_QUANTITY = (1n << 63n) - 1n;

const NANOS_PER_UNIT = 1_000_000_000n;
const MAX_NANOS = MAX_QUANTITY * NANOS_PER_UNIT;
const SIGNIFICANT_DIGITS_OF_MAX = 19;

const DECIMAL_SUFFIX_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_SUFFIX_POWERS: Readonly<Record<string, number>> = {
  Ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
};

const NUMBER_RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/s;
const EXPONENT_RE = /^[eE]([+-]?\d+)$/;

/** A quantity that does not parse; `reason` is the part after the value. */
export class QuantityError extends Error {
  readonly text: string;
  readonly reason: string;
  constructor(text: string, reason: string) {
    super(`invalid quantity ${JSON.stringify(text)}: ${reason}`);
    this.name = 'QuantityError';
    this.text = text;
    this.reason = reason;
  }
}

export function parseQuantity(text: string): Quantity {
  const fail = (reason: string): never => {
    throw new QuantityError(text, reason);
  };
  if (text.length === 0) fail('empty string');
  const match = NUMBER_RE.exec(text);
  if (match === null) return fail('must start with a number');
  const [, sign, whole, fraction = '', suffix] = match;
  if (whole.length === 0 && fraction.length === 0) {
    fail('must start with a number, like "1", "0.5" or ".5"');
  }

  const digits = BigInt(whole + fraction);
  let nanos: bigint;
  let format: QuantityFormat;
  if (suffix in BINARY_SUFFIX_POWERS) {
    format = 'BinarySI';
    const multiplier = 1n << BigInt(10 * BINARY_SUFFIX_POWERS[suffix]);
    nanos = ceilDiv(digits * multiplier * NANOS_PER_UNIT, 10n ** BigInt(fraction.length));
  } else {
    let exponent: number;
    if (suffix in DECIMAL_SUFFIX_EXPONENTS) {
      format = 'DecimalSI';
      exponent = DECIMAL_SUFFIX_EXPONENTS[suffix];
    } else {
      const exp = EXPONENT_RE.exec(suffix);
      if (exp === null) return fail(describeBadSuffix(suffix));
      format = 'DecimalExponent';
      exponent = Number(exp[1]);
      if (!Number.isSafeInteger(exponent)) fail(`exponent ${JSON.stringify(exp[1])} is out of range`);
    }
    nanos = decimalNanos(digits, exponent - fraction.length, fail);
  }
  if (nanos > MAX_NANOS) fail('magnitude must be at most 2^63-1 (9223372036854775807)');
  return makeQuantity(text, format, sign === '-' ? -nanos : nanos);
}

/** True if `text` parses; for callers that only need a yes or no. */
export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch (err) {
    if (err instanceof QuantityError) return false;
    throw err;
  }
}

/** digits × 10^scale in nano-units, rounded up, without building huge powers. */
function decimalNanos(digits: bigint, scale: number, fail: (reason: string) => never): bigint {
  if (digits === 0n) return 0n;
  const significant = digits.toString().length;
  if (scale + significant > SIGNIFICANT_DIGITS_OF_MAX) {
    // digits × 10^scale ≥ 10^19 > 2^63-1
    fail('magnitude must be at most 2^63-1 (9223372036854775807)');
  }
  const nanoScale = scale + 9;
  if (nanoScale >= 0) return digits * 10n ** BigInt(nanoScale);
  if (-nanoScale > significant) return 1n; // below one nano-unit: round up
  return ceilDiv(digits, 10n ** BigInt(-nanoScale));
}

function describeBadSuffix(suffix: string): string {
  if (/^[eE][+-]?$/.test(suffix)) return `exponent ${JSON.stringify(suffix)} has no digits`;
  if (/^[eE][+-]?\d*\./.test(suffix)) return `exponent in ${JSON.stringify(suffix)} must be an integer`;
  if (suffix.startsWith('.')) return 'number has more than one decimal point';
  return (
    `unknown suffix ${JSON.stringify(suffix)}: ` +
    'must be one of Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent like e3'
  );
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return quotient * denominator === numerator ? quotient : quotient + 1n;
}

/** Scale a signed nano count down by `divisor`, rounding away from zero. */
function scaleAwayFromZero(nanos: bigint, divisor: bigint): bigint {
  return nanos < 0n ? -ceilDiv(-nanos, divisor) : ceilDiv(nanos, divisor);
}

function makeQuantity(text: string, format: QuantityFormat, nanos: bigint): Quantity {
  return {
    text,
    format,
    nanos,
    milliValue: () => scaleAwayFromZero(nanos, 1_000_000n),
    value: () => scaleAwayFromZero(nanos, NANOS_PER_UNIT),
    cmp: (other) => (nanos < other.nanos ? -1 : nanos > other.nanos ? 1 : 0),
  };
}
