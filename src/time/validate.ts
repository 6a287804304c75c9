import { types } from 'node:util';
import { ValidationError } from '../errors.js';

/**
 * Instants the time functions accept and return. The lower bound keeps every zone on its
 * modern rules (before 1900 many zones ran on local mean time with odd second offsets); the
 * upper bound keeps every local year four digits wide in every zone, so 'YYYY-MM-DD...'
 * strings round-trip.
 */
export const MIN_SUPPORTED_MS = Date.UTC(1900, 0, 1);
export const MAX_SUPPORTED_MS = Date.UTC(9999, 11, 31);

const RANGE_TEXT = 'between 1900-01-01T00:00:00Z and 9999-12-31T00:00:00Z';

/** Epoch milliseconds of a valid Date inside the supported range; otherwise a ValidationError naming `field`. */
export function instantMs(value: unknown, field: string): number {
  // Not `instanceof`: an object made from Date.prototype passes it, then throws on getTime().
  if (!types.isDate(value)) {
    throw ValidationError.field(field, `must be a Date, got ${describe(value)}`);
  }
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw ValidationError.field(field, 'must be a valid Date, got an Invalid Date');
  if (ms < MIN_SUPPORTED_MS || ms > MAX_SUPPORTED_MS) {
    throw ValidationError.field(field, `must be ${RANGE_TEXT}, got ${value.toISOString()}`);
  }
  return ms;
}

/** A result instant, or a ValidationError blaming `field` when it falls outside the supported range. */
export function resultDate(ms: number, field: string): Date {
  if (!(ms >= MIN_SUPPORTED_MS && ms <= MAX_SUPPORTED_MS)) {
    throw ValidationError.field(field, `the result would fall outside the supported range (${RANGE_TEXT})`);
  }
  return new Date(ms);
}

export function nonNegativeInteger(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw ValidationError.field(field, `must be a non-negative integer, got ${describe(value)}`);
  }
  if (value > max) throw ValidationError.field(field, `must be at most ${max}, got ${value}`);
  return value;
}

/** Short description of an unexpected input for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (types.isDate(value)) return Number.isNaN(value.getTime()) ? 'an Invalid Date' : value.toISOString();
  if (value instanceof Date) return 'an object posing as a Date';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
