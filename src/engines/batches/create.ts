import { createHash, type Hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, ValidationError, type ValidationIssue } from '../../errors.js';
import type { EngineContext } from '../../scheduler/engine.js';
import type { TickworkDatabase } from '../../store/schema.js';
import { unstorableJsonProblem } from '../../schemas.js';
import { inspectInput } from '../../validation.js';
import { toBatchRecord, toCreateResult, type StoredReport } from './mapper.js';
import { planZone, recipientZone, type ZonePlan } from './planner.js';
import * as repo from './repository.js';
import {
  batchMessageSchema,
  batchRecipientSchema,
  createBatchesHeadSchema,
  type BatchRecipientInput,
  type CreateBatchesInput,
  type ParsedBatchEngineOptions,
} from './schemas.js';
import type {
  BatchMessage,
  BatchRecord,
  BatchTarget,
  BatchTimezone,
  CreateBatchesResult,
  FallbackRecipient,
  PastTargetPolicy,
} from './types.js';

/** Recipients as an array, or streamed (any sync or async iterable), read a chunk at a time. */
export type BatchRecipientsSource =
  readonly BatchRecipientInput[] | Iterable<BatchRecipientInput> | AsyncIterable<BatchRecipientInput>;

export type CreateBatchesRequest = Omit<CreateBatchesInput, 'recipients'> & {
  recipients: BatchRecipientsSource;
};

const CHUNK = 1000;
/** Batches up to this size keep their email list in `recipient_emails`. */
export const EMAIL_LIST_LIMIT = 1000;
const REPORTED_FALLBACKS = 100;
const MAX_ISSUES = 20;

interface Settings {
  campaignId: number;
  target: BatchTarget;
  message: BatchMessage;
  policy: PastTargetPolicy;
  fallbackTimezone: string;
}

interface Recipient {
  /** The recipient as given and validated (a copy). */
  data: Record<string, unknown>;
  email: string;
  key: string;
  /** JSON of the input, for the request hash. */
  json: string;
}

type Built =
  { kind: 'created'; result: CreateBatchesResult } | { kind: 'existing'; request: repo.RequestRow };

/**
 * createTimezoneBatches: validates, then in one write transaction claims the (campaign,
 * target) key, groups the recipients by send instant into batches and stores them. A second
 * request for a key that is taken is a replay (identical request: the first result is
 * returned) or a ConflictError (anything else).
 */
export async function createBatches(
  ctx: EngineContext,
  options: ParsedBatchEngineOptions,
  input: CreateBatchesRequest,
): Promise<CreateBatchesResult> {
  // Both halves are checked before throwing, so one error names every bad field.
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ValidationError.field('', 'must be an object with campaignId, recipients and target');
  }
  const { recipients: _recipients, ...headInput } = input;
  const parsed = inspectInput(createBatchesHeadSchema, headInput);
  let source: Source | undefined;
  const issues = parsed.success ? [] : parsed.issues;
  try {
    source = recipientSource(input.recipients);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  if (!parsed.success || !source) throw new ValidationError(issues);
  const head = parsed.data;
  const settings: Settings = {
    campaignId: head.campaignId,
    target: head.target,
    message: head.message ?? batchMessageSchema.parse({}),
    policy: head.pastTargetPolicy ?? options.pastTargetPolicy,
    fallbackTimezone: head.fallbackTimezone ?? options.fallbackTimezone,
  };
  const now = ctx.clock();

  const built = await createOrFind(ctx, settings, source, now);
  if (built.kind === 'created') {
    for (const batch of built.result.batches) emitCreated(ctx, batch);
    return built.result;
  }
  const hash = createHash('sha256');
  hashSettings(hash, settings);
  for await (const chunk of chunks(source)) for (const recipient of chunk) hash.update(recipient.json + '\n');
  const request = built.request;
  if (hash.digest('hex') !== request.request_hash) {
    const when = settings.target.date === null ? '(next occurrence)' : `on ${settings.target.date}`;
    throw new ConflictError(
      `batches for campaign ${settings.campaignId} at ${settings.target.time} ${when} already exist ` +
        `(request ${request.id}) with different recipients or options; cancel them before any is ` +
        `processed, or choose another date`,
    );
  }
  const rows = await repo.listBatches(ctx.db, { requestId: request.id });
  const counts = await ctx.outbox.countByStatusPerSource(
    ctx.db,
    repo.SOURCE_TYPE,
    rows.map((r) => r.id),
  );
  return toCreateResult(
    request,
    rows.map((row) => toBatchRecord(row, counts.get(row.id) ?? repo.emptyStatusCounts())),
    true,
  );
}

async function createOrFind(
  ctx: EngineContext,
  settings: Settings,
  source: Source,
  now: Date,
): Promise<Built> {
  const targetKey = `${settings.target.time}|${settings.target.date ?? 'next'}`;
  return ctx.adapter.writeTransaction(ctx.db, async (trx) => {
    // Bounded: each round either takes the key, or finds a live request, or frees a dead one.
    for (let round = 0; round < 3; round++) {
      const requestId = await repo.insertRequest(trx, {
        campaignId: settings.campaignId,
        targetTime: settings.target.time,
        targetDate: settings.target.date,
        targetKey,
        policy: settings.policy,
        fallbackTimezone: settings.fallbackTimezone,
        message: settings.message,
        now,
      });
      if (requestId !== undefined) {
        return { kind: 'created', result: await build(trx, requestId, settings, source, now) };
      }
      const existing = await repo.findRequestByKey(trx, settings.campaignId, targetKey);
      if (!existing) continue;
      if (!(await repo.isRequestReleasable(trx, existing.id))) return { kind: 'existing', request: existing };
      await repo.releaseRequest(trx, existing.id, now);
    }
    throw new ConflictError(
      `batches for campaign ${settings.campaignId} at ${targetKey} are being created concurrently; retry`,
    );
  });
}

interface BatchBuild {
  id: number;
  plan: ZonePlan;
  lastPosition: number;
  count: number;
  fallbackCount: number;
  zones: Map<string, BatchTimezone>;
  emails: string[] | null;
}

async function build(
  trx: Kysely<TickworkDatabase>,
  requestId: number,
  settings: Settings,
  source: Source,
  now: Date,
): Promise<CreateBatchesResult> {
  const hash = createHash('sha256');
  hashSettings(hash, settings);
  const plans = new Map<string, ZonePlan>();
  const batches = new Map<string, BatchBuild>();
  const fallbacks: FallbackRecipient[] = [];
  const past = new Map<string, { timezone: string; recipientCount: number; action: PastTargetPolicy }>();
  let received = 0;
  let duplicates = 0;
  let fallbackCount = 0;
  let pastCount = 0;

  const batchFor = async (plan: ZonePlan): Promise<BatchBuild> => {
    let batch = batches.get(plan.batchKey);
    if (!batch) {
      const id = await repo.insertBatch(trx, {
        campaignId: settings.campaignId,
        requestId,
        scheduledFor: new Date(plan.instant),
        status: plan.skipped ? 'skipped' : 'pending',
        statusReason: plan.skipped ? 'the target time had passed (pastTargetPolicy: skip)' : null,
        targetTime: settings.target.time,
        targetDate: settings.target.date,
        message: settings.message,
        now,
      });
      batch = { id, plan, lastPosition: 0, count: 0, fallbackCount: 0, zones: new Map(), emails: [] };
      batches.set(plan.batchKey, batch);
    }
    return batch;
  };

  for await (const chunk of chunks(source)) {
    const seen = new Set<string>();
    const rows: Array<{
      batch: BatchBuild;
      plan: ZonePlan;
      recipient: Recipient;
      fallback: FallbackRecipient | null;
      insert: repo.RecipientInsert;
    }> = [];
    for (const recipient of chunk) {
      received++;
      hash.update(recipient.json + '\n');
      if (seen.has(recipient.key)) {
        duplicates++;
        continue;
      }
      seen.add(recipient.key);
      const zone = recipientZone(recipient.data.timezone, settings.fallbackTimezone);
      let plan = plans.get(zone.timezone);
      if (!plan) {
        plan = planZone(zone.timezone, settings.target, settings.policy, now);
        plans.set(zone.timezone, plan);
      }
      const batch = await batchFor(plan);
      const position = ++batch.lastPosition;
      rows.push({
        batch,
        plan,
        recipient,
        fallback: zone.fallback && {
          email: recipient.email,
          given: describeGiven(recipient.data.timezone),
          reason: zone.fallback,
        },
        insert: {
          batchId: batch.id,
          requestId,
          position,
          email: recipient.key,
          data: JSON.stringify({ ...recipient.data, timezone: zone.timezone }),
        },
      });
    }
    const inserted = await repo.insertRecipients(
      trx,
      rows.map((r) => r.insert),
    );
    for (const { batch, plan, recipient, fallback, insert } of rows) {
      if (!inserted.has(`${insert.batchId}:${insert.position}`)) {
        duplicates++;
        continue;
      }
      batch.count++;
      if (batch.emails) {
        if (batch.emails.length < EMAIL_LIST_LIMIT) batch.emails.push(recipient.email);
        else batch.emails = null;
      }
      let zone = batch.zones.get(plan.timezone);
      if (!zone) {
        zone = {
          timezone: plan.timezone,
          localDateTime: plan.localDateTime,
          recipientCount: 0,
          fallbackCount: 0,
          pastTarget: plan.pastTarget,
          dst: plan.dst,
        };
        batch.zones.set(plan.timezone, zone);
      }
      zone.recipientCount++;
      if (fallback) {
        zone.fallbackCount++;
        batch.fallbackCount++;
        fallbackCount++;
        if (fallbacks.length < REPORTED_FALLBACKS) fallbacks.push(fallback);
      }
      if (plan.pastTarget) {
        pastCount++;
        const entry = past.get(plan.timezone);
        if (entry) entry.recipientCount++;
        else past.set(plan.timezone, { timezone: plan.timezone, recipientCount: 1, action: plan.pastTarget });
      }
    }
  }
  if (received === 0) throw ValidationError.field('recipients', 'must list at least one recipient');

  let scheduledCount = 0;
  let skippedCount = 0;
  const empty: number[] = [];
  for (const batch of batches.values()) {
    if (batch.count === 0) {
      empty.push(batch.id);
      continue;
    }
    if (batch.plan.skipped) skippedCount += batch.count;
    else scheduledCount += batch.count;
    await repo.finalizeBatch(trx, batch.id, {
      recipientCount: batch.count,
      fallbackCount: batch.fallbackCount,
      timezones: [...batch.zones.values()].sort((a, b) => a.timezone.localeCompare(b.timezone)),
      recipientEmails: batch.emails ?? { count: batch.count, storedIn: 'tickwork_batch_recipients' },
    });
  }
  // A batch whose every candidate was a duplicate of an earlier recipient.
  await repo.deleteBatches(trx, empty);

  const report: StoredReport = {
    received,
    duplicatesRemoved: duplicates,
    scheduledCount,
    skippedCount,
    fallback: {
      timezone: settings.fallbackTimezone,
      count: fallbackCount,
      recipients: fallbacks,
      truncated: fallbackCount > fallbacks.length,
    },
    pastTarget: {
      policy: settings.policy,
      recipientCount: pastCount,
      timezones: [...past.values()].sort((a, b) => a.timezone.localeCompare(b.timezone)),
    },
  };
  await repo.finishRequest(trx, requestId, hash.digest('hex'), report);

  const request = await repo.getRequest(trx, requestId);
  const rows = await repo.listBatches(trx, { requestId });
  // Nothing of a new request is in the outbox yet.
  const records: BatchRecord[] = rows.map((row) => toBatchRecord(row, repo.emptyStatusCounts()));
  return toCreateResult(request!, records, false);
}

function hashSettings(hash: Hash, settings: Settings): void {
  hash.update(
    JSON.stringify([
      settings.campaignId,
      settings.target,
      settings.message,
      settings.policy,
      settings.fallbackTimezone,
    ]) + '\n',
  );
}

function emitCreated(ctx: EngineContext, batch: BatchRecord): void {
  ctx.events.emit('batch:created', {
    batchId: batch.id,
    campaignId: batch.campaignId,
    requestId: batch.requestId,
    scheduledFor: batch.scheduledFor,
    status: batch.status === 'skipped' ? 'skipped' : 'pending',
    recipientCount: batch.recipientCount,
    timezones: batch.timezones.map((z) => z.timezone),
  });
}

function describeGiven(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// --- recipients source ----------------------------------------------------------------

/**
 * An array is validated whole before any write (so bad input never takes the write lock);
 * a stream is validated chunk by chunk inside the transaction, which a bad recipient rolls back.
 */
type Source =
  | { kind: 'array'; recipients: Recipient[] }
  | { kind: 'stream'; iterable: Iterable<unknown> | AsyncIterable<unknown> };

function recipientSource(value: unknown): Source {
  if (Array.isArray(value)) {
    if (value.length === 0) throw ValidationError.field('recipients', 'must list at least one recipient');
    const issues: ValidationIssue[] = [];
    const recipients: Recipient[] = [];
    for (let index = 0; index < value.length && issues.length < MAX_ISSUES; index++) {
      const recipient = normalize(value[index], index, issues);
      if (recipient) recipients.push(recipient);
    }
    if (issues.length > 0) throw new ValidationError(issues);
    return { kind: 'array', recipients };
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  ) {
    return { kind: 'stream', iterable: value as Iterable<unknown> | AsyncIterable<unknown> };
  }
  throw ValidationError.field('recipients', 'must be an array of recipients');
}

async function* chunks(source: Source): AsyncGenerator<Recipient[]> {
  if (source.kind === 'array') {
    for (let start = 0; start < source.recipients.length; start += CHUNK) {
      yield source.recipients.slice(start, start + CHUNK);
    }
    return;
  }
  let chunk: Recipient[] = [];
  let index = 0;
  for await (const raw of source.iterable) {
    const issues: ValidationIssue[] = [];
    const recipient = normalize(raw, index++, issues);
    if (!recipient) throw new ValidationError(issues);
    chunk.push(recipient);
    if (chunk.length === CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function normalize(raw: unknown, index: number, issues: ValidationIssue[]): Recipient | undefined {
  const parsed = inspectInput(batchRecipientSchema, raw, `recipients.${index}`);
  if (!parsed.success) {
    issues.push(...parsed.issues);
    return undefined;
  }
  let json: string;
  try {
    json = JSON.stringify(raw);
  } catch {
    issues.push({ path: `recipients.${index}`, message: 'must be JSON-serialisable' });
    return undefined;
  }
  const unstorable = unstorableJsonProblem(json);
  if (unstorable) {
    issues.push({ path: `recipients.${index}`, message: unstorable });
    return undefined;
  }
  const data = parsed.data as Record<string, unknown> & { email: string };
  return { data, email: data.email, key: data.email.toLowerCase(), json };
}
