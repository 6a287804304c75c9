import type { ColumnType, Generated } from 'kysely';
import type { Json, NullableJson, NullableTimestamp, Timestamp } from '../../store/schema.js';

type Counter = ColumnType<number, number | undefined, number>;

/** The mailer's `scheduled_batches` table (one row per send instant), plus the columns tickwork adds. */
export interface ScheduledBatchesTable {
  id: Generated<number>;
  campaign_id: number | null;
  scheduled_for: Timestamp;
  /** JSON array of the batch's emails up to 1000 recipients, else `{ count, storedIn }` (see README). */
  recipient_emails: Json;
  /** 'pending' | 'processing' | 'done' | 'cancelled' | 'skipped' */
  status: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  /** The createTimezoneBatches call that made the row (null for rows written by other code). */
  request_id: number | null;
  target_time: string | null;
  target_date: string | null;
  /** JSON array of BatchTimezone: every zone whose recipients fall due at this instant. */
  timezones: NullableJson;
  /** JSON BatchMessage: subject, templateId, cc, bcc. */
  message: NullableJson;
  recipient_count: Counter;
  fallback_count: Counter;
  enqueued_count: Counter;
  /** Position of the last recipient put in the outbox: enqueueing resumes after it. */
  cursor_position: Counter;
  lease_token: string | null;
  lease_expires_at: NullableTimestamp;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  /** Why the batch was cancelled or skipped. */
  status_reason: string | null;
  updated_at: NullableTimestamp;
}

/** One createTimezoneBatches call: the key that makes it idempotent, and what it reported. */
export interface BatchRequestsTable {
  id: Generated<number>;
  campaign_id: number;
  target_time: string;
  target_date: string | null;
  /** `HH:mm|YYYY-MM-DD` or `HH:mm|next`; unique per campaign; null once released (see README). */
  target_key: string | null;
  /** sha256 of the normalised request, to tell a replay from a different request for the same key. */
  request_hash: string;
  past_target_policy: string;
  fallback_timezone: string;
  message: Json;
  /** JSON: received, duplicatesRemoved, scheduled/skipped counts, fallback and past-target reports. */
  report: Json;
  created_at: Timestamp;
  released_at: NullableTimestamp;
}

/** The recipients of each batch, in input order; `position` is the enqueue cursor's unit. */
export interface BatchRecipientsTable {
  batch_id: number;
  request_id: number;
  position: number;
  /** Lowercased: the dedupe key (unique per request) and part of the idempotency key. */
  email: string;
  /** The recipient object as given (original email casing), with `timezone` set to the zone used. */
  data: Json;
}

export interface BatchTables {
  scheduled_batches: ScheduledBatchesTable;
  tickwork_batch_requests: BatchRequestsTable;
  tickwork_batch_recipients: BatchRecipientsTable;
}
