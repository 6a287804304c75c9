import type { Selectable } from 'kysely';
import { readBool, readDate, readJson } from '../../store/codec.js';
import type { MissedRunPolicy } from './options.js';
import { MISSED_RUN_POLICIES } from './options.js';
import type { RecurringCampaignsTable, RecurringRunsTable } from './tables.js';
import type {
  InvalidRecipientSample,
  RecurringCampaign,
  RecurringDisabledReason,
  RecurringRun,
} from './types.js';

export type CampaignRow = Selectable<RecurringCampaignsTable>;
export type RunRow = Selectable<RecurringRunsTable>;

const DISABLED_REASONS: readonly string[] = ['maxRuns', 'endAt', 'exhausted'];

export function toCampaign(row: CampaignRow, defaultPolicy: MissedRunPolicy): RecurringCampaign {
  const createdAt = readDate(row.created_at);
  return {
    id: row.id,
    name: row.name,
    templateId: row.template_id,
    subject: row.subject,
    recipientSource: row.recipient_source,
    recipientData: row.recipient_data === null ? null : readJson<unknown>(row.recipient_data),
    scheduleCron: row.schedule_cron,
    timezone: row.timezone,
    cc: readAddresses(row.cc),
    bcc: readAddresses(row.bcc),
    enabled: readBool(row.enabled),
    startAt: readDate(row.start_at),
    endAt: readDate(row.end_at),
    maxRuns: row.max_runs,
    runCount: Number(row.run_count),
    missedRunPolicy: readPolicy(row.missed_run_policy, defaultPolicy),
    maxLatenessMs: row.max_lateness_ms === null ? null : Number(row.max_lateness_ms),
    lastRunAt: readDate(row.last_run_at),
    nextRunAt: readDate(row.next_run_at),
    disabledReason: DISABLED_REASONS.includes(row.disabled_reason ?? '')
      ? (row.disabled_reason as RecurringDisabledReason)
      : null,
    createdAt,
    // Rows the host wrote before tickwork added the column have none.
    updatedAt: readDate(row.updated_at) ?? createdAt,
  };
}

export function toRun(row: RunRow): RecurringRun {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    kind: row.kind,
    status: row.status,
    scheduledAt: readDate(row.scheduled_at),
    attempts: Number(row.attempts),
    nextAttemptAt: readDate(row.next_attempt_at),
    error: row.error,
    recipientCount: Number(row.recipient_count),
    invalidCount: Number(row.invalid_count),
    duplicateCount: Number(row.duplicate_count),
    invalidSamples:
      row.invalid_samples === null ? [] : readJson<InvalidRecipientSample[]>(row.invalid_samples),
    startedAt: readDate(row.started_at),
    finishedAt: readDate(row.finished_at),
    createdAt: readDate(row.created_at),
  };
}

function readPolicy(value: string | null, fallback: MissedRunPolicy): MissedRunPolicy {
  return (MISSED_RUN_POLICIES as readonly string[]).includes(value ?? '')
    ? (value as MissedRunPolicy)
    : fallback;
}

/** The host's legacy rows may hold anything in cc/bcc; only a JSON list of strings is an address list. */
function readAddresses(value: unknown): string[] {
  let parsed: unknown;
  try {
    parsed = readJson<unknown>(value);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}
