import { ConflictError, NotFoundError } from '../../errors.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { readDate, readJson } from '../../store/codec.js';
import { parseInput } from '../../validation.js';
import { toBatchRecord } from './mapper.js';
import * as repo from './repository.js';
import {
  cancelBatchSchema,
  idSchema,
  listBatchRecipientsSchema,
  listBatchesSchema,
  type CancelBatchInput,
  type IdInput,
  type ListBatchRecipientsInput,
  type ListBatchesInput,
} from './schemas.js';
import type { BatchRecipientRecord, BatchRecord, BatchStatus, CancelCampaignResult, Page } from './types.js';

const DEFAULT_REASON = 'cancelled by host';
const MAX_ROUNDS = 5;

export async function getBatch(ctx: EngineContext, id: IdInput): Promise<BatchRecord> {
  const batchId = parseInput(idSchema, id, 'id');
  const row = await repo.getBatch(ctx.db, batchId);
  if (!row) throw new NotFoundError('batch', batchId);
  const counts = await ctx.outbox.countByStatusPerSource(ctx.db, repo.SOURCE_TYPE, [batchId]);
  return toBatchRecord(row, counts.get(batchId) ?? repo.emptyStatusCounts());
}

export async function listBatches(
  ctx: EngineContext,
  input: ListBatchesInput = {},
): Promise<Page<BatchRecord>> {
  const { limit, offset, ...filter } = parseInput(listBatchesSchema, input);
  const [rows, total] = await Promise.all([
    repo.listBatches(ctx.db, { ...filter, limit, offset }),
    repo.countBatches(ctx.db, filter),
  ]);
  const counts = await ctx.outbox.countByStatusPerSource(
    ctx.db,
    repo.SOURCE_TYPE,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((row) => toBatchRecord(row, counts.get(row.id) ?? repo.emptyStatusCounts())),
    total,
    limit,
    offset,
  };
}

export async function listBatchRecipients(
  ctx: EngineContext,
  id: IdInput,
  input: ListBatchRecipientsInput = {},
): Promise<Page<BatchRecipientRecord>> {
  const batchId = parseInput(idSchema, id, 'id');
  const page = parseInput(listBatchRecipientsSchema, input);
  const batch = await repo.getBatch(ctx.db, batchId);
  if (!batch) throw new NotFoundError('batch', batchId);
  const rows = await repo.listRecipients(ctx.db, batchId, page);
  return {
    items: rows.map((row) => {
      const recipient = readJson<Record<string, unknown>>(row.data);
      return {
        position: row.position,
        email: typeof recipient.email === 'string' ? recipient.email : row.email,
        recipient,
        deliveryStatus: row.status,
      };
    }),
    total: batch.recipient_count,
    limit: page.limit,
    offset: page.offset,
  };
}

interface Cancelled {
  row: repo.BatchRow;
  previousStatus: BatchStatus;
  deliveriesCancelled: number;
}

/**
 * Cancels one batch. Pending: it will never send. Processing: enqueueing stops and its
 * unsent outbox rows are cancelled. Done: its unsent rows are cancelled (a ConflictError when
 * every message was already settled). Cancelling a cancelled batch returns it unchanged;
 * a skipped batch never sends, so cancelling it is a ConflictError.
 */
export async function cancelBatch(
  ctx: EngineContext,
  id: IdInput,
  input: CancelBatchInput = {},
): Promise<BatchRecord> {
  const batchId = parseInput(idSchema, id, 'id');
  const reason = parseInput(cancelBatchSchema, input).reason ?? DEFAULT_REASON;
  const now = ctx.clock();
  const cancelled = await ctx.adapter.writeTransaction(ctx.db, async (trx) => {
    // A status read here can be overtaken (a ticker claims or completes the batch): the
    // compare-and-set below then fails and the loop looks again.
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await repo.getBatch(trx, batchId);
      if (!row) throw new NotFoundError('batch', batchId);
      const status = row.status as BatchStatus;
      if (status === 'cancelled') return undefined;
      if (status === 'skipped') {
        throw new ConflictError(`batch ${batchId} was skipped (its target time had passed); it never sends`);
      }
      const result = await cancelOne(ctx, trx, row, status, now, reason);
      if (result === 'retry') continue;
      if (result === 'nothing-left') {
        throw new ConflictError(`batch ${batchId} is done: every message was already sent or settled`);
      }
      return result;
    }
    throw new ConflictError(`batch ${batchId} kept changing while being cancelled; retry`);
  });
  if (cancelled) emitCancelled(ctx, cancelled, reason);
  return getBatch(ctx, batchId);
}

/** Cancels every batch of a campaign that can still send (see cancelBatch). */
export async function cancelCampaignBatches(
  ctx: EngineContext,
  campaignId: IdInput,
  input: CancelBatchInput = {},
): Promise<CancelCampaignResult> {
  const id = parseInput(idSchema, campaignId, 'campaignId');
  const reason = parseInput(cancelBatchSchema, input).reason ?? DEFAULT_REASON;
  const now = ctx.clock();
  const cancelled = await ctx.adapter.writeTransaction(ctx.db, async (trx) => {
    const done: Cancelled[] = [];
    for (const candidate of await repo.cancellableBatchesOfCampaign(trx, id)) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const row = await repo.getBatch(trx, candidate.id);
        if (!row) break;
        const status = row.status as BatchStatus;
        if (status !== 'pending' && status !== 'processing' && status !== 'done') break;
        const result = await cancelOne(ctx, trx, row, status, now, reason);
        if (result === 'retry') continue;
        if (result !== 'nothing-left') done.push(result);
        break;
      }
    }
    return done;
  });
  for (const entry of cancelled) emitCancelled(ctx, entry, reason);
  return {
    campaignId: id,
    cancelledBatchIds: cancelled.map((c) => c.row.id),
    deliveriesCancelled: cancelled.reduce((sum, c) => sum + c.deliveriesCancelled, 0),
  };
}

async function cancelOne(
  ctx: EngineContext,
  trx: EngineContext['db'],
  row: repo.BatchRow,
  status: BatchStatus,
  now: Date,
  reason: string,
): Promise<Cancelled | 'retry' | 'nothing-left'> {
  const cancelOutbox = () => ctx.outbox.cancelBySource(trx, repo.SOURCE_TYPE, [row.id], now, reason);
  if (status === 'done') {
    // No ticker touches a done batch; only its unsent outbox rows can still be stopped.
    const deliveriesCancelled = await cancelOutbox();
    if (deliveriesCancelled === 0) return 'nothing-left';
    const updated = await repo.markCancelled(trx, row.id, 'done', { now, reason });
    return updated ? { row: updated, previousStatus: status, deliveriesCancelled } : 'retry';
  }
  // The compare-and-set comes first: on Postgres it waits for a chunk being enqueued to
  // commit, so the outbox cancel below also covers that chunk.
  const updated = await repo.markCancelled(trx, row.id, status, { now, reason });
  if (!updated) return 'retry';
  const deliveriesCancelled = status === 'processing' ? await cancelOutbox() : 0;
  return { row: updated, previousStatus: status, deliveriesCancelled };
}

function emitCancelled(ctx: EngineContext, entry: Cancelled, reason: string): void {
  ctx.events.emit('batch:cancelled', {
    batchId: entry.row.id,
    campaignId: entry.row.campaign_id,
    requestId: entry.row.request_id,
    scheduledFor: readDate(entry.row.scheduled_for),
    previousStatus: entry.previousStatus,
    reason,
    enqueuedCount: entry.row.enqueued_count,
    deliveriesCancelled: entry.deliveriesCancelled,
  });
}
