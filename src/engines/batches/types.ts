import type { DeliveryStatus } from '../../store/schema.js';

/** pending → processing → done; or cancelled; `skipped` batches were past under the `skip` policy and never send. */
export type BatchStatus = 'pending' | 'processing' | 'done' | 'cancelled' | 'skipped';

/** What to do for a zone where the target local time has already passed when the batches are created. */
export type PastTargetPolicy = 'next-day' | 'send-now' | 'skip';

/** What every message of a batch carries besides its recipient. */
export interface BatchMessage {
  /** '' when not given: the host renders the campaign from `origin.campaignId`. */
  subject: string;
  templateId: number | null;
  cc: string[];
  bcc: string[];
}

export interface BatchTarget {
  /** Local time of day, 'HH:mm'. */
  time: string;
  /** Local date 'YYYY-MM-DD'; null means each zone's next occurrence of `time`. */
  date: string | null;
}

/** One zone whose recipients fall due at a batch's instant. */
export interface BatchTimezone {
  timezone: string;
  /** Wall-clock reading in this zone at the batch's instant, 'YYYY-MM-DDTHH:mm:ss'. */
  localDateTime: string;
  recipientCount: number;
  /** How many of them had no valid timezone and were given this zone as the fallback. */
  fallbackCount: number;
  /** What the past-target policy did for this zone; null when the target was still ahead. */
  pastTarget: PastTargetPolicy | null;
  /**
   * 'gap': the target time did not exist that day (spring forward) and moved forward by the
   * gap's length; 'overlap': it existed twice (fall back) and the first one was taken.
   */
  dst: 'gap' | 'overlap' | null;
}

/** Where each recipient of a batch stands. Live: read from the outbox on every get/list. */
export interface BatchCounts {
  recipients: number;
  /** Put in the outbox so far. */
  enqueued: number;
  /** In the outbox and not settled yet (pending, sending or retrying). */
  pending: number;
  sent: number;
  dead: number;
  /** Outbox rows cancelled, plus recipients never enqueued because the batch was cancelled. */
  cancelled: number;
  /** Recipients of a batch skipped by the past-target policy. */
  skipped: number;
}

export interface BatchRecord {
  id: number;
  campaignId: number | null;
  /** The createTimezoneBatches call that made this batch. */
  requestId: number | null;
  scheduledFor: Date;
  status: BatchStatus;
  target: BatchTarget | null;
  timezones: BatchTimezone[];
  /** The batch's emails when it has at most 1000 recipients; null for larger batches (see listRecipients). */
  recipientEmails: string[] | null;
  recipientCount: number;
  enqueuedCount: number;
  fallbackCount: number;
  message: BatchMessage;
  counts: BatchCounts;
  /** Why it was cancelled or skipped. */
  statusReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
}

export interface FallbackRecipient {
  email: string;
  /** The timezone value that was given (stringified), or null when there was none. */
  given: string | null;
  reason: 'missing' | 'invalid';
}

export interface FallbackReport {
  /** The zone used for recipients without a valid one. */
  timezone: string;
  count: number;
  /** The first 100 such recipients; `truncated` says whether there were more. */
  recipients: FallbackRecipient[];
  truncated: boolean;
}

export interface PastTargetReport {
  policy: PastTargetPolicy;
  /** Recipients whose target local time had already passed. */
  recipientCount: number;
  timezones: Array<{ timezone: string; recipientCount: number; action: PastTargetPolicy }>;
}

export interface CreateBatchesResult {
  requestId: number;
  /** True when an identical earlier request was found and its batches are returned instead. */
  replayed: boolean;
  campaignId: number;
  target: BatchTarget;
  /** Every batch the request made, by instant: pending ones and, under `skip`, skipped ones. */
  batches: BatchRecord[];
  /** Recipients in the input, duplicates included. */
  received: number;
  /** Recipients dropped because their email (case-insensitive) came earlier in the input. */
  duplicatesRemoved: number;
  /** Recipients in batches that will send. */
  scheduledCount: number;
  /** Recipients in skipped batches. */
  skippedCount: number;
  fallback: FallbackReport;
  pastTarget: PastTargetReport;
  createdAt: Date;
}

export interface BatchRecipientRecord {
  position: number;
  email: string;
  /** The recipient as given, with `timezone` set to the zone that was used. */
  recipient: Record<string, unknown>;
  /** The outbox status of this recipient's message; null while not enqueued. */
  deliveryStatus: DeliveryStatus | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface CancelCampaignResult {
  campaignId: number;
  cancelledBatchIds: number[];
  /** Outbox rows that were stopped before being sent. */
  deliveriesCancelled: number;
}
