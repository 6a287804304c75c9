import { randomUUID } from 'node:crypto';
import type { OutboxEntry } from '../../delivery/outbox.js';
import type { OutgoingMessage, Recipient } from '../../delivery/types.js';
import type { PhaseSummary } from '../../events.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { readDate, readJson } from '../../store/codec.js';
import * as repo from './repository.js';
import type { ParsedBatchEngineOptions } from './schemas.js';
import type { BatchMessage } from './types.js';

export interface BatchPhaseSummary extends PhaseSummary {
  /** Recipients put in the outbox by this tick. */
  processed: number;
  batchesStarted: number;
  batchesCompleted: number;
}

/**
 * processScheduledBatches: claims due batches one at a time under a lease and puts their
 * recipients in the outbox a chunk per transaction, the cursor advancing in the same
 * transaction as the enqueue, until the tick's budget is spent. A batch left unfinished is
 * released for the next tick; one whose ticker died is resumed after its lease expires.
 */
export async function processScheduledBatches(
  ctx: EngineContext,
  options: ParsedBatchEngineOptions,
  now: Date,
): Promise<BatchPhaseSummary> {
  const summary: BatchPhaseSummary = { processed: 0, moreDue: false, batchesStarted: 0, batchesCompleted: 0 };
  let budget = options.maxRecipientsPerTick;
  // One read first: on most ticks no batch is due, and the two claiming UPDATEs cost more.
  if (!(await repo.hasDueBatch(ctx.db, now))) return summary;
  while (budget > 0) {
    const leaseToken = randomUUID();
    const lease = { now, leaseMs: options.leaseMs, leaseToken };
    const claimed = await repo.claimDueBatch(ctx.db, ctx.adapter, lease);
    if (!claimed) return summary;
    const base = {
      batchId: claimed.id,
      campaignId: claimed.campaign_id,
      requestId: claimed.request_id,
      scheduledFor: readDate(claimed.scheduled_for),
    };
    if (claimed.started) {
      summary.batchesStarted++;
      ctx.events.emit('batch:started', { ...base, startedAt: now, recipientCount: claimed.recipient_count });
    }
    let finished = false;
    while (budget > 0 && !finished) {
      const limit = Math.min(options.chunkSize, budget);
      const step = await ctx.adapter.writeTransaction(ctx.db, async (trx) => {
        const batch = await repo.holdLease(trx, claimed.id, lease);
        if (!batch) return { lost: true as const };
        const recipients = await repo.recipientsAfter(trx, batch.id, batch.cursor_position, limit);
        const message = batch.message === null ? null : readJson<Partial<BatchMessage>>(batch.message);
        const scheduledFor = readDate(batch.scheduled_for);
        const entries: OutboxEntry[] = recipients.map((row) => {
          const recipient = readJson<Recipient>(row.data);
          const outgoing: OutgoingMessage = {
            to: recipient.email,
            cc: message?.cc ?? [],
            bcc: message?.bcc ?? [],
            subject: message?.subject ?? '',
            templateId: message?.templateId ?? null,
            recipient,
            origin: {
              type: 'batch',
              batchId: batch.id,
              campaignId: batch.campaign_id,
              scheduledFor: scheduledFor.toISOString(),
            },
          };
          return {
            idempotencyKey: repo.batchIdempotencyKey(batch.id, recipient.email),
            sourceType: repo.SOURCE_TYPE,
            sourceId: batch.id,
            message: outgoing,
            dueAt: scheduledFor,
          };
        });
        await ctx.outbox.enqueue(trx, entries, now);
        const enqueued = batch.enqueued_count + recipients.length;
        const done = recipients.length < limit || enqueued >= batch.recipient_count;
        const last = recipients[recipients.length - 1];
        await repo.advanceCursor(trx, batch.id, {
          cursor: last ? last.position : batch.cursor_position,
          enqueued,
          done,
          now,
        });
        return { lost: false as const, count: recipients.length, enqueued, done };
      });
      // Lost: cancelled, or resumed by another ticker after this one overran its lease.
      if (step.lost) break;
      budget -= step.count;
      summary.processed += step.count;
      if (step.done) {
        finished = true;
        summary.batchesCompleted++;
        ctx.events.emit('batch:completed', { ...base, completedAt: now, enqueuedCount: step.enqueued });
      }
    }
    if (!finished) await repo.releaseLease(ctx.db, claimed.id, leaseToken, now);
  }
  summary.moreDue = await repo.hasDueBatch(ctx.db, now);
  return summary;
}
