import { getUtcTimeForLocal, isValidTimezone, nextLocalTime, toLocalDateTime } from '../../time/index.js';
import type { BatchTarget, BatchTimezone, PastTargetPolicy } from './types.js';

/*
 * Pure planning: where each zone's recipients go. A zone's plan depends only on the target,
 * the policy and `now`, so it is computed once per zone, however many recipients live there.
 */

/** Where one zone's recipients are sent. */
export interface ZonePlan {
  timezone: string;
  /** Epoch ms of the send (for a skipped zone: of the target that had passed). */
  instant: number;
  skipped: boolean;
  pastTarget: PastTargetPolicy | null;
  localDateTime: string;
  dst: BatchTimezone['dst'];
  /** Recipients sharing a key share a batch: same instant, and sending or skipped. */
  batchKey: string;
}

/** DST shifts in the tz database are 30 minutes (Lord Howe), 1 hour, or 2 hours (Troll). */
const DST_SHIFTS_MS = [30 * 60_000, 60 * 60_000, 120 * 60_000];

export function planZone(
  timezone: string,
  target: BatchTarget,
  policy: PastTargetPolicy,
  now: Date,
): ZonePlan {
  let instant: Date;
  let pastTarget: PastTargetPolicy | null = null;
  if (target.date === null) {
    // No date: each zone's next occurrence, which is never in the past.
    instant = nextLocalTime(target.time, timezone, now);
  } else {
    instant = getUtcTimeForLocal(`${target.date}T${target.time}`, timezone);
    if (instant.getTime() < now.getTime()) {
      pastTarget = policy;
      if (policy === 'next-day')
        instant = nextLocalTime(target.time, timezone, now, { localDate: target.date });
      else if (policy === 'send-now') instant = now;
    }
  }
  const skipped = pastTarget === 'skip';
  const localDateTime = toLocalDateTime(instant, timezone);
  const dst = pastTarget === 'send-now' ? null : dstResolution(instant, timezone, target.time, localDateTime);
  const ms = instant.getTime();
  return {
    timezone,
    instant: ms,
    skipped,
    pastTarget,
    localDateTime,
    dst,
    batchKey: `${skipped ? 'skip' : 'send'}:${ms}`,
  };
}

/**
 * Whether the target time fell into a DST gap (the send reads later on the wall clock than
 * asked) or an overlap (the same reading comes round again a DST shift later).
 */
function dstResolution(
  instant: Date,
  timezone: string,
  time: string,
  localDateTime: string,
): BatchTimezone['dst'] {
  if (localDateTime.slice(11, 16) !== time) return 'gap';
  for (const shift of DST_SHIFTS_MS) {
    if (toLocalDateTime(new Date(instant.getTime() + shift), timezone) === localDateTime) return 'overlap';
  }
  return null;
}

/** The zone a recipient is sent in, and why it is not their own when it is not. */
export function recipientZone(
  given: unknown,
  fallback: string,
): { timezone: string; fallback: null | 'missing' | 'invalid' } {
  if (given === undefined || given === null || given === '')
    return { timezone: fallback, fallback: 'missing' };
  if (isValidTimezone(given)) return { timezone: given, fallback: null };
  return { timezone: fallback, fallback: 'invalid' };
}
