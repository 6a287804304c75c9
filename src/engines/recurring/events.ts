import type { RecurringRunKind } from './tables.js';
import type { RecurringDisabledReason } from './types.js';

/** What every run event says about the run. */
export interface RecurringRunEvent {
  campaignId: number;
  runId: number;
  kind: RecurringRunKind;
  /** The occurrence's instant (a manual run: when it was requested). */
  scheduledAt: Date;
}

/** Events the recurring engine publishes (merged into TickworkEvents). A type alias, as mitt needs an index signature. */
export type RecurringEvents = {
  /** A resolution attempt of a run began (again on each retry). */
  'recurring:started': RecurringRunEvent & { attempt: number; firedAt: Date };
  /** The run's recipients were resolved and their messages queued. */
  'recurring:completed': RecurringRunEvent & {
    firedAt: Date;
    recipientCount: number;
    invalidCount: number;
    duplicateCount: number;
    /** Messages newly queued (fewer than recipientCount only when a crashed attempt had queued some). */
    enqueued: number;
  };
  /** Resolving the recipients failed; `willRetry` says whether another attempt is scheduled. */
  'recurring:failed': RecurringRunEvent & {
    error: string;
    attempt: number;
    willRetry: boolean;
    nextAttemptAt: Date | null;
  };
  /** An occurrence was not run (missed-run policy, maxLatenessMs, catch-up limit or maxRuns). */
  'recurring:skipped': RecurringRunEvent & { reason: string };
  /** The engine disabled a campaign: maxRuns or endAt reached, or the schedule has no further run. */
  'recurring:ended': { campaignId: number; reason: RecurringDisabledReason; at: Date };
};
