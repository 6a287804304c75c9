import { ValidationError } from '../../errors.js';
import { calculateNextRun, calculatePreviousRun } from '../../time/index.js';
import type { MissedRunPolicy } from './options.js';
import type { RecurringRunKind } from './tables.js';
import type { RecurringDisabledReason } from './types.js';

/*
 * When a campaign runs: pure functions of its schedule and an instant, so the rules can be
 * read (and tested) apart from SQL.
 */

export interface ScheduleSpec {
  scheduleCron: string;
  timezone: string;
  startAt: Date | null;
  endAt: Date | null;
  maxRuns: number | null;
  runCount: number;
}

export type NextRun = { nextRunAt: Date; ended: null } | { nextRunAt: null; ended: RecurringDisabledReason };

/** The first occurrence strictly after `after` the campaign may still make, or why there is none. */
export function nextRunAfter(spec: ScheduleSpec, after: Date): NextRun {
  if (spec.maxRuns !== null && spec.runCount >= spec.maxRuns) return { nextRunAt: null, ended: 'maxRuns' };
  // startAt itself is allowed to be an occurrence, hence the millisecond before it.
  const from =
    spec.startAt && spec.startAt.getTime() > after.getTime() ? new Date(spec.startAt.getTime() - 1) : after;
  let next: Date;
  try {
    next = calculateNextRun(spec.scheduleCron, spec.timezone, from);
  } catch (error) {
    // The time functions say "no run before 9999-12-31" with a ValidationError.
    if (error instanceof ValidationError) return { nextRunAt: null, ended: 'exhausted' };
    throw error;
  }
  if (spec.endAt && next.getTime() > spec.endAt.getTime()) return { nextRunAt: null, ended: 'endAt' };
  return { nextRunAt: next, ended: null };
}

export interface ClaimSettings {
  policy: MissedRunPolicy;
  maxLatenessMs: number | null;
  catchUpLimit: number;
  missedAfterMs: number;
}

export interface PlannedOccurrence {
  scheduledAt: Date;
  kind: Exclude<RecurringRunKind, 'manual'>;
}

export interface SkippedOccurrence extends PlannedOccurrence {
  reason: string;
}

export interface ClaimPlan {
  /** Occurrences to run, oldest first. */
  runs: PlannedOccurrence[];
  /** Occurrences recorded as skipped, oldest first. */
  skipped: SkippedOccurrence[];
  /** The campaign's next occurrence after this claim, or why it ended. */
  next: NextRun;
}

/**
 * Skipped occurrences recorded per claim. A long outage of a frequent schedule has more
 * missed occurrences than anyone wants rows for; past this, the oldest recorded one says
 * that earlier ones were skipped unrecorded.
 */
export const SKIPPED_RECORD_LIMIT = 100;

/**
 * What to do with a campaign whose next occurrence `due` has come at `now`: every occurrence
 * in [due, min(now, endAt)] is run or skipped, then the schedule continues strictly after
 * `now` (never backfilling further).
 *
 * - An occurrence picked up at most `missedAfterMs` after its instant is on time and runs.
 * - A later one is missed and follows the policy: `all` runs it (a catch-up), `latest` runs it
 *   only if it is the newest due occurrence, `skip` skips it.
 * - With `maxLatenessMs`, an occurrence later than that is stale and skipped, whatever the policy.
 * - At most `catchUpLimit` occurrences run per claim and no more than `maxRuns` allows; the
 *   newest are kept, the older ones skipped with the reason.
 */
export function planClaim(spec: ScheduleSpec, due: Date, now: Date, settings: ClaimSettings): ClaimPlan {
  const windowEnd = spec.endAt && spec.endAt.getTime() < now.getTime() ? spec.endAt : now;
  const scanLimit = settings.catchUpLimit + SKIPPED_RECORD_LIMIT;
  // Newest first: a bounded walk back from the end of the window, so a year-long outage of
  // an every-minute schedule costs the same as a short one.
  const newestFirst: Date[] = [];
  let cursor = calculatePreviousRun(spec.scheduleCron, spec.timezone, windowEnd);
  while (cursor && cursor.getTime() >= due.getTime() && newestFirst.length < scanLimit) {
    newestFirst.push(cursor);
    cursor = calculatePreviousRun(spec.scheduleCron, spec.timezone, new Date(cursor.getTime() - 1));
  }
  const olderUnrecorded = cursor !== null && cursor.getTime() >= due.getTime();
  const occurrences = newestFirst.reverse();
  const newest = occurrences[occurrences.length - 1];

  type Decision = PlannedOccurrence & { reason: string | null };
  const decisions: Decision[] = occurrences.map((scheduledAt) => {
    const lateness = now.getTime() - scheduledAt.getTime();
    const kind = lateness > settings.missedAfterMs ? 'catch-up' : 'scheduled';
    if (settings.maxLatenessMs !== null && lateness > settings.maxLatenessMs) {
      return {
        scheduledAt,
        kind,
        reason: `stale: picked up ${lateness} ms after its instant, more than maxLatenessMs (${settings.maxLatenessMs})`,
      };
    }
    if (kind === 'scheduled' || settings.policy === 'all') return { scheduledAt, kind, reason: null };
    if (settings.policy === 'skip') {
      return { scheduledAt, kind, reason: `missed by ${lateness} ms (missedRunPolicy 'skip')` };
    }
    return scheduledAt === newest
      ? { scheduledAt, kind, reason: null }
      : {
          scheduledAt,
          kind,
          reason: `missed; superseded by the occurrence at ${newest!.toISOString()} (missedRunPolicy 'latest')`,
        };
  });

  const remaining = spec.maxRuns === null ? Infinity : Math.max(0, spec.maxRuns - spec.runCount);
  let kept = 0;
  for (let i = decisions.length - 1; i >= 0; i--) {
    const decision = decisions[i]!;
    if (decision.reason !== null) continue;
    if (kept >= settings.catchUpLimit) {
      decision.reason = `more than catchUpLimit (${settings.catchUpLimit}) occurrences were due at once; the newest ran`;
    } else if (kept >= remaining) {
      decision.reason = `maxRuns (${spec.maxRuns}) reached`;
    } else {
      kept += 1;
    }
  }

  const runs: PlannedOccurrence[] = [];
  const skipped: SkippedOccurrence[] = [];
  for (const { scheduledAt, kind, reason } of decisions) {
    if (reason === null) runs.push({ scheduledAt, kind });
    else skipped.push({ scheduledAt, kind, reason });
  }
  if (olderUnrecorded && skipped[0]) {
    skipped[0].reason += `; earlier occurrences back to ${due.toISOString()} were skipped without a record`;
  }
  const next = nextRunAfter({ ...spec, runCount: spec.runCount + runs.length }, now);
  return { runs, skipped, next };
}
