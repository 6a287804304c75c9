import type { BatchStatus } from './types.js';

/** Identifies the batch in every batch event. */
export interface BatchEventBase {
  batchId: number;
  campaignId: number | null;
  requestId: number | null;
  scheduledFor: Date;
}

/** Events the batches engine publishes (merged into TickworkEvents). A type alias, as mitt needs an index signature. */
export type BatchEvents = {
  /** One per batch a createTimezoneBatches call made (not on a replay). */
  'batch:created': BatchEventBase & {
    status: 'pending' | 'skipped';
    recipientCount: number;
    timezones: string[];
  };
  /** A tick began putting the batch's recipients in the outbox (pending → processing). */
  'batch:started': BatchEventBase & { startedAt: Date; recipientCount: number };
  /** Every recipient is in the outbox (processing → done); sending goes on in the delivery phase. */
  'batch:completed': BatchEventBase & { completedAt: Date; enqueuedCount: number };
  'batch:cancelled': BatchEventBase & {
    previousStatus: BatchStatus;
    reason: string;
    enqueuedCount: number;
    /** Outbox rows stopped before being sent. */
    deliveriesCancelled: number;
  };
};
