import type { DeliveryStatus } from '../../store/schema.js';
import type { MissedRunPolicy } from './options.js';
import type { RecurringRunKind, RecurringRunStatus } from './tables.js';

/** Why the engine turned a campaign off by itself. */
export type RecurringDisabledReason = 'maxRuns' | 'endAt' | 'exhausted';

/** A recurring campaign as the API returns it (the seed's columns in camelCase, instants as Dates). */
export interface RecurringCampaign {
  id: number;
  name: string;
  templateId: number | null;
  subject: string;
  recipientSource: string;
  recipientData: unknown;
  scheduleCron: string;
  timezone: string;
  cc: string[];
  bcc: string[];
  enabled: boolean;
  startAt: Date | null;
  endAt: Date | null;
  maxRuns: number | null;
  /** Scheduled and catch-up runs made so far (manual runs do not count). */
  runCount: number;
  missedRunPolicy: MissedRunPolicy;
  maxLatenessMs: number | null;
  /** The tick instant of the last run started (scheduled, catch-up or manual). */
  lastRunAt: Date | null;
  /** The next occurrence; null while disabled. */
  nextRunAt: Date | null;
  /** Set when the engine disabled the campaign itself (maxRuns or endAt reached); null otherwise. */
  disabledReason: RecurringDisabledReason | null;
  createdAt: Date;
  updatedAt: Date;
}

export type { RecurringRunKind, RecurringRunStatus };

export interface InvalidRecipientSample {
  /** Position of the entry in what the source returned. */
  index: number;
  reason: string;
}

/** One occurrence of a campaign, or one manual run. */
export interface RecurringRun {
  id: number;
  campaignId: number;
  kind: RecurringRunKind;
  status: RecurringRunStatus;
  /** The occurrence's instant; for a manual run, when it was requested. */
  scheduledAt: Date;
  /** Resolution attempts so far. */
  attempts: number;
  /** When a pending or retrying run is next attempted; null once it is finished. */
  nextAttemptAt: Date | null;
  /** Why it failed, was skipped or cancelled; the last source error while retrying. */
  error: string | null;
  /** Distinct valid recipients enqueued. */
  recipientCount: number;
  /** Entries the source returned that were not valid recipients (skipped). */
  invalidCount: number;
  /** Entries dropped because their email (compared case-insensitively) came earlier in the list. */
  duplicateCount: number;
  invalidSamples: InvalidRecipientSample[];
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

/** A run with the state of its messages in the outbox. */
export interface RecurringRunWithDeliveries extends RecurringRun {
  deliveries: Record<DeliveryStatus, number>;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
