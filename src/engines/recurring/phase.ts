import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { OutboxEntry } from '../../delivery/outbox.js';
import type { OutgoingMessage } from '../../delivery/types.js';
import type { PhaseSummary } from '../../events.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { readBool, readDate, writeDate, writeJson } from '../../store/codec.js';
import { toCampaign, toRun, type RunRow } from './mapper.js';
import { sourceRetryDelayMs, type RecurringOptions } from './options.js';
import { resolveRecipients, type FetchedRecipients, type RecipientSources } from './recipients.js';
import { SOURCE_TYPE, type RecurringRepository } from './repository.js';
import { planClaim, type ClaimPlan } from './schedule.js';
import type { RecurringRunsTable } from './tables.js';
import type { RecurringCampaign, RecurringRun } from './types.js';

/** What one `processRecurringCampaigns(now)` did. */
export interface RecurringTickSummary extends PhaseSummary {
  /** Runs resolved this tick (completed, failed, or scheduled for a retry). */
  processed: number;
  /** Occurrences claimed this tick and turned into runs. */
  occurrences: number;
  skipped: number;
  completed: number;
  failed: number;
  retrying: number;
  /** Campaigns the engine disabled (maxRuns or endAt reached). */
  ended: number;
  moreDue: boolean;
}

export interface ProcessorDeps {
  context: EngineContext;
  options: RecurringOptions;
  sources: RecipientSources;
  repository: RecurringRepository;
}

/**
 * The recurring phase of a tick, in two steps that both claim their work in the database:
 * 1. claim due occurrences — per campaign, one transaction that compare-and-sets
 *    `next_run_at` and inserts one run row per occurrence (unique per campaign and
 *    occurrence), so two processes can never both claim one;
 * 2. resolve due runs one at a time under a lease, outside any transaction (a URL fetch
 *    must not hold SQLite's write lock), then queue the messages and mark the run completed
 *    in one transaction. A process dying in between leaves the run leased; another tick
 *    takes it over when the lease expires, and the idempotency keys make the re-queue harmless.
 */
export function createRecurringProcessor(deps: ProcessorDeps): (now: Date) => Promise<RecurringTickSummary> {
  const { context, options, repository } = deps;
  const { db, adapter, events } = context;

  async function claimOccurrences(now: Date, summary: RecurringTickSummary): Promise<boolean> {
    const ids = await repository.dueCampaignIds(db, now, options.maxRunsPerTick);
    for (const id of ids) {
      const claimed = await adapter.writeTransaction(db, async (trx) => {
        const row = await repository.getCampaign(trx, id);
        if (!row || !readBool(row.enabled) || row.next_run_at === null) return null;
        const due = readDate(row.next_run_at);
        if (due.getTime() > now.getTime()) return null;
        const campaign = toCampaign(row, options.defaultMissedRunPolicy);
        const plan = planClaim(campaign, due, now, {
          policy: campaign.missedRunPolicy,
          maxLatenessMs: campaign.maxLatenessMs,
          catchUpLimit: options.catchUpLimit,
          missedAfterMs: options.missedAfterMs,
        });
        const advanced = await repository.advanceSchedule(trx, id, due, {
          nextRunAt: plan.next.nextRunAt,
          disabledReason: plan.next.ended,
          runsAdded: plan.runs.length,
        });
        if (!advanced) return null;
        const inserted = await repository.insertRuns(trx, runRows(id, plan, now));
        return { plan, inserted };
      });
      if (!claimed) continue;
      for (const row of claimed.inserted) {
        if (row.status === 'skipped') {
          summary.skipped += 1;
          events.emit('recurring:skipped', { ...runEvent(toRun(row)), reason: row.error ?? '' });
        } else {
          summary.occurrences += 1;
        }
      }
      if (claimed.plan.next.ended) {
        summary.ended += 1;
        events.emit('recurring:ended', { campaignId: id, reason: claimed.plan.next.ended, at: now });
      }
    }
    return ids.length >= options.maxRunsPerTick && (await repository.hasDueCampaign(db, now));
  }

  async function resolveRuns(now: Date, summary: RecurringTickSummary): Promise<boolean> {
    // A read first: on most ticks nothing is due, and a claiming UPDATE costs more than a SELECT
    // even when it matches nothing (SQLite: it takes the write lock).
    if (!(await repository.hasDueRun(db, now))) return false;
    let budget = options.maxRunsPerTick;
    while (budget > 0) {
      const leaseToken = randomUUID();
      const row = await repository.claimRun(db, { now, leaseMs: options.leaseMs, leaseToken });
      if (!row) return false;
      budget -= 1;
      await resolveRun(row, now, leaseToken, summary);
    }
    return repository.hasDueRun(db, now);
  }

  async function resolveRun(row: RunRow, now: Date, leaseToken: string, summary: RecurringTickSummary) {
    const run = toRun(row);
    const { maxAttempts } = options.sourceRetry;
    if (run.attempts > maxAttempts) {
      // Only reachable through lease expiry: every earlier attempt's process died mid-run.
      const error = `the run's lease expired on each of ${maxAttempts} attempts`;
      if (await settleFailure(run, leaseToken, now, error, false, summary)) summary.processed += 1;
      return;
    }
    const campaignRow = await repository.getCampaign(db, run.campaignId);
    // Deleting a campaign deletes its runs too; nothing left to do.
    if (!campaignRow) return;
    const campaign = toCampaign(campaignRow, options.defaultMissedRunPolicy);
    if (run.attempts === 1) await repository.touchLastRun(db, campaign.id, now);
    events.emit('recurring:started', { ...runEvent(run), attempt: run.attempts, firedAt: now });
    summary.processed += 1;

    let fetched: FetchedRecipients;
    try {
      fetched = await resolveRecipients(campaign.recipientSource, campaign.recipientData, {
        sources: deps.sources,
        url: options.url,
        maxRecipients: options.maxRecipientsPerRun,
        sourceTimeoutMs: options.sourceTimeoutMs,
        campaignId: campaign.id,
        signal: context.shutdown,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message || error.name : String(error);
      await settleFailure(run, leaseToken, now, message, run.attempts < maxAttempts, summary);
      return;
    }

    const entries = outboxEntries(campaign, run, fetched, now);
    const result = await adapter.writeTransaction(db, async (trx) => {
      const settled = await repository.settleRun(trx, run.id, leaseToken, {
        status: 'completed',
        error: null,
        next_attempt_at: null,
        recipient_count: fetched.recipients.length,
        invalid_count: fetched.invalidCount,
        duplicate_count: fetched.duplicateCount,
        invalid_samples: fetched.invalidSamples.length > 0 ? writeJson(fetched.invalidSamples) : null,
        finished_at: writeDate(now),
      });
      if (!settled) return null;
      return { enqueued: await context.outbox.enqueue(trx, entries, now) };
    });
    if (!result) return;
    summary.completed += 1;
    events.emit('recurring:completed', {
      ...runEvent(run),
      firedAt: now,
      recipientCount: fetched.recipients.length,
      invalidCount: fetched.invalidCount,
      duplicateCount: fetched.duplicateCount,
      enqueued: result.enqueued,
    });
  }

  async function settleFailure(
    run: RecurringRun,
    leaseToken: string,
    now: Date,
    error: string,
    willRetry: boolean,
    summary: RecurringTickSummary,
  ): Promise<boolean> {
    const nextAttemptAt = willRetry
      ? new Date(now.getTime() + sourceRetryDelayMs(run.attempts, options.sourceRetry))
      : null;
    const settled = await repository.settleRun(db, run.id, leaseToken, {
      status: willRetry ? 'retrying' : 'failed',
      error,
      next_attempt_at: nextAttemptAt ? writeDate(nextAttemptAt) : null,
      finished_at: willRetry ? null : writeDate(now),
    });
    if (!settled) return false;
    if (willRetry) summary.retrying += 1;
    else summary.failed += 1;
    events.emit('recurring:failed', {
      ...runEvent(run),
      error,
      attempt: run.attempts,
      willRetry,
      nextAttemptAt,
    });
    return true;
  }

  return async function processRecurringCampaigns(now: Date): Promise<RecurringTickSummary> {
    const summary: RecurringTickSummary = {
      processed: 0,
      occurrences: 0,
      skipped: 0,
      completed: 0,
      failed: 0,
      retrying: 0,
      ended: 0,
      moreDue: false,
    };
    const moreCampaigns = await claimOccurrences(now, summary);
    const moreRuns = await resolveRuns(now, summary);
    summary.moreDue = moreCampaigns || moreRuns;
    return summary;
  };
}

function runRows(campaignId: number, plan: ClaimPlan, now: Date): Insertable<RecurringRunsTable>[] {
  const stamp = writeDate(now);
  const base = { campaign_id: campaignId, created_at: stamp };
  return [
    ...plan.skipped.map((s) => ({
      ...base,
      occurrence_key: s.scheduledAt.toISOString(),
      kind: s.kind,
      status: 'skipped' as const,
      scheduled_at: writeDate(s.scheduledAt),
      error: s.reason,
      finished_at: stamp,
    })),
    ...plan.runs.map((r) => ({
      ...base,
      occurrence_key: r.scheduledAt.toISOString(),
      kind: r.kind,
      status: 'pending' as const,
      scheduled_at: writeDate(r.scheduledAt),
      next_attempt_at: stamp,
    })),
  ].sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at));
}

/** The idempotency key of one recipient of one run: per occurrence, or per manual run. */
export function recurringIdempotencyKey(
  campaignId: number,
  run: Pick<RecurringRun, 'id' | 'kind' | 'scheduledAt'>,
  email: string,
): string {
  const occurrence = run.kind === 'manual' ? `manual:${run.id}` : run.scheduledAt.toISOString();
  return `recurring:${campaignId}:${occurrence}:${email.toLowerCase()}`;
}

function outboxEntries(
  campaign: RecurringCampaign,
  run: RecurringRun,
  fetched: FetchedRecipients,
  now: Date,
): OutboxEntry[] {
  const origin: OutgoingMessage['origin'] = {
    type: 'recurring',
    campaignId: campaign.id,
    runId: run.id,
    scheduledAt: run.scheduledAt.toISOString(),
    firedAt: now.toISOString(),
    latenessMs: Math.max(0, now.getTime() - run.scheduledAt.getTime()),
    catchUp: run.kind === 'catch-up',
    manual: run.kind === 'manual',
  };
  return fetched.recipients.map((recipient) => ({
    idempotencyKey: recurringIdempotencyKey(campaign.id, run, recipient.email),
    sourceType: SOURCE_TYPE,
    sourceId: run.id,
    dueAt: now,
    message: {
      to: recipient.email,
      cc: campaign.cc,
      bcc: campaign.bcc,
      subject: campaign.subject,
      templateId: campaign.templateId,
      recipient,
      origin,
    },
  }));
}

function runEvent(run: RecurringRun) {
  return { campaignId: run.campaignId, runId: run.id, kind: run.kind, scheduledAt: run.scheduledAt };
}
