import { sql, type Kysely, type SqlBool } from 'kysely';
import type { StoreAdapter } from '../store/adapter.js';
import { readDate, readJson, writeDate, writeJson } from '../store/codec.js';
import type { DeliveryStatus, TickworkDatabase } from '../store/schema.js';
import type { OutgoingMessage } from './types.js';

/** One message to put in the outbox. */
export interface OutboxEntry {
  idempotencyKey: string;
  sourceType: string;
  sourceId: number | null;
  message: OutgoingMessage;
  /** Not handed to the transport before this instant. */
  dueAt: Date;
}

/** A row claimed under a lease, ready to hand to the transport. */
export interface ClaimedDelivery {
  id: number;
  idempotencyKey: string;
  sourceType: string;
  sourceId: number | null;
  recipientEmail: string;
  message: OutgoingMessage;
  /** This attempt's number (1 on the first try). */
  attempt: number;
}

export interface DeliveryRecord {
  id: number;
  idempotencyKey: string;
  sourceType: string;
  sourceId: number | null;
  recipientEmail: string;
  message: OutgoingMessage;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  leaseExpiresAt: Date | null;
  lastError: string | null;
  sentAt: Date | null;
  result: unknown;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a row stands, for engines deciding what to do with their own rows. */
export interface DeliveryState {
  status: DeliveryStatus;
  sentAt: Date | null;
  /** Set while a claim's lease runs: the row may be in a transport call right now. */
  leaseExpiresAt: Date | null;
}

/** True while a claim's lease runs at `now`: the row may be in a transport call. */
export function isInFlight(state: DeliveryState, now: Date): boolean {
  return state.leaseExpiresAt !== null && state.leaseExpiresAt > now;
}

/** A settled claim, for recording and for the engines' delivery hooks. */
export type DeliveryOutcome =
  | { kind: 'sent'; delivery: ClaimedDelivery; result: unknown }
  | { kind: 'retrying'; delivery: ClaimedDelivery; error: string; nextAttemptAt: Date }
  | { kind: 'dead'; delivery: ClaimedDelivery; error: string };

/** Statuses a row can still leave on its own; the claim index covers exactly these. */
export const CLAIMABLE_STATUSES = [
  'pending',
  'retrying',
  'sending',
] as const satisfies readonly DeliveryStatus[];
/** Statuses a cancellation may still stop. */
export const CANCELLABLE_STATUSES = [
  'pending',
  'retrying',
  'sending',
] as const satisfies readonly DeliveryStatus[];

/**
 * The claim predicate with its statuses inlined as literals: the claim index is partial
 * (`WHERE status IN (...)`), and neither SQLite nor a generic Postgres plan can prove a
 * predicate with bound parameters implies it, which would turn every claim into a scan.
 */
const CLAIMABLE = CLAIMABLE_STATUSES.map((status) => sql.lit(status));

// Nine bound values per row keeps a chunk far below SQLite's 32,766 and Postgres's 65,535 parameters.
const INSERT_CHUNK = 1000;
const ID_CHUNK = 5000;

/**
 * The durable outbox. Every statement takes its instants from the caller (`now`), never
 * from the database clock, and every write is keyed so that repeating it is harmless.
 */
export class Outbox {
  constructor(private readonly adapter: StoreAdapter) {}

  /**
   * Inserts entries whose key is new; an existing key is left exactly as it is (so a
   * re-run after a crash never re-sends or resets a row). Returns how many were inserted.
   */
  async enqueue(db: Kysely<TickworkDatabase>, entries: readonly OutboxEntry[], now: Date): Promise<number> {
    let inserted = 0;
    const stamp = writeDate(now);
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const rows = entries.slice(start, start + INSERT_CHUNK).map((entry) => ({
        idempotency_key: entry.idempotencyKey,
        source_type: entry.sourceType,
        source_id: entry.sourceId,
        recipient_email: entry.message.to,
        message: writeJson(entry.message),
        status: 'pending' as const,
        next_attempt_at: writeDate(entry.dueAt),
        created_at: stamp,
        updated_at: stamp,
      }));
      const result = await db
        .insertInto('tickwork_outbox')
        .values(rows)
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  /**
   * Claims up to `limit` due rows in one statement: pending and retrying rows whose time
   * has come, and sending rows whose lease expired (their process died). Each claimed row
   * gets the lease token, a lease expiry, and one more attempt.
   */
  async claim(
    db: Kysely<TickworkDatabase>,
    params: { now: Date; limit: number; leaseMs: number; leaseToken: string },
  ): Promise<ClaimedDelivery[]> {
    const now = writeDate(params.now);
    const leaseExpiry = writeDate(new Date(params.now.getTime() + params.leaseMs));
    const due = this.adapter.lockForClaim(
      db
        .selectFrom('tickwork_outbox')
        .select('id')
        .where('status', 'in', CLAIMABLE)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(params.limit),
    );
    const rows = await db
      .updateTable('tickwork_outbox')
      .set((eb) => ({
        status: 'sending',
        attempts: eb('attempts', '+', 1),
        lease_token: params.leaseToken,
        lease_expires_at: leaseExpiry,
        next_attempt_at: leaseExpiry,
        updated_at: now,
      }))
      .where(
        this.adapter.dialect === 'postgres'
          ? // The subquery runs once and the update probes the primary key. With `id IN (...)`,
            // the planner may hash-join the subquery against a scan of the whole table.
            sql<SqlBool>`${sql.ref('id')} = any(array(${due}))`
          : sql<SqlBool>`${sql.ref('id')} in (${due})`,
      )
      .returning([
        'id',
        'idempotency_key',
        'source_type',
        'source_id',
        'recipient_email',
        'message',
        'attempts',
      ])
      .execute();
    return rows.map((row) => ({
      id: row.id,
      idempotencyKey: row.idempotency_key,
      sourceType: row.source_type,
      sourceId: row.source_id,
      recipientEmail: row.recipient_email,
      message: readJson<OutgoingMessage>(row.message),
      attempt: row.attempts,
    }));
  }

  /**
   * Records the outcomes of one claim. Only rows still holding `leaseToken` are touched,
   * so a process that overran its lease cannot overwrite the claim that replaced it. A
   * success is recorded even if the row was cancelled meanwhile (the message did go out);
   * a failure of a cancelled row leaves it cancelled.
   */
  async record(
    db: Kysely<TickworkDatabase>,
    outcomes: readonly DeliveryOutcome[],
    params: { now: Date; leaseToken: string },
  ): Promise<void> {
    const now = writeDate(params.now);
    const plainSent: number[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind === 'sent' && outcome.result === undefined) {
        plainSent.push(outcome.delivery.id);
        continue;
      }
      const base = db
        .updateTable('tickwork_outbox')
        .where('id', '=', outcome.delivery.id)
        .where('lease_token', '=', params.leaseToken);
      if (outcome.kind === 'sent') {
        await base
          .set({
            status: 'sent',
            sent_at: now,
            result: writeJson(outcome.result),
            last_error: null,
            lease_expires_at: null,
            updated_at: now,
          })
          .execute();
      } else if (outcome.kind === 'retrying') {
        await base
          .where('status', '=', 'sending')
          .set({
            status: 'retrying',
            next_attempt_at: writeDate(outcome.nextAttemptAt),
            last_error: outcome.error,
            lease_expires_at: null,
            updated_at: now,
          })
          .execute();
      } else {
        await base
          .where('status', '=', 'sending')
          .set({ status: 'dead', last_error: outcome.error, lease_expires_at: null, updated_at: now })
          .execute();
      }
      if (outcome.kind !== 'sent') {
        // Cancelled while in flight: it stays cancelled, but its lease is over, so an engine
        // may requeue it at once instead of waiting for the lease to run out.
        await db
          .updateTable('tickwork_outbox')
          .set({ lease_expires_at: null, updated_at: now })
          .where('id', '=', outcome.delivery.id)
          .where('lease_token', '=', params.leaseToken)
          .where('status', '=', 'cancelled')
          .execute();
      }
    }
    for (let start = 0; start < plainSent.length; start += ID_CHUNK) {
      const ids = plainSent.slice(start, start + ID_CHUNK);
      const update = db
        .updateTable('tickwork_outbox')
        .set({ status: 'sent', sent_at: now, last_error: null, lease_expires_at: null, updated_at: now })
        .where('lease_token', '=', params.leaseToken);
      await (
        this.adapter.dialect === 'postgres'
          ? // One array parameter: a 500-element IN list costs the client more to build and the server more to parse.
            update.where(sql<SqlBool>`${sql.ref('id')} = any(${ids}::int[])`)
          : update.where('id', 'in', ids)
      ).execute();
    }
  }

  /** Cancels every row of a source that has not been sent; returns how many. */
  async cancelBySource(
    db: Kysely<TickworkDatabase>,
    sourceType: string,
    sourceIds: readonly number[],
    now: Date,
    reason: string,
  ): Promise<number> {
    let cancelled = 0;
    for (let start = 0; start < sourceIds.length; start += ID_CHUNK) {
      const result = await db
        .updateTable('tickwork_outbox')
        .set({ status: 'cancelled', last_error: reason, updated_at: writeDate(now) })
        .where('source_type', '=', sourceType)
        .where('source_id', 'in', sourceIds.slice(start, start + ID_CHUNK))
        .where('status', 'in', CANCELLABLE_STATUSES)
        .executeTakeFirst();
      cancelled += Number(result.numUpdatedRows);
    }
    return cancelled;
  }

  /** Cancels one row by key if it has not been sent; returns whether it was cancelled. */
  async cancelByKey(db: Kysely<TickworkDatabase>, key: string, now: Date, reason: string): Promise<boolean> {
    const result = await db
      .updateTable('tickwork_outbox')
      .set({ status: 'cancelled', last_error: reason, updated_at: writeDate(now) })
      .where('idempotency_key', '=', key)
      .where('status', 'in', CANCELLABLE_STATUSES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The delivery state of many rows by key (keys with no row are absent from the map). */
  async states(db: Kysely<TickworkDatabase>, keys: readonly string[]): Promise<Map<string, DeliveryState>> {
    const states = new Map<string, DeliveryState>();
    for (let start = 0; start < keys.length; start += ID_CHUNK) {
      const rows = await db
        .selectFrom('tickwork_outbox')
        .select(['idempotency_key', 'status', 'sent_at', 'lease_expires_at'])
        .where('idempotency_key', 'in', keys.slice(start, start + ID_CHUNK))
        .execute();
      for (const row of rows) {
        states.set(row.idempotency_key, {
          status: row.status,
          sentAt: readDate(row.sent_at),
          leaseExpiresAt: readDate(row.lease_expires_at),
        });
      }
    }
    return states;
  }

  /**
   * Puts a cancelled or dead row back to pending with a fresh message and attempt count, so
   * a paused, released or retried item goes out under the same idempotency key. Returns
   * false when the row is in no such state, its lease still runs (a send may be in flight),
   * or a concurrent settle holds it: the caller looks again later.
   */
  async requeue(
    db: Kysely<TickworkDatabase>,
    params: { key: string; message: OutgoingMessage; dueAt: Date; now: Date },
  ): Promise<boolean> {
    const now = writeDate(params.now);
    const target = this.adapter.lockForClaim(
      db
        .selectFrom('tickwork_outbox')
        .select('id')
        .where('idempotency_key', '=', params.key)
        .where('status', 'in', ['cancelled', 'dead'])
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)])),
    );
    const result = await db
      .updateTable('tickwork_outbox')
      .set({
        status: 'pending',
        attempts: 0,
        message: writeJson(params.message),
        recipient_email: params.message.to,
        next_attempt_at: writeDate(params.dueAt),
        lease_expires_at: null,
        lease_token: null,
        last_error: null,
        sent_at: null,
        result: null,
        updated_at: now,
      })
      .where('id', 'in', target)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Whether any row is due at `now` (used to report `moreDue` after a tick's budget ran out). */
  async hasDue(db: Kysely<TickworkDatabase>, now: Date): Promise<boolean> {
    const row = await db
      .selectFrom('tickwork_outbox')
      .select('id')
      .where('status', 'in', CLAIMABLE)
      .where('next_attempt_at', '<=', writeDate(now))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async getByKey(db: Kysely<TickworkDatabase>, key: string): Promise<DeliveryRecord | undefined> {
    const row = await db
      .selectFrom('tickwork_outbox')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(
    db: Kysely<TickworkDatabase>,
    filter: {
      status?: DeliveryStatus;
      sourceType?: string;
      sourceId?: number;
      afterId?: number;
      limit: number;
    },
  ): Promise<DeliveryRecord[]> {
    let query = db.selectFrom('tickwork_outbox').selectAll().orderBy('id').limit(filter.limit);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.sourceType) query = query.where('source_type', '=', filter.sourceType);
    if (filter.sourceId !== undefined) query = query.where('source_id', '=', filter.sourceId);
    if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
    return (await query.execute()).map(toRecord);
  }

  /**
   * Row counts per status for each of a source's ids, in one grouped query per chunk over
   * the outbox's source index. Every id is in the map, with zeros when it has no rows.
   */
  async countByStatusPerSource(
    db: Kysely<TickworkDatabase>,
    sourceType: string,
    sourceIds: readonly number[],
  ): Promise<Map<number, Record<DeliveryStatus, number>>> {
    const counts = new Map<number, Record<DeliveryStatus, number>>();
    for (const id of sourceIds) counts.set(id, emptyStatusCounts());
    for (let start = 0; start < sourceIds.length; start += ID_CHUNK) {
      const rows = await db
        .selectFrom('tickwork_outbox')
        .select((eb) => ['source_id', 'status', eb.fn.countAll<number | string>().as('count')])
        .where('source_type', '=', sourceType)
        .where('source_id', 'in', sourceIds.slice(start, start + ID_CHUNK))
        .groupBy(['source_id', 'status'])
        .execute();
      for (const row of rows) {
        const entry = row.source_id === null ? undefined : counts.get(row.source_id);
        if (entry) entry[row.status] = Number(row.count);
      }
    }
    return counts;
  }

  /** Row counts per status, optionally for one source. */
  async countByStatus(
    db: Kysely<TickworkDatabase>,
    filter: { sourceType?: string; sourceIds?: readonly number[] } = {},
  ): Promise<Record<DeliveryStatus, number>> {
    let query = db
      .selectFrom('tickwork_outbox')
      .select((eb) => ['status', eb.fn.countAll<number | string>().as('count')])
      .groupBy('status');
    if (filter.sourceType) query = query.where('source_type', '=', filter.sourceType);
    if (filter.sourceIds) query = query.where('source_id', 'in', filter.sourceIds);
    const counts = emptyStatusCounts();
    for (const row of await query.execute()) counts[row.status] = Number(row.count);
    return counts;
  }
}

/** A zero for every delivery status. */
export function emptyStatusCounts(): Record<DeliveryStatus, number> {
  return { pending: 0, sending: 0, sent: 0, retrying: 0, dead: 0, cancelled: 0 };
}

type OutboxRow = {
  id: number;
  idempotency_key: string;
  source_type: string;
  source_id: number | null;
  recipient_email: string;
  message: unknown;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | string;
  lease_expires_at: Date | string | null;
  last_error: string | null;
  sent_at: Date | string | null;
  result: unknown;
  created_at: Date | string;
  updated_at: Date | string;
};

function toRecord(row: OutboxRow): DeliveryRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    sourceType: row.source_type,
    sourceId: row.source_id,
    recipientEmail: row.recipient_email,
    message: readJson<OutgoingMessage>(row.message),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: readDate(row.next_attempt_at),
    leaseExpiresAt: readDate(row.lease_expires_at),
    lastError: row.last_error,
    sentAt: readDate(row.sent_at),
    result: row.result === null ? null : readJson(row.result),
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}
