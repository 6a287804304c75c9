import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../store/schema.js';

/** The mailer's `scheduled_batches` table, plus the columns tickwork adds. */
export interface ScheduledBatchesTable {
  id: Generated<number>;
  campaign_id: number | null;
  scheduled_for: Timestamp;
  recipient_emails: Json;
  status: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
}

export interface BatchTables {
  scheduled_batches: ScheduledBatchesTable;
}
