export type { RecipientSources, RecurringApi, RecurringEngineOptions } from './engine.js';
export type { RecurringEvents, RecurringRunEvent } from './events.js';
export {
  fetchRecipients,
  type FetchedRecipients,
  type FetchRecipientsOptions,
  type RecipientInput,
  type RecipientSource,
  type RecipientSourceContext,
} from './recipients.js';
export type { MissedRunPolicy, UrlSourceOptionsInput as UrlSourceOptions } from './options.js';
export type { RecurringTickSummary } from './phase.js';
export {
  createRecurringCampaignSchema,
  updateRecurringCampaignSchema,
  listRecurringCampaignsSchema,
  listRecurringRunsSchema,
  previewSpecSchema as recurringPreviewSpecSchema,
  previewCountSchema as recurringPreviewCountSchema,
  disableOptionsSchema as disableRecurringCampaignSchema,
  staticRecipientDataSchema,
  idSchema as recurringIdSchema,
  type CreateRecurringCampaignInput,
  type UpdateRecurringCampaignInput,
  type ListRecurringCampaignsInput,
  type ListRecurringRunsInput,
  type PreviewSpecInput as RecurringPreviewSpecInput,
  type DisableRecurringCampaignInput,
  type StaticRecipientData,
  type UrlRecipientData,
} from './schemas.js';
export type {
  InvalidRecipientSample,
  Page as RecurringPage,
  RecurringCampaign,
  RecurringDisabledReason,
  RecurringRun,
  RecurringRunKind,
  RecurringRunStatus,
  RecurringRunWithDeliveries,
} from './types.js';
export type { RecurringCampaignsTable, RecurringRunsTable, RecurringTables } from './tables.js';
