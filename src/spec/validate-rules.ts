// Small shared checks for the validate* modules: each reports to a Reporter
// with the field path and ends its message with the offending value.

import type { Reporter } from './check-schema';
import { type Quantity, QuantityError, parseQuantity } from './quantity';
import { ipAddressProblem } from './ip-address';

export const got = (value: unknown): string => `(got ${JSON.stringify(value)})`;

/** Report each message of a name check (names.ts) at `path`. */
export function checkName(report: Reporter, path: string, value: string, check: (v: string) => string[]): void {
  for (const message of check(value)) report.error(path, `${message} ${got(value)}`);
}

/** `value` must be set (not undefined, not ""). Returns whether it is. */
export function required<T>(report: Reporter, path: string, value: T | undefined): value is T {
  if (value === undefined || value === '') {
    report.error(path, 'required value');
    return false;
  }
  return true;
}

/** An IP address field, as Kubernetes' strict IsValidIPForLegacyField judges it (ip-address.ts). */
export function checkIpAddress(report: Reporter, path: string, value: string): void {
  const problem = ipAddressProblem(value);
  if (problem !== null) report.error(path, `${problem} ${got(value)}`);
}

export function oneOf(report: Reporter, path: string, value: string | undefined, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value)) return;
  const list = allowed.map((a) => JSON.stringify(a)).join(', ');
  report.error(path, `unsupported value ${JSON.stringify(value)}: supported values: ${list}`);
}

/** oneOf for a field the API server defaults first: "" is unset there too (SetDefaults_* test for the zero value). */
export function oneOfDefaulted(report: Reporter, path: string, value: string | undefined, allowed: readonly string[]): void {
  oneOf(report, path, value === '' ? undefined : value, allowed)
}

export function inRange(report: Reporter, path: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || (value >= min && value <= max)) return;
  report.error(path, `must be between ${min} and ${max}, inclusive ${got(value)}`);
}

export function atLeast(report: Reporter, path: string, value: number | undefined, min: number): void {
  if (value === undefined || value >= min) return;
  const what = min === 0 ? 'greater than or equal to 0' : min === 1 ? 'greater than 0' : `at least ${min}`;
  report.error(path, `must be ${what} ${got(value)}`);
}

export function absolutePath(report: Reporter, path: string, value: string | undefined): void {
  if (value !== undefined && value !== '' && !value.startsWith('/')) {
    report.error(path, `must be an absolute path ${got(value)}`);
  }
}

/** Parse a non-negative quantity, reporting why not; undefined when invalid. */
export function checkQuantity(report: Reporter, path: string, text: string): Quantity | undefined {
  let quantity: Quantity;
  try {
    quantity = parseQuantity(text);
  } catch (err) {
    if (!(err instanceof QuantityError)) throw err;
    report.error(path, err.message);
    return undefined;
  }
  if (quantity.nanos < 0n) {
    report.error(path, `must be greater than or equal to 0 ${got(text)}`);
    return undefined;
  }
  return quantity;
}

/** Report every value that occurs more than once in `items` (by `key`). */
export function unique<T>(
  report: Reporter,
  items: readonly T[],
  key: (item: T) => string | undefined,
  pathOf: (item: T, index: number) => string,
  message = 'duplicate value',
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined || k === '') return;
    if (seen.has(k)) report.error(pathOf(item, i), `${message} ${got(k)}`);
    seen.add(k);
  });
}
