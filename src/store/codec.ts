/*
 * Reading values back from either dialect. Writes are uniform (see ./schema.ts); reads
 * differ per driver (pg returns Date/boolean/object, better-sqlite3 returns
 * string/number/string), so every row mapper goes through these.
 */

export function readDate(value: Date | string): Date;
export function readDate(value: Date | string | null): Date | null;
export function readDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

export function readBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

export function readJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function writeDate(value: Date): string {
  return value.toISOString();
}

export function writeNullableDate(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}

export function writeBool(value: boolean): number {
  return value ? 1 : 0;
}

export function writeJson(value: unknown): string {
  return JSON.stringify(value);
}
