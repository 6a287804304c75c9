import type { ColumnType, Generated } from 'kysely';
import type { Bool, NullableJson, NullableTimestamp, Timestamp } from '../../store/schema.js';

/** The mailer's sequence tables, plus the columns tickwork adds (see ./migration.ts). */
export interface SequencesTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  enabled: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Default IANA zone for enrollments whose data carries none. */
  timezone: ColumnType<string, string | undefined, string>;
  /** What a dead step delivery does to its enrollment: 'stop' (fail it) or 'skip' (go on). */
  on_step_failure: ColumnType<string, string | undefined, string>;
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
  updated_at: NullableTimestamp;
}

export interface SequenceEnrollmentsTable {
  id: Generated<number>;
  sequence_id: number;
  recipient_email: string;
  recipient_data: NullableJson;
  /** step_order of the last step sent (0 = none); kept in step with renumbering. */
  current_step: ColumnType<number, number | undefined, number>;
  status: ColumnType<string, string | undefined, string>;
  enrolled_at: Timestamp;
  /** When the tick phase next looks at the enrollment; null while nothing is for it to do. */
  next_send_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  /** The recipient's own zone (from its data); null means the sequence's. */
  timezone: string | null;
  /** The stable anchor of progress: id of the step `current_step` refers to. */
  last_step_id: number | null;
  /** When the enrollment last moved past a step (its send, or the skip): the base of the next delay. */
  last_step_at: NullableTimestamp;
  /** The step whose outbox row is queued or in flight, awaiting its outcome. */
  pending_step_id: number | null;
  /** 1 when `next_send_at` must be recomputed by the next tick (after a bulk edit or release). */
  reschedule: ColumnType<number, number | undefined, number>;
  /** Why the enrollment is in its status: the failure or the cancel reason. */
  status_reason: string | null;
  paused_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  updated_at: NullableTimestamp;
}

export interface SequenceTables {
  sequences: SequencesTable;
  sequence_steps: SequenceStepsTable;
  sequence_enrollments: SequenceEnrollmentsTable;
}
