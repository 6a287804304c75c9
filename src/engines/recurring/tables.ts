import type { ColumnType, Generated } from 'kysely';
import type { Bool, NullableJson, NullableTimestamp, Timestamp } from '../../store/schema.js';

/** Postgres returns bigint columns as strings; SQLite as numbers. */
type NullableBigIntColumn = ColumnType<number | string | null, number | null | undefined, number | null>;

/** The mailer's `recurring_campaigns` table, plus the columns tickwork adds. */
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
  // Added by 0002-recurring. Nullable or defaulted, so rows the host's own mailer wrote before
  // tickwork took over the table stay readable.
  updated_at: NullableTimestamp;
  start_at: NullableTimestamp;
  end_at: NullableTimestamp;
  max_runs: number | null;
  /** Scheduled and catch-up runs made so far (manual runs do not count). */
  run_count: ColumnType<number, number | undefined, number>;
  /** 'latest' | 'skip' | 'all'; null: the engine's default. */
  missed_run_policy: string | null;
  max_lateness_ms: NullableBigIntColumn;
  /** Why the engine disabled the campaign ('maxRuns' | 'endAt' | 'exhausted'); null when the host did or it is enabled. */
  disabled_reason: string | null;
}

export type RecurringRunKind = 'scheduled' | 'catch-up' | 'manual';
export type RecurringRunStatus =
  'pending' | 'resolving' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** One occurrence of a campaign (or one manual run): what happened to it. */
export interface RecurringRunsTable {
  id: Generated<number>;
  campaign_id: number;
  /** The occurrence's ISO instant, or `manual:<uuid>`; unique per campaign, so an occurrence is claimed once. */
  occurrence_key: string;
  kind: RecurringRunKind;
  status: RecurringRunStatus;
  /** The occurrence's instant (a manual run: when it was requested). */
  scheduled_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  /** When the run may next be claimed: now (pending), its retry time, or (resolving) its lease expiry. */
  next_attempt_at: NullableTimestamp;
  lease_token: string | null;
  error: string | null;
  recipient_count: ColumnType<number, number | undefined, number>;
  invalid_count: ColumnType<number, number | undefined, number>;
  duplicate_count: ColumnType<number, number | undefined, number>;
  /** The first few invalid entries and why (JSON array of { index, reason }). */
  invalid_samples: NullableJson;
  /** The tick instant of the first resolution attempt. */
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface RecurringTables {
  recurring_campaigns: RecurringCampaignsTable;
  tickwork_recurring_runs: RecurringRunsTable;
}
