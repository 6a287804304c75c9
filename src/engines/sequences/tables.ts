import type { ColumnType, Generated } from 'kysely';
import type { Bool, NullableJson, NullableTimestamp, Timestamp } from '../../store/schema.js';

/** The mailer's sequence tables, plus the columns tickwork adds. */
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

export interface SequenceTables {
  sequences: SequencesTable;
  sequence_steps: SequenceStepsTable;
  sequence_enrollments: SequenceEnrollmentsTable;
}
