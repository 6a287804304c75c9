import { z } from 'zod';
import { assertValidTimezone, isValidTimezone } from './time/index.js';

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
