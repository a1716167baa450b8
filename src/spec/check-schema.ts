// Walk a raw manifest against the schema table (schema.ts): report unknown
// fields and wrong types as problems, unimplemented fields as warnings, and
// return a cleaned copy that holds only implemented fields of the right type,
// so the semantic rules in validate*.ts can read it as a typed Pod.
//
// Array indices are kept stable: a wrong-typed array element is replaced by
// a placeholder, and the Reporter drops any later problem under a path that
// already has a type error, so one mistake is reported once.

import type { Field, ScalarType, Schema } from './schema';
import type { Problem, Warning } from './types';

export class Reporter {
  readonly problems: Problem[] = [];
  readonly warnings: Warning[] = [];
  private readonly badPaths: string[] = [];

  error(path: string, message: string): void {
    if (this.isUnderBadPath(path)) return;
    this.problems.push({ path, message });
  }

  /** A type error: also silences later problems at or under `path`. */
  typeError(path: string, message: string): void {
    this.error(path, message);
    this.badPaths.push(path);
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Whether a warning was given at exactly `path` (e.g. an ignored field). */
  hasWarning(path: string): boolean {
    return this.warnings.some((w) => w.path === path);
  }

  private isUnderBadPath(path: string): boolean {
    return this.badPaths.some(
      (bad) => path === bad || path.startsWith(`${bad}.`) || path.startsWith(`${bad}[`),
    );
  }
}

export const NOT_IMPLEMENTED = 'not implemented by podshim, ignored';

/** "a string", "an integer", … for messages. */
const TYPE_NAMES: Record<ScalarType | 'object' | 'array' | 'map', string> = {
  string: 'a string',
  integer: 'an integer',
  int32: 'a 32-bit integer',
  number: 'a number',
  boolean: 'a boolean',
  intOrString: 'an integer or a string',
  quantity: 'a quantity string like "500m" or "1Gi"',
  object: 'an object',
  array: 'a list',
  map: 'a map of strings',
};

/** `string "x"`, `number 5`, `list`, … : what was found instead. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** describeValue without the value: `a number`, `a boolean`, `null`, … */
function secretValueKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

function isScalarOfType(value: unknown, type: ScalarType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'int32':
      return Number.isSafeInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'intOrString':
      return typeof value === 'string' || Number.isSafeInteger(value);
    case 'quantity':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
  }
}

/** Quantities given as YAML numbers become strings for parseQuantity(). */
function asQuantityText(value: unknown, type: ScalarType): unknown {
  return type === 'quantity' && typeof value === 'number' ? String(value) : value;
}

/** Placeholder that keeps indices stable after a type error. */
function placeholder(field: Field): unknown {
  if (field.kind === 'object' || field.kind === 'map') return {};
  if (field.kind === 'array') return [];
  return undefined;
}

function isOfShape(value: unknown, shape: NonNullable<Extract<Field, { kind: 'todo' }>['shape']>): boolean {
  if (shape === 'array') return Array.isArray(value);
  if (shape === 'object' || shape === 'map') return isPlainObject(value);
  return isScalarOfType(value, shape);
}

function mustBe(type: keyof typeof TYPE_NAMES, value: unknown): string {
  return `must be ${TYPE_NAMES[type]} (got ${describeValue(value)})${type === 'string' ? quoteHint(value) : ''}`;
}

/** Why YAML made a scalar the manifest meant as text something else. */
function quoteHint(value: unknown): string {
  if (typeof value === 'boolean') return ': YAML reads unquoted true, false, yes, no, on, off, y and n as booleans, as kubectl does; quote the value';
  if (typeof value === 'number') return ': quote the value to keep it text (unquoted, YAML reads 0644 as the octal number 420, as kubectl does)';
  return '';
}

/**
 * Check `value` against `field` at `path`. Returns the cleaned value, or
 * undefined when nothing usable is left (absent, null, wrong type, ignored).
 */
export function checkField(value: unknown, field: Field, path: string, report: Reporter): unknown {
  if (value === undefined || value === null) return undefined; // null means unset, as in the API
  switch (field.kind) {
    case 'todo':
      // its contents go unread, but a value of the wrong shape is what the API server refuses to decode
      if (field.shape !== undefined && !isOfShape(value, field.shape)) {
        report.typeError(path, mustBe(field.shape, value));
        return undefined;
      }
      report.warn(path, field.note ?? NOT_IMPLEMENTED);
      return undefined;
    case 'server':
      if (field.warn) report.warn(path, 'set by the API server, ignored');
      return undefined;
    case 'scalar':
      if (isScalarOfType(value, field.type)) return asQuantityText(value, field.type);
      report.typeError(path, mustBe(field.type, value));
      return undefined;
    case 'map':
      return checkMap(value, field.values, path, report, field.isSecret === true);
    case 'array': {
      if (!Array.isArray(value)) {
        report.typeError(path, mustBe('array', value));
        return undefined;
      }
      return value.map((item, i) => {
        const itemPath = `${path}[${i}]`;
        if (item === null || item === undefined) {
          report.typeError(itemPath, `must not be null`);
          return placeholder(field.items);
        }
        const cleaned = checkField(item, field.items, itemPath, report);
        return cleaned === undefined ? placeholder(field.items) : cleaned;
      });
    }
    case 'object':
      if (!isPlainObject(value)) {
        report.typeError(path, mustBe('object', value));
        return undefined;
      }
      return checkObject(value, field.fields, path, report);
  }
}

export function checkObject(
  value: Record<string, unknown>,
  schema: Schema,
  path: string,
  report: Reporter,
): Record<string, unknown> {
  const cleaned: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const childPath = joinPath(path, name);
    const field = Object.hasOwn(schema, name) ? schema[name] : undefined;
    if (field === undefined) {
      report.error(childPath, 'unknown field');
      continue;
    }
    const result = checkField(child, field, childPath, report);
    if (result !== undefined) cleaned[name] = result;
  }
  return cleaned;
}

function checkMap(value: unknown, type: ScalarType, path: string, report: Reporter, isSecret: boolean): unknown {
  if (!isPlainObject(value)) {
    report.typeError(path, mustBe('map', value));
    return undefined;
  }
  const cleaned: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (isScalarOfType(item, type)) {
      // defined, not assigned: a key "__proto__" stays a key, for the name rules to judge
      Object.defineProperty(cleaned, key, { value: asQuantityText(item, type), enumerable: true, writable: true, configurable: true });
    } else {
      // a Secret's value stays out of the message (it may reach a CI log): its type and the quoting hint say enough
      report.typeError(`${path}[${key}]`, isSecret ? `must be ${TYPE_NAMES[type]} (got ${secretValueKind(item)}; a Secret's values are not shown)${type === 'string' ? quoteHint(item) : ''}` : mustBe(type, item));
    }
  }
  return cleaned;
}
