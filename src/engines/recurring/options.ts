import { z } from 'zod';
import { parseInput } from '../../validation.js';

export const MISSED_RUN_POLICIES = ['latest', 'skip', 'all'] as const;
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

const originSchema = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `'${value}' is not an absolute URL such as 'https://lists.example.org'`,
    });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({
      code: 'custom',
      message: `only http and https origins can be allowed, got '${url.protocol}'`,
    });
    return z.NEVER;
  }
  // The allowlist compares origins, so a path here would suggest a restriction that does not exist.
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an origin (scheme://host[:port]) without path, query or credentials`,
    });
    return z.NEVER;
  }
  return url.origin;
});

export const urlSourceOptionsSchema = z.strictObject({
  /** Origins (`https://host[:port]`) the built-in `url` source may fetch from. Empty: the source is off. */
  allowedOrigins: z.array(originSchema).max(1000).default([]),
  /** The whole request, body included, must finish within this. */
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(10 * 60_000)
    .default(10_000),
  /** Largest response body accepted, in bytes. */
  maxBytes: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024 * 1024)
    .default(5 * 1024 * 1024),
});

const sourceRetrySchema = z
  .strictObject({
    /** Resolution attempts of one run before it fails for good (the first counts). */
    maxAttempts: z.number().int().min(1).max(100).default(5),
    /** Delay after the first failure; doubles after each further one. */
    baseDelayMs: z.number().int().min(0).default(60_000),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(60 * 60_000),
  })
  .refine((o) => o.maxDelayMs >= o.baseDelayMs, {
    message: 'must be at least baseDelayMs',
    path: ['maxDelayMs'],
  });

export const recurringOptionsSchema = z
  .strictObject({
    /** Most runs one tick resolves and enqueues; also the most campaigns whose due occurrences one tick claims. */
    maxRunsPerTick: z.number().int().min(1).max(10_000).default(25),
    /** A source returning more entries than this fails the run (a sanity cap, not a page size). */
    maxRecipientsPerRun: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Most occurrences one claim runs; older due occurrences beyond it are recorded as skipped. */
    catchUpLimit: z.number().int().min(1).max(1000).default(10),
    /** An occurrence picked up later than this after its instant counts as missed (and its run as a catch-up). */
    missedAfterMs: z
      .number()
      .int()
      .min(0)
      .default(5 * 60_000),
    /** The policy of campaigns created without one. */
    defaultMissedRunPolicy: z.enum(MISSED_RUN_POLICIES).default('latest'),
    /** Bounds one call of a host-registered source (the `url` source has url.timeoutMs). */
    sourceTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(60 * 60_000)
      .default(60_000),
    /** A run being resolved by a process that died is taken over by another tick after this. */
    leaseMs: z
      .number()
      .int()
      .min(1000)
      .default(5 * 60_000),
    sourceRetry: sourceRetrySchema.prefault({}),
    url: urlSourceOptionsSchema.prefault({}),
  })
  .refine((o) => o.leaseMs > Math.max(o.url.timeoutMs, o.sourceTimeoutMs), {
    message:
      'must be longer than url.timeoutMs and sourceTimeoutMs, or a slow source could be resolved twice',
    path: ['leaseMs'],
  });

export type RecurringOptions = z.output<typeof recurringOptionsSchema>;
/** `options.recurring` of `createScheduler`. */
export type RecurringEngineOptions = z.input<typeof recurringOptionsSchema>;
export type UrlSourceOptions = z.output<typeof urlSourceOptionsSchema>;
export type UrlSourceOptionsInput = z.input<typeof urlSourceOptionsSchema>;

export function parseRecurringOptions(input: RecurringEngineOptions | undefined): RecurringOptions {
  return parseInput(recurringOptionsSchema, input ?? {}, 'options.recurring');
}

export function parseUrlSourceOptions(
  input: UrlSourceOptionsInput | undefined,
  prefix: string,
): UrlSourceOptions {
  return parseInput(urlSourceOptionsSchema, input ?? {}, prefix);
}

/** Delay before resolution attempt `attempt + 1` after attempt `attempt` failed; no jitter, so hosts can predict it. */
export function sourceRetryDelayMs(attempt: number, retry: RecurringOptions['sourceRetry']): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(attempt - 1, 52));
}
