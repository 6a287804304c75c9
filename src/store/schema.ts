import type { ColumnType, Generated } from 'kysely';

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

export interface RecurringCampaignsTable {
  id: Generated<number>;
  name: string;
  template_id: number | null;
  subject: string;
  recipient_source: string;
  recipient_data: NullableJson;
  schedule_cron: string;
  timezone: ColumnType<string, string | undefined, string>;
  cc: ColumnType<unknown, string | undefined, string>;
  bcc: ColumnType<unknown, string | undefined, string>;
  enabled: Bool;
  last_run_at: NullableTimestamp;
  next_run_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface SequencesTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  enabled: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SequenceStepsTable {
  id: Generated<number>;
  sequence_id: number;
  step_order: number;
  template_id: number | null;
  subject: string;
  delay_days: number;
  delay_hours: ColumnType<number, number | undefined, number>;
  send_time: string | null;
  created_at: Timestamp;
}

export interface SequenceEnrollmentsTable {
  id: Generated<number>;
  sequence_id: number;
  recipient_email: string;
  recipient_data: NullableJson;
  current_step: ColumnType<number, number | undefined, number>;
  status: ColumnType<string, string | undefined, string>;
  enrolled_at: Timestamp;
  next_send_at: NullableTimestamp;
  completed_at: NullableTimestamp;
}

export interface ScheduledBatchesTable {
  id: Generated<number>;
  campaign_id: number | null;
  scheduled_for: Timestamp;
  recipient_emails: Json;
  status: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
}

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

export interface TickworkDatabase {
  recurring_campaigns: RecurringCampaignsTable;
  sequences: SequencesTable;
  sequence_steps: SequenceStepsTable;
  sequence_enrollments: SequenceEnrollmentsTable;
  scheduled_batches: ScheduledBatchesTable;
  tickwork_outbox: OutboxTable;
}
