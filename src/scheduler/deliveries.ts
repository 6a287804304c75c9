import { z } from 'zod';
import type { DeliveryRecord } from '../delivery/outbox.js';
import type { OutgoingMessage } from '../delivery/types.js';
import type { DeliveryStatus } from '../store/schema.js';
import { instantSchema, jsonProblem, MAX_ID } from '../schemas.js';
import { parseInput } from '../validation.js';
import type { EngineContext } from './engine.js';

const DIRECT_SOURCE = 'direct';
const emailSchema = z.email();
/** Like a campaign's or an enrollment's recipient data: it travels inline in the outbox row. */
const MAX_RECIPIENT_DATA_BYTES = 1024 * 1024;
const keySchema = z.string({ error: 'must be a string' }).min(1).max(500);

const enqueueSchema = z.strictObject({
  idempotencyKey: keySchema,
  to: emailSchema,
  cc: z.array(emailSchema).max(100).default([]),
  bcc: z.array(emailSchema).max(100).default([]),
  subject: z.string().min(1).max(998),
  templateId: z.number().int().min(1).max(MAX_ID).nullable().default(null),
  recipient: z
    .record(z.string(), z.unknown())
    .superRefine((data, ctx) => {
      const problem = jsonProblem(data, MAX_RECIPIENT_DATA_BYTES);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default({}),
  dueAt: instantSchema.optional(),
});

const reasonSchema = z.string({ error: 'must be a string' }).min(1).max(1000).default('cancelled by host');
const countsFilterSchema = z.strictObject({ sourceType: z.string().min(1).max(100).optional() }).default({});

const listSchema = z.strictObject({
  status: z.enum(['pending', 'sending', 'sent', 'retrying', 'dead', 'cancelled']).optional(),
  sourceType: z.string().min(1).max(100).optional(),
  sourceId: z.number().int().min(1).max(MAX_ID).optional(),
  afterId: z.number().int().min(0).max(MAX_ID).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});

export type DirectDeliveryInput = z.input<typeof enqueueSchema>;
export type DeliveryListFilter = z.input<typeof listSchema>;

/** The outbox as hosts see it: one-off sends with the same guarantees, and inspection. */
export interface DeliveriesApi {
  /** Queues one message outside the engines; a key already queued is a no-op (returns false). */
  enqueue(input: DirectDeliveryInput): Promise<boolean>;
  get(idempotencyKey: string): Promise<DeliveryRecord | undefined>;
  /** Rows in id order; pass the last id as `afterId` for the next page. */
  list(filter?: DeliveryListFilter): Promise<DeliveryRecord[]>;
  /** Cancels a row that has not been sent; returns whether it was. */
  cancel(idempotencyKey: string, reason?: string): Promise<boolean>;
  counts(filter?: { sourceType?: string }): Promise<Record<DeliveryStatus, number>>;
}

export function createDeliveriesApi(ctx: EngineContext): DeliveriesApi {
  return {
    async enqueue(input) {
      const parsed = parseInput(enqueueSchema, input);
      const now = ctx.clock();
      const message: OutgoingMessage = {
        to: parsed.to,
        cc: parsed.cc,
        bcc: parsed.bcc,
        subject: parsed.subject,
        templateId: parsed.templateId,
        recipient: { ...parsed.recipient, email: parsed.to },
        origin: { type: 'direct' },
      };
      const inserted = await ctx.outbox.enqueue(
        ctx.db,
        [
          {
            idempotencyKey: parsed.idempotencyKey,
            sourceType: DIRECT_SOURCE,
            sourceId: null,
            message,
            dueAt: parsed.dueAt ?? now,
          },
        ],
        now,
      );
      return inserted === 1;
    },
    async get(idempotencyKey) {
      const key = parseInput(keySchema, idempotencyKey, 'idempotencyKey');
      return ctx.outbox.getByKey(ctx.db, key);
    },
    async list(filter = {}) {
      return ctx.outbox.list(ctx.db, parseInput(listSchema, filter));
    },
    async cancel(idempotencyKey, cancelReason) {
      const key = parseInput(keySchema, idempotencyKey, 'idempotencyKey');
      const reason = parseInput(reasonSchema, cancelReason, 'reason');
      const cancelled = await ctx.outbox.cancelByKey(ctx.db, key, ctx.clock(), reason);
      if (cancelled) ctx.events.emit('delivery:cancelled', { idempotencyKey: key, reason });
      return cancelled;
    },
    async counts(filter) {
      return ctx.outbox.countByStatus(ctx.db, parseInput(countsFilterSchema, filter));
    },
  };
}
