import { z } from 'zod';
import { idSchema, instantSchema, jsonValueSchema, MAX_ID, timezoneSchema } from '../../schemas.js';
import { assertValidCron, MAX_PREVIEW_RUNS } from '../../time/index.js';

export { idSchema, timezoneSchema };
import { MISSED_RUN_POLICIES } from './options.js';

/*
 * Input schemas of the recurring API, exported so the HTTP layer validates request bodies
 * with exactly the rules the API applies. Everything accepts plain JSON: instants as a Date
 * or an ISO-8601 string with an offset, ids and page numbers as numbers or digit strings.
 */

const MAX_INT4 = MAX_ID;
/** recipientData is stored inline in the campaign row; anything larger belongs behind a `url` or host source. */
export const MAX_RECIPIENT_DATA_BYTES = 1024 * 1024;
export const MAX_COPY_ADDRESSES = 50;
const TEN_YEARS_MS = 10 * 366 * 24 * 60 * 60_000;

function integerLike(min: number, max: number) {
  return z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^-?\d+$/)
          .transform(Number),
      ],
      { error: 'must be an integer' },
    )
    .pipe(z.number().int('must be an integer').min(min).max(max));
}

export const cronSchema = z
  .string({ error: "must be a cron expression such as '0 9 * * 1'" })
  .trim()
  .min(1, "must be a cron expression such as '0 9 * * 1'")
  .superRefine((value, ctx) => {
    try {
      assertValidCron(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const recipientDataValueSchema = jsonValueSchema(
  MAX_RECIPIENT_DATA_BYTES,
  '; use a url or host source for large lists',
);

const addressesSchema = z.array(z.email('must be an email address')).max(MAX_COPY_ADDRESSES);

const campaignFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  /** The host's template id (tickwork stores it and hands it to the transport). */
  templateId: z.number().int().min(1).max(MAX_INT4).nullable(),
  subject: z.string().trim().min(1, 'must not be empty').max(998),
  /** 'static', 'url', or a name the host registered in `recipientSources`. */
  recipientSource: z.string().min(1, 'must not be empty').max(100),
  recipientData: recipientDataValueSchema,
  scheduleCron: cronSchema,
  timezone: timezoneSchema,
  cc: addressesSchema,
  bcc: addressesSchema,
  enabled: z.boolean(),
  /** No occurrence before this instant. */
  startAt: instantSchema.nullable(),
  /** No occurrence after this instant; the campaign disables itself once it is past. */
  endAt: instantSchema.nullable(),
  /** Scheduled (and catch-up) runs after which the campaign disables itself. */
  maxRuns: z.number().int().min(1).max(MAX_INT4).nullable(),
  missedRunPolicy: z.enum(MISSED_RUN_POLICIES),
  /** Occurrences picked up later than this are recorded as skipped instead of run. */
  maxLatenessMs: z.number().int().min(0).max(TEN_YEARS_MS).nullable(),
};

function endAfterStart(value: { startAt?: Date | null; endAt?: Date | null }, ctx: z.RefinementCtx): void {
  if (value.startAt && value.endAt && value.endAt.getTime() <= value.startAt.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'must be after startAt' });
  }
}

export const createRecurringCampaignSchema = z
  .strictObject({
    name: campaignFields.name,
    templateId: campaignFields.templateId.default(null),
    subject: campaignFields.subject,
    recipientSource: campaignFields.recipientSource,
    recipientData: campaignFields.recipientData.optional(),
    scheduleCron: campaignFields.scheduleCron,
    timezone: campaignFields.timezone.default('UTC'),
    cc: campaignFields.cc.default([]),
    bcc: campaignFields.bcc.default([]),
    enabled: campaignFields.enabled.default(true),
    startAt: campaignFields.startAt.default(null),
    endAt: campaignFields.endAt.default(null),
    maxRuns: campaignFields.maxRuns.default(null),
    missedRunPolicy: campaignFields.missedRunPolicy.optional(),
    maxLatenessMs: campaignFields.maxLatenessMs.default(null),
  })
  .superRefine(endAfterStart);

/** A partial update: absent fields keep their value, `null` clears a nullable one. */
export const updateRecurringCampaignSchema = z
  .strictObject({
    name: campaignFields.name.optional(),
    templateId: campaignFields.templateId.optional(),
    subject: campaignFields.subject.optional(),
    recipientSource: campaignFields.recipientSource.optional(),
    recipientData: campaignFields.recipientData.optional(),
    scheduleCron: campaignFields.scheduleCron.optional(),
    timezone: campaignFields.timezone.optional(),
    cc: campaignFields.cc.optional(),
    bcc: campaignFields.bcc.optional(),
    enabled: campaignFields.enabled.optional(),
    startAt: campaignFields.startAt.optional(),
    endAt: campaignFields.endAt.optional(),
    maxRuns: campaignFields.maxRuns.optional(),
    missedRunPolicy: campaignFields.missedRunPolicy.optional(),
    maxLatenessMs: campaignFields.maxLatenessMs.optional(),
  })
  .superRefine(endAfterStart);

const enabledFilter = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'must be true or false',
});

export const listRecurringCampaignsSchema = z.strictObject({
  limit: integerLike(1, 500).default(50),
  offset: integerLike(0, Number.MAX_SAFE_INTEGER).default(0),
  enabled: enabledFilter.optional(),
});

export const RUN_STATUSES = [
  'pending',
  'resolving',
  'retrying',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const;

export const listRecurringRunsSchema = z.strictObject({
  limit: integerLike(1, 500).default(50),
  offset: integerLike(0, Number.MAX_SAFE_INTEGER).default(0),
  status: z.enum(RUN_STATUSES).optional(),
});

/** A schedule to preview without a campaign. */
export const previewSpecSchema = z.strictObject({
  cron: cronSchema,
  timezone: timezoneSchema.default('UTC'),
  /** Runs strictly after this instant; default: now. */
  from: instantSchema.optional(),
});

export const previewCountSchema = integerLike(1, MAX_PREVIEW_RUNS).default(10);

export const disableOptionsSchema = z.strictObject({
  /**
   * Also cancel what the campaign has not sent yet: runs waiting to be resolved and queued
   * messages (default true). With false, work already started finishes.
   */
  cancelPending: z.boolean().default(true),
});

/** Data of the built-in `static` source: addresses, or objects with an `email` and any fields. */
export const staticRecipientDataSchema = z.array(z.unknown()).superRefine((entries, ctx) => {
  entries.forEach((entry, index) => {
    if (typeof entry === 'string') {
      if (!z.email().safeParse(entry.trim()).success) {
        ctx.addIssue({ code: 'custom', path: [index], message: `'${entry}' is not an email address` });
      }
      return;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: 'must be an email address or an object with an email',
      });
      return;
    }
    const { email } = entry as { email?: unknown };
    if (typeof email !== 'string' || !z.email().safeParse(email.trim()).success) {
      ctx.addIssue({ code: 'custom', path: [index, 'email'], message: 'must be an email address' });
    }
  });
});

export type CreateRecurringCampaignInput = z.input<typeof createRecurringCampaignSchema>;
export type UpdateRecurringCampaignInput = z.input<typeof updateRecurringCampaignSchema>;
export type ListRecurringCampaignsInput = z.input<typeof listRecurringCampaignsSchema>;
export type ListRecurringRunsInput = z.input<typeof listRecurringRunsSchema>;
export type PreviewSpecInput = z.input<typeof previewSpecSchema>;
export type DisableRecurringCampaignInput = z.input<typeof disableOptionsSchema>;
export type StaticRecipientData = z.input<typeof staticRecipientDataSchema>;
/** Data of the built-in `url` source: the URL, or `{ url, headers }` (e.g. an API key header). */
export type UrlRecipientData = string | { url: string; headers?: Record<string, string> };
