import { types } from 'node:util';
import { z } from 'zod';
import { assertValidTimezone, isValidTimezone } from './time/index.js';
import { MAX_SUPPORTED_MS, MIN_SUPPORTED_MS } from './time/validate.js';

/*
 * Input schemas every engine (and so every HTTP route) shares, so an id or a zone is
 * accepted and rejected the same way everywhere.
 */

/** Ids are Postgres `integer` columns: a larger id could only fail later, in SQL. */
export const MAX_ID = 2_147_483_647;

/** A positive integer id: a number, or a digit string as it arrives in a URL path. */
export const idSchema = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: 'must be a positive integer' })
  .pipe(
    z.number({ error: 'must be a positive integer' }).int('must be a positive integer').min(1).max(MAX_ID),
  );

/** Why a zone is not accepted (with a suggestion for a typo), or undefined when it is. */
export function timezoneProblem(zone: unknown): string | undefined {
  if (isValidTimezone(zone)) return undefined;
  try {
    assertValidTimezone(zone);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** An IANA zone name; the message of a rejection suggests the right spelling. */
export const timezoneSchema = z
  .string({ error: "must be an IANA zone name such as 'Europe/Berlin'" })
  .superRefine((zone, ctx) => {
    const problem = timezoneProblem(zone);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Why `value` cannot be stored as JSON of at most `maxBytes` bytes, or undefined when it can
 * (recipient data is stored as JSON). BigInts, cycles and nesting too deep for the serialiser
 * are caught here, rather than as a TypeError from deep inside a write.
 */
/** A `\u0000` or lone-surrogate escape in JSON text (an even run of backslashes before it is literal text). */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Why JSON text made by JSON.stringify could not be stored as it is, or undefined. */
export function unstorableJsonProblem(text: string): string | undefined {
  if (!UNSTORABLE_ESCAPE.test(text)) return undefined;
  return 'must not contain the NUL character (U+0000) or a lone surrogate, at any depth';
}

export function jsonProblem(value: unknown, maxBytes: number): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'must be JSON-serialisable';
  }
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > maxBytes) return `must be at most ${maxBytes} bytes as JSON`;
  // JSON.stringify writes exactly these two as the escapes \u0000 and \udXXX, so the scan also
  // sees what a toJSON() or a class instance produces, which no walk over the value can.
  return unstorableJsonProblem(text);
}

/** Any value `jsonProblem` accepts; `tooLargeHint` ends the message of a value that is too large. */
export function jsonValueSchema(maxBytes: number, tooLargeHint = '') {
  return z.unknown().superRefine((value, ctx) => {
    const problem = jsonProblem(value, maxBytes);
    if (!problem) return;
    const hint = problem.startsWith('must be at most') ? tooLargeHint : '';
    ctx.addIssue({ code: 'custom', message: problem + hint });
  });
}

/**
 * A Date with a time in it. Not `z.date()`: it checks `instanceof`, which an object made from
 * Date.prototype passes before throwing a TypeError on getTime().
 */
const realDateSchema = z.custom<Date>((value) => types.isDate(value) && !Number.isNaN(value.getTime()));

/** An instant: a valid Date, or an ISO-8601 date-time string that states its offset ('Z' or '+02:00'). */
export const instantSchema = z
  .union([realDateSchema, z.iso.datetime({ offset: true })], {
    error: "must be a Date or an ISO-8601 date-time with an offset, e.g. '2026-03-02T09:00:00Z'",
  })
  .transform((value) => (value instanceof Date ? new Date(value.getTime()) : new Date(value)))
  .refine((value) => value.getTime() >= MIN_SUPPORTED_MS && value.getTime() <= MAX_SUPPORTED_MS, {
    message: 'must be between 1900-01-01 and 9999-12-31',
  });
