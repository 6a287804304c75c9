import { z } from 'zod';
import { parseInput } from '../validation.js';

const deliveryOptionsSchema = z
  .object({
    /** Transport calls in flight at once; also how many rows one claim takes. */
    concurrency: z.number().int().min(1).max(10_000).default(10),
    /** Most deliveries one tick hands to the transport. */
    maxPerTick: z.number().int().min(1).default(1000),
    /** A claimed row not settled within this many ms is claimed again (its process is presumed dead). */
    leaseMs: z
      .number()
      .int()
      .min(1000)
      .default(5 * 60_000),
    /** A transport call that has not settled by then is aborted and counted as a failure. */
    sendTimeoutMs: z.number().int().min(1).default(60_000),
  })
  .refine((o) => o.leaseMs > o.sendTimeoutMs, {
    message: 'must be longer than sendTimeoutMs, or a slow send could be claimed twice',
    path: ['leaseMs'],
  });

const retryOptionsSchema = z
  .object({
    /** Attempts before a row is dead-lettered (the first send counts). */
    maxAttempts: z.number().int().min(1).max(100).default(8),
    baseDelayMs: z.number().int().min(0).default(30_000),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(6 * 60 * 60_000),
  })
  .refine((o) => o.maxDelayMs >= o.baseDelayMs, {
    message: 'must be at least baseDelayMs',
    path: ['maxDelayMs'],
  });

export type DeliveryOptions = z.output<typeof deliveryOptionsSchema>;
export type DeliveryOptionsInput = z.input<typeof deliveryOptionsSchema>;
export type RetryOptions = z.output<typeof retryOptionsSchema>;
export type RetryOptionsInput = z.input<typeof retryOptionsSchema>;

export function parseDeliveryOptions(input: DeliveryOptionsInput | undefined): DeliveryOptions {
  return parseInput(deliveryOptionsSchema, input ?? {}, 'options.delivery');
}

export function parseRetryOptions(input: RetryOptionsInput | undefined): RetryOptions {
  return parseInput(retryOptionsSchema, input ?? {}, 'options.retry');
}
