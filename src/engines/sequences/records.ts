import type { Selectable } from 'kysely';
import { readBool, readDate, readJson } from '../../store/codec.js';
import type { EnrollmentStatus, StepFailurePolicy } from './schemas.js';
import type { SequenceEnrollmentsTable, SequenceStepsTable, SequencesTable } from './tables.js';

/** A sequence as the API returns it. */
export interface Sequence {
  id: number;
  name: string;
  description: string | null;
  enabled: boolean;
  timezone: string;
  onStepFailure: StepFailurePolicy;
  createdAt: Date;
  updatedAt: Date;
}

export interface SequenceStep {
  id: number;
  sequenceId: number;
  /** 1-based position in the sequence. */
  stepOrder: number;
  templateId: number | null;
  subject: string;
  delayDays: number;
  delayHours: number;
  sendTime: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type EnrollmentCounts = Record<EnrollmentStatus, number> & { total: number };

/** `get` of a sequence: the sequence, its steps in order and its enrollments counted per status. */
export interface SequenceView extends Sequence {
  steps: SequenceStep[];
  enrollmentCounts: EnrollmentCounts;
}

export interface SequenceEnrollment {
  id: number;
  sequenceId: number;
  recipientEmail: string;
  recipientData: Record<string, unknown> | null;
  /** The zone its times are computed in: its data's `timezone`, else the sequence's. */
  timezone: string;
  /** stepOrder of the last step sent (or passed over); 0 before the first. */
  currentStep: number;
  /** id of that step, the anchor that survives reordering. */
  lastStepId: number | null;
  /** The step whose delivery is queued or in flight. */
  pendingStepId: number | null;
  status: EnrollmentStatus;
  /** Why it is failed or cancelled. */
  statusReason: string | null;
  enrolledAt: Date;
  /** When the next step is due; null while a step is in the outbox, or when paused, held or finished. */
  nextSendAt: Date | null;
  /** When it last moved past a step: the base of the next step's delay. */
  lastStepAt: Date | null;
  completedAt: Date | null;
  pausedAt: Date | null;
  cancelledAt: Date | null;
  failedAt: Date | null;
  updatedAt: Date | null;
}

export type SequenceRow = Selectable<SequencesTable>;
export type StepRow = Selectable<SequenceStepsTable>;
export type EnrollmentRow = Selectable<SequenceEnrollmentsTable>;

export function toSequence(row: SequenceRow): Sequence {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: readBool(row.enabled),
    timezone: row.timezone,
    onStepFailure: row.on_step_failure === 'skip' ? 'skip' : 'stop',
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function toStep(row: StepRow): SequenceStep {
  const createdAt = readDate(row.created_at);
  return {
    id: row.id,
    sequenceId: row.sequence_id,
    stepOrder: row.step_order,
    templateId: row.template_id,
    subject: row.subject,
    delayDays: row.delay_days,
    delayHours: row.delay_hours,
    sendTime: row.send_time,
    createdAt,
    updatedAt: readDate(row.updated_at) ?? createdAt,
  };
}

export function toEnrollment(row: EnrollmentRow, sequenceTimezone: string): SequenceEnrollment {
  const data = row.recipient_data === null ? null : readJson<unknown>(row.recipient_data);
  return {
    id: row.id,
    sequenceId: row.sequence_id,
    recipientEmail: row.recipient_email,
    recipientData: isRecord(data) ? data : null,
    timezone: row.timezone ?? sequenceTimezone,
    currentStep: row.current_step,
    lastStepId: row.last_step_id,
    pendingStepId: row.pending_step_id,
    status: toStatus(row.status),
    statusReason: row.status_reason,
    enrolledAt: readDate(row.enrolled_at),
    nextSendAt: readDate(row.next_send_at),
    lastStepAt: readDate(row.last_step_at),
    completedAt: readDate(row.completed_at),
    pausedAt: readDate(row.paused_at),
    cancelledAt: readDate(row.cancelled_at),
    failedAt: readDate(row.failed_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function toStatus(value: string): EnrollmentStatus {
  switch (value) {
    case 'paused':
    case 'completed':
    case 'cancelled':
    case 'failed':
      return value;
    default:
      return 'active';
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function emptyCounts(): EnrollmentCounts {
  return { active: 0, paused: 0, completed: 0, cancelled: 0, failed: 0, total: 0 };
}
