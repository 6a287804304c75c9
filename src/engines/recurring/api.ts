import { randomUUID } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError, type ValidationIssue } from '../../errors.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { writeBool, writeDate, writeJson } from '../../store/codec.js';
import type { TickworkDatabase } from '../../store/schema.js';
import { previewRuns as previewSchedule } from '../../time/index.js';
import { parseInput, parseNow } from '../../validation.js';
import { toCampaign, toRun, type CampaignRow } from './mapper.js';
import type { RecurringOptions } from './options.js';
import {
  knownSources,
  resolveRecipients,
  type FetchedRecipients,
  type RecipientSources,
} from './recipients.js';
import { SOURCE_TYPE, type RecurringRepository } from './repository.js';
import { nextRunAfter, type NextRun } from './schedule.js';
import {
  createRecurringCampaignSchema,
  disableOptionsSchema,
  idSchema,
  listRecurringCampaignsSchema,
  listRecurringRunsSchema,
  previewCountSchema,
  previewSpecSchema,
  staticRecipientDataSchema,
  updateRecurringCampaignSchema,
  type CreateRecurringCampaignInput,
  type DisableRecurringCampaignInput,
  type ListRecurringCampaignsInput,
  type ListRecurringRunsInput,
  type PreviewSpecInput,
  type UpdateRecurringCampaignInput,
} from './schemas.js';
import type { Page, RecurringCampaign, RecurringRun, RecurringRunWithDeliveries } from './types.js';
import { checkUrlSourceData } from './url-source.js';
import type { RecurringTickSummary } from './phase.js';
import type { RecurringCampaignsTable } from './tables.js';

/** `scheduler.recurring`: campaigns, their runs, and the phase a tick runs. */
export interface RecurringApi {
  create(input: CreateRecurringCampaignInput): Promise<RecurringCampaign>;
  /** @throws NotFoundError('recurring campaign', id) */
  get(id: number | string): Promise<RecurringCampaign>;
  list(query?: ListRecurringCampaignsInput): Promise<Page<RecurringCampaign>>;
  /** A partial update; changing the schedule (or enabling) recomputes `nextRunAt` from now, without backfill. */
  update(id: number | string, patch: UpdateRecurringCampaignInput): Promise<RecurringCampaign>;
  /** Deletes the campaign and its run history, cancelling its messages not yet sent. */
  delete(id: number | string): Promise<{ id: number; cancelledDeliveries: number }>;
  /** Turns the schedule on from now (no backfill). A no-op when already enabled. */
  enable(id: number | string): Promise<RecurringCampaign>;
  /** Turns the schedule off; by default also cancels runs and messages not yet sent. */
  disable(id: number | string, options?: DisableRecurringCampaignInput): Promise<RecurringCampaign>;
  /** Queues a manual run for the next tick; the schedule is left alone. Works on a disabled campaign too. */
  runNow(id: number | string): Promise<RecurringRun>;
  /** The next `count` runs of a campaign (honouring startAt, endAt, maxRuns) or of a `{ cron, timezone }`. */
  previewRuns(idOrSpec: number | string | PreviewSpecInput, count?: number | string): Promise<Date[]>;
  /** The campaign's runs, newest first, each with its messages' outbox counts. */
  listRuns(id: number | string, query?: ListRecurringRunsInput): Promise<Page<RecurringRunWithDeliveries>>;
  /** @throws NotFoundError('recurring run', runId) */
  getRun(runId: number | string): Promise<RecurringRunWithDeliveries>;
  /** The recurring phase of `tick(now)`; call it directly only to run the phase alone. */
  processRecurringCampaigns(now: Date): Promise<RecurringTickSummary>;
  /** Resolves recipients the way a run would, with this scheduler's sources and url settings. */
  fetchRecipients(source: string, data: unknown): Promise<FetchedRecipients>;
}

export interface ApiDeps {
  context: EngineContext;
  options: RecurringOptions;
  sources: RecipientSources;
  repository: RecurringRepository;
  process(now: Date): Promise<RecurringTickSummary>;
}

const CAMPAIGN = 'recurring campaign';

export function createRecurringApi(deps: ApiDeps): RecurringApi {
  const { context, options, sources, repository } = deps;
  const { db, adapter } = context;
  const toRecord = (row: CampaignRow) => toCampaign(row, options.defaultMissedRunPolicy);

  async function loadCampaign(executor: Kysely<TickworkDatabase>, id: number): Promise<CampaignRow> {
    const row = await repository.getCampaign(executor, id);
    if (!row) throw new NotFoundError(CAMPAIGN, id);
    return row;
  }

  /** The recipient settings must make sense together; checked on the merged record of an update too. */
  function checkRecipients(source: string, data: unknown): void {
    if (source === 'static') {
      if (data === undefined || data === null) {
        throw ValidationError.field('recipientData', 'the static source needs a list of recipients');
      }
      const recipients = parseInput(staticRecipientDataSchema, data, 'recipientData');
      if (recipients.length > options.maxRecipientsPerRun) {
        throw ValidationError.field(
          'recipientData',
          `has ${recipients.length} recipients, more than maxRecipientsPerRun (${options.maxRecipientsPerRun})`,
        );
      }
    } else if (source === 'url') {
      const check = checkUrlSourceData(data, options.url);
      if (!check.ok)
        throw ValidationError.field(['recipientData', check.path].filter(Boolean).join('.'), check.message);
    } else if (!Object.hasOwn(sources, source)) {
      throw ValidationError.field(
        'recipientSource',
        `unknown recipient source '${source}' (known: ${knownSources(sources)})`,
      );
    }
  }

  /** An enabled campaign needs a next run; the error names the field that prevents one. */
  function requireNextRun(next: NextRun, runCount: number): Date {
    if (next.nextRunAt) return next.nextRunAt;
    const issue: ValidationIssue =
      next.ended === 'maxRuns'
        ? {
            path: 'maxRuns',
            message: `the campaign has already made ${runCount} runs; raise or clear maxRuns`,
          }
        : next.ended === 'endAt'
          ? { path: 'endAt', message: 'no occurrence of the schedule falls between now and endAt' }
          : { path: 'scheduleCron', message: 'the schedule has no further run' };
    throw new ValidationError([issue]);
  }

  async function stopCampaign(
    trx: Kysely<TickworkDatabase>,
    id: number,
    now: Date,
    reason: string,
  ): Promise<number> {
    await repository.cancelOpenRuns(trx, id, now, reason);
    const runIds = await repository.runIdsWithUnsentDeliveries(trx, id);
    return runIds.length === 0 ? 0 : context.outbox.cancelBySource(trx, SOURCE_TYPE, runIds, now, reason);
  }

  async function withDeliveries(rows: ReturnType<typeof toRun>[]): Promise<RecurringRunWithDeliveries[]> {
    const counts = await context.outbox.countByStatusPerSource(
      db,
      SOURCE_TYPE,
      rows.map((r) => r.id),
    );
    return rows.map((run) => ({ ...run, deliveries: counts.get(run.id)! }));
  }

  return {
    async create(input) {
      const parsed = parseInput(createRecurringCampaignSchema, input);
      checkRecipients(parsed.recipientSource, parsed.recipientData);
      const now = context.clock();
      const nextRunAt = parsed.enabled
        ? requireNextRun(nextRunAfter({ ...parsed, runCount: 0 }, now), 0)
        : null;
      const stamp = writeDate(now);
      const row = await repository.insertCampaign(db, {
        name: parsed.name,
        template_id: parsed.templateId,
        subject: parsed.subject,
        recipient_source: parsed.recipientSource,
        recipient_data: parsed.recipientData === undefined ? null : writeJson(parsed.recipientData),
        schedule_cron: parsed.scheduleCron,
        timezone: parsed.timezone,
        cc: writeJson(parsed.cc),
        bcc: writeJson(parsed.bcc),
        enabled: writeBool(parsed.enabled),
        next_run_at: nextRunAt ? writeDate(nextRunAt) : null,
        start_at: parsed.startAt ? writeDate(parsed.startAt) : null,
        end_at: parsed.endAt ? writeDate(parsed.endAt) : null,
        max_runs: parsed.maxRuns,
        run_count: 0,
        missed_run_policy: parsed.missedRunPolicy ?? options.defaultMissedRunPolicy,
        max_lateness_ms: parsed.maxLatenessMs,
        created_at: stamp,
        updated_at: stamp,
      });
      return toRecord(row);
    },

    async get(id) {
      return toRecord(await loadCampaign(db, parseInput(idSchema, id, 'id')));
    },

    async list(query = {}) {
      const filter = parseInput(listRecurringCampaignsSchema, query);
      const { rows, total } = await repository.listCampaigns(db, filter);
      return { items: rows.map(toRecord), total, limit: filter.limit, offset: filter.offset };
    },

    async update(id, patch) {
      const campaignId = parseInput(idSchema, id, 'id');
      const changes = parseInput(updateRecurringCampaignSchema, patch);
      const now = context.clock();
      const row = await adapter.writeTransaction(db, async (trx) => {
        const current = toRecord(await loadCampaign(trx, campaignId));
        const merged = { ...current, ...definedOnly(changes) };
        if (merged.endAt && merged.startAt && merged.endAt.getTime() <= merged.startAt.getTime()) {
          throw ValidationError.field('endAt', 'must be after startAt');
        }
        if (changes.recipientSource !== undefined || changes.recipientData !== undefined) {
          checkRecipients(merged.recipientSource, merged.recipientData);
        }
        const values: Updateable<RecurringCampaignsTable> = { updated_at: writeDate(now) };
        if (changes.name !== undefined) values.name = changes.name;
        if (changes.templateId !== undefined) values.template_id = changes.templateId;
        if (changes.subject !== undefined) values.subject = changes.subject;
        if (changes.recipientSource !== undefined) values.recipient_source = changes.recipientSource;
        if (changes.recipientData !== undefined) {
          values.recipient_data = changes.recipientData === null ? null : writeJson(changes.recipientData);
        }
        if (changes.scheduleCron !== undefined) values.schedule_cron = changes.scheduleCron;
        if (changes.timezone !== undefined) values.timezone = changes.timezone;
        if (changes.cc !== undefined) values.cc = writeJson(changes.cc);
        if (changes.bcc !== undefined) values.bcc = writeJson(changes.bcc);
        if (changes.startAt !== undefined)
          values.start_at = changes.startAt ? writeDate(changes.startAt) : null;
        if (changes.endAt !== undefined) values.end_at = changes.endAt ? writeDate(changes.endAt) : null;
        if (changes.maxRuns !== undefined) values.max_runs = changes.maxRuns;
        if (changes.missedRunPolicy !== undefined) values.missed_run_policy = changes.missedRunPolicy;
        if (changes.maxLatenessMs !== undefined) values.max_lateness_ms = changes.maxLatenessMs;

        if (!merged.enabled) {
          values.enabled = writeBool(false);
          values.next_run_at = null;
          if (current.enabled) values.disabled_reason = null;
          // Like disable(): turning a campaign off stops what it has not sent yet.
          if (changes.enabled === false) await stopCampaign(trx, campaignId, now, 'campaign disabled');
        } else if (!current.enabled || scheduleChanged(current, merged)) {
          const nextRunAt = requireNextRun(nextRunAfter(merged, now), merged.runCount);
          values.enabled = writeBool(true);
          values.next_run_at = writeDate(nextRunAt);
          values.disabled_reason = null;
        }
        return repository.updateCampaign(trx, campaignId, values);
      });
      return toRecord(row);
    },

    async delete(id) {
      const campaignId = parseInput(idSchema, id, 'id');
      const now = context.clock();
      return adapter.writeTransaction(db, async (trx) => {
        await loadCampaign(trx, campaignId);
        const runIds = await repository.runIdsWithUnsentDeliveries(trx, campaignId);
        const cancelledDeliveries =
          runIds.length === 0
            ? 0
            : await context.outbox.cancelBySource(trx, SOURCE_TYPE, runIds, now, 'campaign deleted');
        await repository.deleteCampaign(trx, campaignId);
        return { id: campaignId, cancelledDeliveries };
      });
    },

    async enable(id) {
      const campaignId = parseInput(idSchema, id, 'id');
      const now = context.clock();
      const row = await adapter.writeTransaction(db, async (trx) => {
        const currentRow = await loadCampaign(trx, campaignId);
        const current = toRecord(currentRow);
        if (current.enabled) return currentRow;
        const next = nextRunAfter(current, now);
        if (!next.nextRunAt) {
          const why =
            next.ended === 'maxRuns'
              ? `it has made its maxRuns (${current.maxRuns}) runs; raise or clear maxRuns first`
              : next.ended === 'endAt'
                ? `its endAt (${current.endAt?.toISOString()}) has passed; move or clear endAt first`
                : 'its schedule has no further run';
          throw new ConflictError(`${CAMPAIGN} ${campaignId} cannot be enabled: ${why}`);
        }
        return repository.updateCampaign(trx, campaignId, {
          enabled: writeBool(true),
          next_run_at: writeDate(next.nextRunAt),
          disabled_reason: null,
          updated_at: writeDate(now),
        });
      });
      return toRecord(row);
    },

    async disable(id, disableOptions = {}) {
      const campaignId = parseInput(idSchema, id, 'id');
      const { cancelPending } = parseInput(disableOptionsSchema, disableOptions, 'options');
      const now = context.clock();
      const row = await adapter.writeTransaction(db, async (trx) => {
        const currentRow = await loadCampaign(trx, campaignId);
        if (cancelPending) await stopCampaign(trx, campaignId, now, 'campaign disabled');
        if (!toRecord(currentRow).enabled) return currentRow;
        return repository.updateCampaign(trx, campaignId, {
          enabled: writeBool(false),
          next_run_at: null,
          disabled_reason: null,
          updated_at: writeDate(now),
        });
      });
      return toRecord(row);
    },

    async runNow(id) {
      const campaignId = parseInput(idSchema, id, 'id');
      const now = context.clock();
      const stamp = writeDate(now);
      const row = await adapter.writeTransaction(db, async (trx) => {
        const campaign = toRecord(await loadCampaign(trx, campaignId));
        try {
          checkRecipients(campaign.recipientSource, campaign.recipientData);
        } catch (error) {
          // Valid at create, but not any more (the url allowlist or the host's sources changed).
          if (!(error instanceof ValidationError)) throw error;
          throw new ConflictError(`${CAMPAIGN} ${campaignId} cannot run: ${error.message}`);
        }
        const [inserted] = await repository.insertRuns(trx, [
          {
            campaign_id: campaignId,
            occurrence_key: `manual:${randomUUID()}`,
            kind: 'manual',
            status: 'pending',
            scheduled_at: stamp,
            next_attempt_at: stamp,
            created_at: stamp,
          },
        ]);
        return inserted!;
      });
      return toRun(row);
    },

    async previewRuns(idOrSpec, count) {
      const wanted = parseInput(previewCountSchema, count, 'count');
      const now = context.clock();
      if (typeof idOrSpec === 'object' && idOrSpec !== null) {
        const spec = parseInput(previewSpecSchema, idOrSpec);
        return previewSchedule(spec.cron, spec.timezone, spec.from ?? now, wanted);
      }
      const campaign = toRecord(await loadCampaign(db, parseInput(idSchema, idOrSpec, 'id')));
      const runs: Date[] = [];
      let cursor = now;
      let runCount = campaign.runCount;
      while (runs.length < wanted) {
        const next = nextRunAfter({ ...campaign, runCount }, cursor);
        if (!next.nextRunAt) break;
        runs.push(next.nextRunAt);
        cursor = next.nextRunAt;
        runCount += 1;
      }
      return runs;
    },

    async listRuns(id, query = {}) {
      const campaignId = parseInput(idSchema, id, 'id');
      const filter = parseInput(listRecurringRunsSchema, query);
      await loadCampaign(db, campaignId);
      const { rows, total } = await repository.listRuns(db, { campaignId, ...filter });
      return {
        items: await withDeliveries(rows.map(toRun)),
        total,
        limit: filter.limit,
        offset: filter.offset,
      };
    },

    async getRun(runId) {
      const parsedId = parseInput(idSchema, runId, 'runId');
      const row = await repository.getRun(db, parsedId);
      if (!row) throw new NotFoundError('recurring run', parsedId);
      const [run] = await withDeliveries([toRun(row)]);
      return run!;
    },

    async processRecurringCampaigns(now) {
      return deps.process(parseNow(now));
    },

    fetchRecipients(source, data) {
      if (typeof source !== 'string' || source === '') {
        return Promise.reject(ValidationError.field('source', 'must be a recipient source name'));
      }
      return resolveRecipients(source, data, {
        sources,
        url: options.url,
        maxRecipients: options.maxRecipientsPerRun,
        sourceTimeoutMs: options.sourceTimeoutMs,
        campaignId: null,
      });
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sameInstant(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

/** Whether an update touches anything that decides when the campaign runs. */
function scheduleChanged(before: RecurringCampaign, after: RecurringCampaign): boolean {
  return (
    before.scheduleCron !== after.scheduleCron ||
    before.timezone !== after.timezone ||
    before.maxRuns !== after.maxRuns ||
    !sameInstant(before.startAt, after.startAt) ||
    !sameInstant(before.endAt, after.endAt)
  );
}
