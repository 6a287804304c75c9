import { z } from 'zod';
import { idSchema, jsonProblem, MAX_ID, timezoneProblem, timezoneSchema } from '../../schemas.js';

export { idSchema, timezoneProblem, timezoneSchema };
import { ValidationError } from '../../errors.js';
import { parseInput } from '../../validation.js';

/*
 * Input schemas of the sequences API, exported so an HTTP layer can validate request bodies
 * and query strings with the same rules. Every schema takes plain JSON; numbers that may come
 * from a query string (limit, offset) are coerced.
 */

export const MAX_STEPS_PER_SEQUENCE = 100;
/** An enrollment's data is stored inline in its row, like a campaign's static recipient list. */
export const MAX_RECIPIENT_DATA_BYTES = 1024 * 1024;
export const ENROLLMENT_STATUSES = ['active', 'paused', 'completed', 'cancelled', 'failed'] as const;
export const STEP_FAILURE_POLICIES = ['stop', 'skip'] as const;

/** Parses an id or throws a ValidationError naming `path`. */
export function parseId(value: unknown, path = 'id'): number {
  const parsed = idSchema.safeParse(value);
  if (!parsed.success)
    throw ValidationError.field(path, `must be a positive integer, got ${describe(value)}`);
  return parsed.data;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

export const sendTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day 'HH:mm' (24-hour, e.g. 09:00)");

/** Trimmed and lower-cased before it is checked, so enrollment is idempotent per address regardless of case. */
export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('must be a valid email address'));

const stepFields = {
  templateId: z.number().int().min(1).max(MAX_ID).nullable(),
  subject: z.string().trim().min(1, 'must not be empty').max(998),
  /** Calendar days in the recipient's zone after the previous step (enrollment for the first). */
  delayDays: z.number().int().min(0).max(36_500),
  /** Elapsed hours added after the days. */
  delayHours: z.number().int().min(0).max(876_000),
  /** Local time of day the step waits for; null for "as soon as the delay has passed". */
  sendTime: sendTimeSchema.nullable(),
};

/** A step to add. `stepOrder` is the 1-based position to insert at; omitted, the step is appended. */
export const stepInputSchema = z.strictObject({
  stepOrder: z.number().int().min(1).max(MAX_STEPS_PER_SEQUENCE).optional(),
  templateId: stepFields.templateId.default(null),
  subject: stepFields.subject,
  delayDays: stepFields.delayDays.default(0),
  delayHours: stepFields.delayHours.default(0),
  sendTime: stepFields.sendTime.default(null),
});

/** A partial step update. A new `stepOrder` moves the step to that position. */
export const stepUpdateSchema = z.strictObject({
  stepOrder: z.number().int().min(1).max(MAX_STEPS_PER_SEQUENCE).optional(),
  templateId: stepFields.templateId.optional(),
  subject: stepFields.subject.optional(),
  delayDays: stepFields.delayDays.optional(),
  delayHours: stepFields.delayHours.optional(),
  sendTime: stepFields.sendTime.optional(),
});

const sequenceFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  description: z.string().max(5000).nullable(),
  enabled: z.boolean(),
  /** Default zone of enrollments whose data has no `timezone`. */
  timezone: timezoneSchema,
  /** What a dead step delivery does: 'stop' fails the enrollment, 'skip' goes on with the next step. */
  onStepFailure: z.enum(STEP_FAILURE_POLICIES),
};

export const sequenceCreateSchema = z
  .strictObject({
    name: sequenceFields.name,
    description: sequenceFields.description.default(null),
    enabled: sequenceFields.enabled.default(true),
    timezone: sequenceFields.timezone.default('UTC'),
    onStepFailure: sequenceFields.onStepFailure.default('stop'),
    /** Initial steps, in order; a `stepOrder` given must equal the step's position. */
    steps: z.array(stepInputSchema).max(MAX_STEPS_PER_SEQUENCE).default([]),
  })
  .superRefine((input, ctx) => {
    input.steps.forEach((step, index) => {
      if (step.stepOrder !== undefined && step.stepOrder !== index + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'stepOrder'],
          message: `must be ${index + 1} (its position in steps) or omitted`,
        });
      }
    });
  });

export const sequenceUpdateSchema = z.strictObject({
  name: sequenceFields.name.optional(),
  description: sequenceFields.description.optional(),
  enabled: sequenceFields.enabled.optional(),
  timezone: sequenceFields.timezone.optional(),
  onStepFailure: sequenceFields.onStepFailure.optional(),
});

/** The full new order of a sequence's steps: every step id exactly once. */
export const reorderStepsSchema = z
  .array(idSchema)
  .min(1, 'must list every step of the sequence')
  .max(MAX_STEPS_PER_SEQUENCE);

/** The recipient's own fields; `timezone`, when present, must be an IANA zone. */
export const recipientDataSchema = z.record(z.string(), z.unknown()).superRefine((data, ctx) => {
  const problem = jsonProblem(data, MAX_RECIPIENT_DATA_BYTES);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  if (data.timezone === undefined || data.timezone === null) return;
  const zoneProblem = timezoneProblem(data.timezone);
  if (zoneProblem) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zoneProblem });
});

export const enrollRecipientSchema = z.strictObject({
  email: emailSchema,
  data: recipientDataSchema.nullable().optional(),
});

/**
 * One recipient of a bulk enrollment: `{ email, data? }`. A flat recipient such as
 * `{ email, name, timezone }` is accepted too; its other fields become its data.
 */
export const bulkRecipientSchema = z
  .looseObject({
    email: emailSchema,
    data: recipientDataSchema.nullable().optional(),
  })
  .transform(({ email, data, ...rest }) => ({ email, data: { ...rest, ...(data ?? {}) } }))
  .pipe(z.object({ email: z.string(), data: recipientDataSchema }));

export const enrollRecipientsSchema = z.strictObject({
  recipients: z.array(z.unknown()),
});

const limitSchema = z.coerce.number().int().min(1).max(500).default(50);
const offsetSchema = z.coerce.number().int().min(0).default(0);
const booleanQuerySchema = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const listSequencesSchema = z.strictObject({
  limit: limitSchema,
  offset: offsetSchema,
  enabled: booleanQuerySchema.optional(),
});

export const listEnrollmentsSchema = z.strictObject({
  limit: limitSchema,
  offset: offsetSchema,
  status: z.enum(ENROLLMENT_STATUSES).optional(),
  /** Exact address (normalised before matching). */
  email: z.string().trim().min(1).optional(),
});

export const ENROLLMENT_ACTIONS = ['pause', 'resume', 'cancel', 'complete', 'advance'] as const;

/** Body of `PUT /sequences/:id/enrollments/:enrollmentId`. */
/** Stored as the enrollment's `statusReason` for `cancel`. */
export const cancelReasonSchema = z
  .string({ error: 'must be a non-empty string of at most 1000 characters' })
  .trim()
  .min(1, 'must be a non-empty string of at most 1000 characters')
  .max(1000, 'must be a non-empty string of at most 1000 characters');

export const enrollmentActionSchema = z.strictObject({
  action: z.enum(ENROLLMENT_ACTIONS),
  reason: cancelReasonSchema.optional(),
});

export const sequenceEngineOptionsSchema = z.strictObject({
  /** Most enrollments one tick's sequence phase claims. */
  maxEnrollmentsPerTick: z.number().int().min(1).max(1_000_000).default(1000),
  /** Most recipients one `enrollRecipients` call accepts. */
  maxBulkEnrollment: z.number().int().min(1).max(1_000_000).default(10_000),
});

export type StepInput = z.input<typeof stepInputSchema>;
export type StepUpdateInput = z.input<typeof stepUpdateSchema>;
export type SequenceCreateInput = z.input<typeof sequenceCreateSchema>;
export type SequenceUpdateInput = z.input<typeof sequenceUpdateSchema>;
export type RecipientData = z.input<typeof recipientDataSchema>;
export type EnrollRecipientInput = z.input<typeof enrollRecipientSchema>;
export type BulkRecipientInput = { email: string; data?: RecipientData | null; [field: string]: unknown };
export type ListSequencesQuery = z.input<typeof listSequencesSchema>;
export type ListEnrollmentsQuery = z.input<typeof listEnrollmentsSchema>;
export type EnrollmentActionInput = z.input<typeof enrollmentActionSchema>;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];
export type StepFailurePolicy = (typeof STEP_FAILURE_POLICIES)[number];
export type SequenceEngineOptionsInput = z.input<typeof sequenceEngineOptionsSchema>;
export type SequenceEngineSettings = z.output<typeof sequenceEngineOptionsSchema>;

export function parseSequenceEngineOptions(input: unknown): SequenceEngineSettings {
  return parseInput(sequenceEngineOptionsSchema, input ?? {}, 'options.sequences');
}

/** Lower-cased and trimmed: enrollment is idempotent per (sequence, address) regardless of case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
