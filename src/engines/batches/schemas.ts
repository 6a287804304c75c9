import { z } from 'zod';
import { idSchema, MAX_ID, timezoneSchema } from '../../schemas.js';

export { idSchema, timezoneSchema };

/*
 * Input schemas of the batches engine, shared with the HTTP layer (request bodies and query
 * strings). Each accepts plain JSON; numbers may also arrive as digit strings (path and query
 * parameters), and come out as numbers.
 */

const digitsToNumber = (value: unknown) =>
  typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;

const emailSchema = z.email({ error: 'must be a valid email address' }).max(320);

export const timeOfDaySchema = z
  .string({ error: "must be a local time 'HH:mm'" })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a local time 'HH:mm' (24-hour, e.g. 09:00)");

export const localDateSchema = z
  .string({ error: "must be a local date 'YYYY-MM-DD'" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a local date 'YYYY-MM-DD'")
  .refine(isRealDate, 'is not a real calendar date (years 1900 to 9998)');

export const pastTargetPolicySchema = z.enum(['next-day', 'send-now', 'skip'], {
  error: "must be 'next-day', 'send-now' or 'skip'",
});

/** A target local time: 'HH:mm', or `{ time: 'HH:mm', date?: 'YYYY-MM-DD' }`. */
export const batchTargetSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { time: value } : value),
  z.strictObject(
    {
      time: timeOfDaySchema,
      date: localDateSchema.nullish().transform((value) => value ?? null),
    },
    { error: "must be 'HH:mm' or { time: 'HH:mm', date?: 'YYYY-MM-DD' }" },
  ),
);

/** What each message carries besides its recipient. Without a subject the host renders from `origin.campaignId`. */
export const batchMessageSchema = z.strictObject({
  subject: z.string().max(998).default(''),
  templateId: z.number().int().min(1).max(MAX_ID).nullable().default(null),
  cc: z.array(emailSchema).max(100).default([]),
  bcc: z.array(emailSchema).max(100).default([]),
});

/**
 * One recipient: an email plus any fields of the host's own. A missing or unknown `timezone`
 * is not an error: the recipient gets the fallback zone and is reported.
 */
export const batchRecipientSchema = z.looseObject({
  email: emailSchema,
  timezone: z.unknown().optional(),
});

/** Everything of a create request except the recipients (which may be streamed). */
export const createBatchesHeadSchema = z.strictObject({
  campaignId: idSchema,
  target: batchTargetSchema,
  message: batchMessageSchema.optional(),
  pastTargetPolicy: pastTargetPolicySchema.optional(),
  fallbackTimezone: timezoneSchema.optional(),
});

/** The create request as one JSON object (the body of `POST /batches`). */
export const createBatchesInputSchema = createBatchesHeadSchema.extend({
  recipients: z.array(batchRecipientSchema).min(1, 'must list at least one recipient'),
});

const pageFields = {
  limit: z.preprocess(digitsToNumber, z.number().int().min(1).max(500)).default(50),
  offset: z.preprocess(digitsToNumber, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).default(0),
};

export const batchStatusSchema = z.enum(['pending', 'processing', 'done', 'cancelled', 'skipped']);

export const listBatchesSchema = z.strictObject({
  ...pageFields,
  campaignId: idSchema.optional(),
  requestId: idSchema.optional(),
  status: batchStatusSchema.optional(),
});

export const listBatchRecipientsSchema = z.strictObject(pageFields);

export const cancelBatchSchema = z.strictObject({
  reason: z.string().min(1).max(500).optional(),
});

/** `options.batches` of createScheduler. */
export const batchEngineOptionsSchema = z.strictObject({
  /** Zone for recipients without a valid timezone. */
  fallbackTimezone: timezoneSchema.default('UTC'),
  pastTargetPolicy: pastTargetPolicySchema.default('next-day'),
  /** Most recipients one tick puts in the outbox, across all batches. */
  maxRecipientsPerTick: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Recipients per enqueue transaction (and per INSERT). */
  chunkSize: z.number().int().min(1).max(1000).default(1000),
  /** How long a ticker holds a batch it is enqueueing before another may resume it. */
  leaseMs: z.number().int().min(1000).max(86_400_000).default(300_000),
});

export type IdInput = z.input<typeof idSchema>;
export type BatchTargetInput = z.input<typeof batchTargetSchema>;
export type BatchMessageInput = z.input<typeof batchMessageSchema>;
export type BatchRecipientInput = z.input<typeof batchRecipientSchema>;
export type CreateBatchesInput = z.input<typeof createBatchesInputSchema>;
export type ListBatchesInput = z.input<typeof listBatchesSchema>;
export type ListBatchRecipientsInput = z.input<typeof listBatchRecipientsSchema>;
export type CancelBatchInput = z.input<typeof cancelBatchSchema>;
export type BatchEngineOptions = z.input<typeof batchEngineOptionsSchema>;
export type ParsedBatchEngineOptions = z.output<typeof batchEngineOptionsSchema>;

function isRealDate(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  if (year < 1900 || year > 9998) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
