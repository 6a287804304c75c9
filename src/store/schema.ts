import type { ColumnType, Generated } from 'kysely';
import type { BatchTables } from '../engines/batches/tables.js';
import type { RecurringTables } from '../engines/recurring/tables.js';
import type { SequenceTables } from '../engines/sequences/tables.js';

/*
 * Row types of every table tickwork owns. Column names are the mailer's (snake_case).
 *
 * Values are written the same way on every dialect (ISO-8601 strings for instants,
 * 1/0 for booleans, JSON text for JSON) because Postgres casts those literals to
 * timestamptz/boolean/jsonb itself; they are read back in whichever form the driver
 * returns (Date or string, boolean or number, object or string) and normalised by
 * `./codec.ts`. That keeps dialect branches out of the engines.
 */

/** An instant: ISO string on SQLite (lexically ordered), timestamptz on Postgres. */
export type Timestamp = ColumnType<Date | string, string, string>;
export type NullableTimestamp = ColumnType<Date | string | null, string | null | undefined, string | null>;
/** 0/1 on SQLite, boolean on Postgres. */
export type Bool = ColumnType<boolean | number, number | undefined, number>;
/** TEXT on SQLite, jsonb on Postgres; always written as JSON text. */
export type Json = ColumnType<unknown, string, string>;
export type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'retrying' | 'dead' | 'cancelled';

/** The durable outbox: one row per message, keyed by its idempotency key. */
export interface OutboxTable {
  id: Generated<number>;
  idempotency_key: string;
  /** Which engine produced the row: 'recurring' | 'sequence' | 'batch' | host-defined. */
  source_type: string;
  /** The engine's own id for the row's origin (run id, enrollment id, batch id). */
  source_id: number | null;
  recipient_email: string;
  message: Json;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  /** When the row may next be claimed: its due time, retry time, or (while sending) lease expiry. */
  next_attempt_at: Timestamp;
  lease_expires_at: NullableTimestamp;
  /** A token unique to the claim that holds the lease, so a late finisher cannot overwrite a newer claim. */
  lease_token: string | null;
  last_error: string | null;
  sent_at: NullableTimestamp;
  result: NullableJson;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CoreTables {
  tickwork_outbox: OutboxTable;
}

/** Every table tickwork owns: the core's and each engine's. */
export type TickworkDatabase = CoreTables & RecurringTables & SequenceTables & BatchTables;
