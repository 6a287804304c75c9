import { readDate, readJson } from '../../store/codec.js';
import type { BatchRow, RequestRow, StatusCounts } from './repository.js';
import { readJsonArray } from './repository.js';
import type {
  BatchCounts,
  BatchMessage,
  BatchRecord,
  BatchStatus,
  BatchTimezone,
  CreateBatchesResult,
} from './types.js';

/** Maps a `scheduled_batches` row and its outbox counts to the public record. */
export function toBatchRecord(row: BatchRow, deliveries: StatusCounts): BatchRecord {
  const status = row.status as BatchStatus;
  const createdAt = readDate(row.created_at);
  const emails = row.recipient_emails === null ? null : readJson<unknown>(row.recipient_emails);
  const message = row.message === null ? null : readJson<Partial<BatchMessage>>(row.message);
  return {
    id: row.id,
    campaignId: row.campaign_id,
    requestId: row.request_id,
    scheduledFor: readDate(row.scheduled_for),
    status,
    target: row.target_time === null ? null : { time: row.target_time, date: row.target_date },
    timezones: readJsonArray<BatchTimezone>(row.timezones),
    recipientEmails: Array.isArray(emails) ? (emails as string[]) : null,
    recipientCount: row.recipient_count,
    enqueuedCount: row.enqueued_count,
    fallbackCount: row.fallback_count,
    message: {
      subject: message?.subject ?? '',
      templateId: message?.templateId ?? null,
      cc: message?.cc ?? [],
      bcc: message?.bcc ?? [],
    },
    counts: batchCounts(status, row.recipient_count, row.enqueued_count, deliveries),
    statusReason: row.status_reason,
    createdAt,
    updatedAt: readDate(row.updated_at) ?? createdAt,
    startedAt: readDate(row.started_at),
    completedAt: readDate(row.completed_at),
    cancelledAt: readDate(row.cancelled_at),
  };
}

function batchCounts(
  status: BatchStatus,
  recipients: number,
  enqueued: number,
  deliveries: StatusCounts,
): BatchCounts {
  return {
    recipients,
    enqueued,
    pending: deliveries.pending + deliveries.sending + deliveries.retrying,
    sent: deliveries.sent,
    dead: deliveries.dead,
    cancelled: deliveries.cancelled + (status === 'cancelled' ? recipients - enqueued : 0),
    skipped: status === 'skipped' ? recipients : 0,
  };
}

/** What a request reported at creation, stored so a replay answers exactly the same. */
export type StoredReport = Pick<
  CreateBatchesResult,
  'received' | 'duplicatesRemoved' | 'scheduledCount' | 'skippedCount' | 'fallback' | 'pastTarget'
>;

export function toCreateResult(
  request: RequestRow,
  batches: BatchRecord[],
  replayed: boolean,
): CreateBatchesResult {
  const report = readJson<StoredReport>(request.report);
  return {
    requestId: request.id,
    replayed,
    campaignId: request.campaign_id,
    target: { time: request.target_time, date: request.target_date },
    batches,
    received: report.received,
    duplicatesRemoved: report.duplicatesRemoved,
    scheduledCount: report.scheduledCount,
    skippedCount: report.skippedCount,
    fallback: report.fallback,
    pastTarget: report.pastTarget,
    createdAt: readDate(request.created_at),
  };
}
