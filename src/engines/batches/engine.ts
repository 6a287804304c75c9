import type { EngineContext, TickPhase } from '../../scheduler/engine.js';
import { ValidationError } from '../../errors.js';
import { isPlainObject, parseInput, parseNow } from '../../validation.js';
import { cancelBatch, cancelCampaignBatches, getBatch, listBatchRecipients, listBatches } from './api.js';
import { createBatches, type BatchRecipientsSource, type CreateBatchesRequest } from './create.js';
import { processScheduledBatches, type BatchPhaseSummary } from './phase.js';
import {
  batchEngineOptionsSchema,
  type BatchEngineOptions,
  type BatchMessageInput,
  type BatchTargetInput,
  type CancelBatchInput,
  type IdInput,
  type ListBatchRecipientsInput,
  type ListBatchesInput,
} from './schemas.js';
import type {
  BatchRecipientRecord,
  BatchRecord,
  CancelCampaignResult,
  CreateBatchesResult,
  Page,
  PastTargetPolicy,
} from './types.js';

export type { BatchEngineOptions } from './schemas.js';

/** Per-call options of createTimezoneBatches. */
export interface CreateTimezoneBatchesOptions {
  /** Subject, templateId, cc, bcc of every message; without a subject the host renders from `origin.campaignId`. */
  message?: BatchMessageInput;
  /** Overrides `options.batches.pastTargetPolicy` for this call. */
  pastTargetPolicy?: PastTargetPolicy;
  /** Overrides `options.batches.fallbackTimezone` for this call. */
  fallbackTimezone?: string;
}

/** `scheduler.batches`: one campaign delivered at a local time in each recipient's own timezone. */
export interface BatchApi {
  /**
   * Groups the recipients by the instant at which it is `target` local time in their zone and
   * stores one batch per instant. Idempotent per (campaignId, target): an identical repeat
   * returns the first result (`replayed: true`); a different request for the same key is a
   * ConflictError until every batch of the first was cancelled before sending anything.
   */
  createTimezoneBatches(
    campaignId: IdInput,
    recipients: BatchRecipientsSource,
    target: BatchTargetInput,
    options?: CreateTimezoneBatchesOptions,
  ): Promise<CreateBatchesResult>;
  /** createTimezoneBatches with everything in one object (the body of `POST /batches`). */
  create(input: CreateBatchesRequest): Promise<CreateBatchesResult>;
  get(id: IdInput): Promise<BatchRecord>;
  list(filter?: ListBatchesInput): Promise<Page<BatchRecord>>;
  /** The recipients of a batch in input order, with each one's outbox status. */
  listRecipients(id: IdInput, page?: ListBatchRecipientsInput): Promise<Page<BatchRecipientRecord>>;
  /** Stops a batch's sends; returns the batch as it is afterwards. */
  cancel(id: IdInput, options?: CancelBatchInput): Promise<BatchRecord>;
  /** Stops the sends of every batch of a campaign. */
  cancelCampaign(campaignId: IdInput, options?: CancelBatchInput): Promise<CancelCampaignResult>;
  /** The tick phase, callable on its own: enqueues due batches within `maxRecipientsPerTick`. */
  processScheduledBatches(now: Date): Promise<BatchPhaseSummary>;
}

export interface BatchEngine {
  api: BatchApi;
  phase: TickPhase;
}

export function createBatchEngine(
  context: EngineContext,
  options: BatchEngineOptions | undefined,
): BatchEngine {
  const settings = parseInput(batchEngineOptionsSchema, options ?? {}, 'options.batches');
  const process = (now: Date) => processScheduledBatches(context, settings, now);
  const api: BatchApi = {
    createTimezoneBatches: async (campaignId, recipients, target, callOptions = {}) => {
      if (!isPlainObject(callOptions)) {
        throw ValidationError.field(
          'options',
          'must be an object with message, pastTargetPolicy or fallbackTimezone',
        );
      }
      return createBatches(context, settings, { ...callOptions, campaignId, recipients, target });
    },
    create: (input) => {
      if (!input || typeof input !== 'object') {
        return Promise.reject(ValidationError.field('', 'must be an object'));
      }
      return createBatches(context, settings, input);
    },
    get: (id) => getBatch(context, id),
    list: (filter) => listBatches(context, filter),
    listRecipients: (id, page) => listBatchRecipients(context, id, page),
    cancel: (id, cancelOptions) => cancelBatch(context, id, cancelOptions),
    cancelCampaign: (campaignId, cancelOptions) => cancelCampaignBatches(context, campaignId, cancelOptions),
    processScheduledBatches: async (now) => process(parseNow(now)),
  };
  return { api, phase: { name: 'batches', run: process } };
}
