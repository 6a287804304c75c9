import { z } from 'zod';
import type { DeliveryRecord } from '../delivery/outbox.js';
import type { OutgoingMessage } from '../delivery/types.js';
import type { DeliveryStatus } from '../store/schema.js';
import { parseInput } from '../validation.js';
import type { EngineContext } from './engine.js';

const DIRECT_SOURCE = 'direct';
const emailSchema = z.email();

const enqueueSchema = z.object({
  idempotencyKey: z.string().min(1).max(500),
  to: emailSchema,
  cc: z.array(emailSchema).max(100).default([]),
  bcc: z.array(emailSchema).max(100).default([]),
  subject: z.string().min(1).max(998),
  templateId: z.number().int().nullable().default(null),
  recipient: z.record(z.string(), z.unknown()).default({}),
  dueAt: z.date().optional(),
});

const listSchema = z.object({
  status: z.enum(['pending', 'sending', 'sent', 'retrying', 'dead', 'cancelled']).optional(),
  sourceType: z.string().min(1).optional(),
  sourceId: z.number().int().optional(),
  afterId: z.number().int().min(0).optional(),
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
    get(idempotencyKey) {
      return ctx.outbox.getByKey(ctx.db, idempotencyKey);
    },
    list(filter = {}) {
      return ctx.outbox.list(ctx.db, parseInput(listSchema, filter));
    },
    async cancel(idempotencyKey, reason = 'cancelled by host') {
      const cancelled = await ctx.outbox.cancelByKey(ctx.db, idempotencyKey, ctx.clock(), reason);
      if (cancelled) ctx.events.emit('delivery:cancelled', { idempotencyKey, reason });
      return cancelled;
    },
    counts(filter = {}) {
      return ctx.outbox.countByStatus(ctx.db, filter);
    },
  };
}
