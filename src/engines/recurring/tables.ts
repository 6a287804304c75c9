import type { ColumnType, Generated } from 'kysely';
import type { Bool, NullableJson, NullableTimestamp, Timestamp } from '../../store/schema.js';

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
}

export interface RecurringTables {
  recurring_campaigns: RecurringCampaignsTable;
}
