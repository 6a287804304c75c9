import { sql, type Kysely, type Selectable } from 'kysely';
import type { StoreAdapter } from '../../store/adapter.js';
import { readJson, writeDate, writeJson } from '../../store/codec.js';
import { emptyStatusCounts } from '../../delivery/outbox.js';
import type { DeliveryStatus, TickworkDatabase } from '../../store/schema.js';
import type { BatchRequestsTable, ScheduledBatchesTable } from './tables.js';
import type { BatchStatus } from './types.js';

/*
 * Every SQL statement of the batches engine. Instants are bound from the caller's `now`;
 * callers pass a transaction (`trx`) or the database, never both inside one transaction.
 */

type Db = Kysely<TickworkDatabase>;
export type BatchRow = Selectable<ScheduledBatchesTable>;
export type RequestRow = Selectable<BatchRequestsTable>;

export const SOURCE_TYPE = 'batch';

const INSERT_CHUNK = 1000;

export function batchIdempotencyKey(batchId: number, email: string): string {
  return `batch:${batchId}:${email.toLowerCase()}`;
}

// --- creation -------------------------------------------------------------------------

export async function insertRequest(
  trx: Db,
  values: {
    campaignId: number;
    targetTime: string;
    targetDate: string | null;
    targetKey: string;
    policy: string;
    fallbackTimezone: string;
    message: unknown;
    now: Date;
  },
): Promise<number | undefined> {
  const row = await trx
    .insertInto('tickwork_batch_requests')
    .values({
      campaign_id: values.campaignId,
      target_time: values.targetTime,
      target_date: values.targetDate,
      target_key: values.targetKey,
      request_hash: '',
      past_target_policy: values.policy,
      fallback_timezone: values.fallbackTimezone,
      message: writeJson(values.message),
      report: writeJson({}),
      created_at: writeDate(values.now),
    })
    .onConflict((oc) => oc.columns(['campaign_id', 'target_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export function findRequestByKey(
  db: Db,
  campaignId: number,
  targetKey: string,
): Promise<RequestRow | undefined> {
  return db
    .selectFrom('tickwork_batch_requests')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .where('target_key', '=', targetKey)
    .executeTakeFirst();
}

export function getRequest(db: Db, id: number): Promise<RequestRow | undefined> {
  return db.selectFrom('tickwork_batch_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** True when no batch of the request ever put a message in the outbox or still could. */
export async function isRequestReleasable(trx: Db, requestId: number): Promise<boolean> {
  const row = await trx
    .selectFrom('scheduled_batches')
    .select('id')
    .where('request_id', '=', requestId)
    .where((eb) =>
      eb.not(
        eb.or([
          eb('status', '=', 'skipped'),
          eb.and([eb('status', '=', 'cancelled'), eb('enqueued_count', '=', 0)]),
        ]),
      ),
    )
    .limit(1)
    .executeTakeFirst();
  return row === undefined;
}

/** Frees a request's key so a new request may take it; false when another creator got there first. */
export async function releaseRequest(trx: Db, requestId: number, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable('tickwork_batch_requests')
    .set({ target_key: null, released_at: writeDate(now) })
    .where('id', '=', requestId)
    .where('target_key', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function finishRequest(
  trx: Db,
  requestId: number,
  hash: string,
  report: unknown,
): Promise<void> {
  await trx
    .updateTable('tickwork_batch_requests')
    .set({ request_hash: hash, report: writeJson(report) })
    .where('id', '=', requestId)
    .execute();
}

export async function insertBatch(
  trx: Db,
  values: {
    campaignId: number;
    requestId: number;
    scheduledFor: Date;
    status: 'pending' | 'skipped';
    statusReason: string | null;
    targetTime: string;
    targetDate: string | null;
    message: unknown;
    now: Date;
  },
): Promise<number> {
  const stamp = writeDate(values.now);
  const row = await trx
    .insertInto('scheduled_batches')
    .values({
      campaign_id: values.campaignId,
      scheduled_for: writeDate(values.scheduledFor),
      recipient_emails: writeJson([]),
      status: values.status,
      created_at: stamp,
      updated_at: stamp,
      request_id: values.requestId,
      target_time: values.targetTime,
      target_date: values.targetDate,
      timezones: writeJson([]),
      message: writeJson(values.message),
      status_reason: values.statusReason,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface RecipientInsert {
  batchId: number;
  requestId: number;
  position: number;
  email: string;
  data: string;
}

/**
 * Inserts recipients whose email is new to the request; a repeat is dropped by the unique
 * (request, email) index, so the first occurrence wins. Returns the inserted rows' keys.
 */
export async function insertRecipients(trx: Db, rows: readonly RecipientInsert[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const result = await trx
      .insertInto('tickwork_batch_recipients')
      .values(
        rows.slice(start, start + INSERT_CHUNK).map((row) => ({
          batch_id: row.batchId,
          request_id: row.requestId,
          position: row.position,
          email: row.email,
          data: row.data,
        })),
      )
      .onConflict((oc) => oc.columns(['request_id', 'email']).doNothing())
      .returning(['batch_id', 'position'])
      .execute();
    for (const row of result) inserted.add(`${row.batch_id}:${row.position}`);
  }
  return inserted;
}

export async function finalizeBatch(
  trx: Db,
  batchId: number,
  values: { recipientCount: number; fallbackCount: number; timezones: unknown; recipientEmails: unknown },
): Promise<void> {
  await trx
    .updateTable('scheduled_batches')
    .set({
      recipient_count: values.recipientCount,
      fallback_count: values.fallbackCount,
      timezones: writeJson(values.timezones),
      recipient_emails: writeJson(values.recipientEmails),
    })
    .where('id', '=', batchId)
    .execute();
}

export async function deleteBatches(trx: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.deleteFrom('scheduled_batches').where('id', 'in', ids).execute();
}

// --- reading --------------------------------------------------------------------------

export function getBatch(db: Db, id: number): Promise<BatchRow | undefined> {
  return db.selectFrom('scheduled_batches').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface BatchFilter {
  campaignId?: number;
  requestId?: number;
  status?: BatchStatus;
}

function filtered(db: Db, filter: BatchFilter) {
  let query = db.selectFrom('scheduled_batches');
  if (filter.campaignId !== undefined) query = query.where('campaign_id', '=', filter.campaignId);
  if (filter.requestId !== undefined) query = query.where('request_id', '=', filter.requestId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query;
}

export function listBatches(
  db: Db,
  filter: BatchFilter & { limit?: number; offset?: number },
): Promise<BatchRow[]> {
  let query = filtered(db, filter).selectAll().orderBy('scheduled_for').orderBy('id');
  if (filter.limit !== undefined) query = query.limit(filter.limit).offset(filter.offset ?? 0);
  return query.execute();
}

export async function countBatches(db: Db, filter: BatchFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export type StatusCounts = Record<DeliveryStatus, number>;

export { emptyStatusCounts };

export async function listRecipients(
  db: Db,
  batchId: number,
  page: { limit: number; offset: number },
): Promise<Array<{ position: number; email: string; data: unknown; status: DeliveryStatus | null }>> {
  const rows = await db
    .selectFrom('tickwork_batch_recipients as r')
    .leftJoin('tickwork_outbox as o', (join) =>
      join.on(
        'o.idempotency_key',
        '=',
        sql<string>`${sql.lit('batch:')} || cast(${sql.ref('r.batch_id')} as text) || ${sql.lit(':')} || ${sql.ref('r.email')}`,
      ),
    )
    .select(['r.position', 'r.email', 'r.data', 'o.status'])
    .where('r.batch_id', '=', batchId)
    .orderBy('r.position')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map((row) => ({
    position: row.position,
    email: row.email,
    data: row.data,
    status: row.status,
  }));
}

// --- processing -----------------------------------------------------------------------

const CLAIM_RETURNING = ['id', 'campaign_id', 'request_id', 'scheduled_for', 'recipient_count'] as const;

/** The first processing batch whose ticker's lease ran out (it died, or stopped at its budget). */
function firstResumable(db: Db, now: string) {
  return db
    .selectFrom('scheduled_batches')
    .select('id')
    .where('status', '=', 'processing')
    .where('lease_expires_at', '<=', now)
    .orderBy('lease_expires_at')
    .limit(1);
}

/** The earliest pending batch that is due. */
function firstPending(db: Db, now: string) {
  return db
    .selectFrom('scheduled_batches')
    .select('id')
    .where('status', '=', 'pending')
    .where('scheduled_for', '<=', now)
    .orderBy('scheduled_for')
    .orderBy('id')
    .limit(1);
}

/**
 * Claims one due batch for this ticker: first a resumable one, then the earliest pending one,
 * each in a single statement. Returns it with `started` true when it just left `pending`.
 */
export async function claimDueBatch(
  db: Db,
  adapter: StoreAdapter,
  params: { now: Date; leaseMs: number; leaseToken: string },
) {
  const now = writeDate(params.now);
  const lease = { lease_token: params.leaseToken, lease_expires_at: leaseExpiry(params), updated_at: now };
  const resumed = await db
    .updateTable('scheduled_batches')
    .set(lease)
    .where('id', 'in', adapter.lockForClaim(firstResumable(db, now)))
    .returning(CLAIM_RETURNING)
    .executeTakeFirst();
  if (resumed) return { ...resumed, started: false };

  const started = await db
    .updateTable('scheduled_batches')
    .set({ ...lease, status: 'processing', started_at: now })
    .where('id', 'in', adapter.lockForClaim(firstPending(db, now)))
    .returning(CLAIM_RETURNING)
    .executeTakeFirst();
  return started ? { ...started, started: true } : undefined;
}

function leaseExpiry(params: { now: Date; leaseMs: number }): string {
  return writeDate(new Date(params.now.getTime() + params.leaseMs));
}

/**
 * Renews the lease and reads the cursor, in the transaction that enqueues the next chunk.
 * Undefined when the lease was lost (another ticker resumed the batch) or the batch was
 * cancelled meanwhile. On Postgres this UPDATE also locks the row, so a cancel waits for the
 * chunk to commit (and then cancels what it enqueued) or the chunk sees the cancel.
 */
export async function holdLease(
  trx: Db,
  batchId: number,
  params: { now: Date; leaseMs: number; leaseToken: string },
) {
  return trx
    .updateTable('scheduled_batches')
    .set({ lease_expires_at: leaseExpiry(params), updated_at: writeDate(params.now) })
    .where('id', '=', batchId)
    .where('lease_token', '=', params.leaseToken)
    .where('status', '=', 'processing')
    .returning([
      'id',
      'campaign_id',
      'scheduled_for',
      'message',
      'recipient_count',
      'enqueued_count',
      'cursor_position',
    ])
    .executeTakeFirst();
}

export function recipientsAfter(trx: Db, batchId: number, cursor: number, limit: number) {
  return trx
    .selectFrom('tickwork_batch_recipients')
    .select(['position', 'data'])
    .where('batch_id', '=', batchId)
    .where('position', '>', cursor)
    .orderBy('position')
    .limit(limit)
    .execute();
}

export async function advanceCursor(
  trx: Db,
  batchId: number,
  values: { cursor: number; enqueued: number; done: boolean; now: Date },
): Promise<void> {
  const now = writeDate(values.now);
  await trx
    .updateTable('scheduled_batches')
    .set({
      cursor_position: values.cursor,
      enqueued_count: values.enqueued,
      updated_at: now,
      ...(values.done
        ? { status: 'done', completed_at: now, lease_token: null, lease_expires_at: null }
        : {}),
    })
    .where('id', '=', batchId)
    .execute();
}

/** Lets any ticker (this one included) continue the batch at its next tick. */
export async function releaseLease(db: Db, batchId: number, leaseToken: string, now: Date): Promise<void> {
  await db
    .updateTable('scheduled_batches')
    .set({ lease_token: null, lease_expires_at: writeDate(now), updated_at: writeDate(now) })
    .where('id', '=', batchId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'processing')
    .execute();
}

/** Whether a batch is due or resumable at `now` (reported as `moreDue` when a budget ran out). */
export async function hasDueBatch(db: Db, now: Date): Promise<boolean> {
  const stamp = writeDate(now);
  // One round trip, each probe the claim's own query. Scalar subqueries, not EXISTS: Postgres
  // drops ORDER BY/LIMIT inside EXISTS and, misled by the correlation of status and
  // scheduled_for, may then scan every batch when none is due.
  const row = await db
    .selectNoFrom([firstPending(db, stamp).as('pending'), firstResumable(db, stamp).as('resumable')])
    .executeTakeFirstOrThrow();
  return row.pending !== null || row.resumable !== null;
}

// --- cancelling -----------------------------------------------------------------------

/** Compare-and-set on the status, so a concurrent claim or completion is never overwritten. */
export async function markCancelled(
  trx: Db,
  batchId: number,
  from: BatchStatus,
  values: { now: Date; reason: string },
): Promise<BatchRow | undefined> {
  const now = writeDate(values.now);
  return trx
    .updateTable('scheduled_batches')
    .set({
      status: 'cancelled',
      cancelled_at: now,
      status_reason: values.reason,
      lease_token: null,
      lease_expires_at: null,
      updated_at: now,
    })
    .where('id', '=', batchId)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}

export function cancellableBatchesOfCampaign(trx: Db, campaignId: number) {
  return trx
    .selectFrom('scheduled_batches')
    .select(['id', 'status'])
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', ['pending', 'processing', 'done'])
    .orderBy('id')
    .execute();
}

export function readJsonArray<T>(value: unknown): T[] {
  if (value === null || value === undefined) return [];
  const parsed = readJson<unknown>(value);
  return Array.isArray(parsed) ? (parsed as T[]) : [];
}
