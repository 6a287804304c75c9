/*
 * Reading values back from either dialect. Writes are uniform (see ./schema.ts); reads
 * differ per driver (pg returns Date/boolean/object, better-sqlite3 returns
 * string/number/string), so every row mapper goes through these.
 */

export function readDate(value: Date | string): Date;
export function readDate(value: Date | string | null): Date | null;
export function readDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  // SQLite's CURRENT_TIMESTAMP (the seed schema's column defaults, so the mailer's own rows)
  // is UTC without a zone; JavaScript would read that form as the host's local time.
  if (SQL_UTC_TIMESTAMP.test(value)) return new Date(`${value.replace(' ', 'T')}Z`);
  return new Date(value);
}

const SQL_UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

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
