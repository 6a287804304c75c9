export type { SequenceApi, SequenceEngineOptions } from './engine.js';
export type { EnrollmentEventBase, SequenceEvents, StepRef as SequenceStepRef } from './events.js';
export type { BulkEnrollResult, EnrollmentApi, EnrollResult } from './enrollments-api.js';
export type { Page as SequencePage, SequenceCrudApi } from './sequences-api.js';
export type { SequencePhaseSummary } from './phase.js';
export type {
  EnrollmentCounts,
  Sequence,
  SequenceEnrollment,
  SequenceStep,
  SequenceView,
} from './records.js';
export {
  bulkRecipientSchema as sequenceBulkRecipientSchema,
  ENROLLMENT_ACTIONS,
  ENROLLMENT_STATUSES,
  enrollmentActionSchema,
  enrollRecipientSchema,
  enrollRecipientsSchema,
  idSchema as sequenceIdSchema,
  listEnrollmentsSchema,
  listSequencesSchema,
  MAX_STEPS_PER_SEQUENCE,
  reorderStepsSchema,
  sequenceCreateSchema,
  sequenceUpdateSchema,
  STEP_FAILURE_POLICIES,
  stepInputSchema as sequenceStepInputSchema,
  stepUpdateSchema as sequenceStepUpdateSchema,
  type BulkRecipientInput as SequenceBulkRecipientInput,
  type EnrollmentActionInput,
  type EnrollmentStatus,
  type EnrollRecipientInput,
  type ListEnrollmentsQuery,
  type ListSequencesQuery,
  type RecipientData as EnrollmentRecipientData,
  type SequenceCreateInput,
  type SequenceUpdateInput,
  type StepFailurePolicy,
  type StepInput as SequenceStepInput,
  type StepUpdateInput as SequenceStepUpdateInput,
} from './schemas.js';
export type {
  SequenceEnrollmentsTable,
  SequencesTable,
  SequenceStepsTable,
  SequenceTables,
} from './tables.js';
