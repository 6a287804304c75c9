export type { BatchApi, BatchEngineOptions, CreateTimezoneBatchesOptions } from './engine.js';
export type { BatchEventBase, BatchEvents } from './events.js';
export type { BatchRecipientsSource, CreateBatchesRequest } from './create.js';
export type { BatchPhaseSummary } from './phase.js';
export type {
  BatchCounts,
  BatchMessage,
  BatchRecipientRecord,
  BatchRecord,
  BatchStatus,
  BatchTarget,
  BatchTimezone,
  CancelCampaignResult,
  CreateBatchesResult,
  FallbackRecipient,
  FallbackReport,
  Page as BatchPage,
  PastTargetPolicy,
  PastTargetReport,
} from './types.js';
export {
  batchEngineOptionsSchema,
  batchMessageSchema,
  batchRecipientSchema,
  batchTargetSchema,
  cancelBatchSchema,
  createBatchesInputSchema,
  listBatchRecipientsSchema,
  listBatchesSchema,
  pastTargetPolicySchema,
  type BatchMessageInput,
  type BatchRecipientInput,
  type BatchTargetInput,
  type CancelBatchInput,
  type CreateBatchesInput,
  type ListBatchRecipientsInput,
  type ListBatchesInput,
} from './schemas.js';
export type {
  BatchRecipientsTable,
  BatchRequestsTable,
  BatchTables,
  ScheduledBatchesTable,
} from './tables.js';
