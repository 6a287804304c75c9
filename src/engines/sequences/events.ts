/** Fields every enrollment event carries. */
export interface EnrollmentEventBase {
  sequenceId: number;
  enrollmentId: number;
  /** The normalised (trimmed, lower-case) address. */
  email: string;
}

/** A step of an enrollment, as events name it. */
export interface StepRef {
  stepId: number;
  stepOrder: number;
}

/**
 * Events the sequences engine publishes (merged into TickworkEvents). Each is emitted after
 * the transaction that made it true has committed. A type alias, as mitt needs an index signature.
 */
export type SequenceEvents = {
  /** A new enrollment (not emitted for an address already enrolled). `nextSendAt` is null while the sequence is disabled. */
  'sequence:enrolled': EnrollmentEventBase & { nextSendAt: Date | null };
  /** A step was put into the outbox; the delivery phase hands it to the transport from `dueAt` on. */
  'sequence:step-queued': EnrollmentEventBase & StepRef & { idempotencyKey: string; dueAt: Date };
  /** The transport accepted a step; `nextSendAt` is the next step's time (null when none or not active). */
  'sequence:step-sent': EnrollmentEventBase & StepRef & { sentAt: Date; nextSendAt: Date | null };
  /** A step was passed over without being sent: its delivery died under `onStepFailure: 'skip'`, or `advanceStep` was called. */
  'sequence:step-skipped': EnrollmentEventBase & StepRef & { reason: string };
  /** The last step was sent (or skipped), or `completeEnrollment` was called (`manual`). */
  'sequence:completed': EnrollmentEventBase & { completedAt: Date; manual: boolean };
  'sequence:paused': EnrollmentEventBase & { pausedAt: Date };
  /** `nextSendAt` is null while the sequence is disabled. */
  'sequence:resumed': EnrollmentEventBase & { nextSendAt: Date | null };
  'sequence:cancelled': EnrollmentEventBase & { reason: string };
  /** A step's delivery died under `onStepFailure: 'stop'` (or its time could not be computed). */
  'sequence:failed': EnrollmentEventBase & Partial<StepRef> & { error: string };
};
