import { DAY_MS, HOUR_MS } from './calendar.js';
import { parseTimeOfDay } from './local-time.js';
import { getZone, instantToLocal, localToInstant, nextLocalTimeMs } from './timezone.js';
import { instantMs, nonNegativeInteger, resultDate } from './validate.js';

/** Input of {@link calculateStepSendTime}. */
export interface StepSendTimeInput {
  /** The previous step's send instant (the enrollment instant for the first step). */
  base: Date;
  /** The recipient's IANA zone: calendar days and `sendTime` are read in it. */
  timezone: string;
  /** Whole calendar days in the zone, 0-36500. */
  delayDays: number;
  /** Whole elapsed hours, added after the days, 0-876000. */
  delayHours: number;
  /** Optional local time of day 'HH:mm'; null or undefined for "no send time". */
  sendTime?: string | null;
}

const MAX_DELAY_DAYS = 36_500;
const MAX_DELAY_HOURS = 876_000;

/**
 * When a sequence step is due.
 *
 * 1. `delayDays` calendar days in the zone after `base`: the same wall-clock time on the
 *    local date `delayDays` later, resolved by the gap/overlap rule (a time in a
 *    spring-forward gap moves forward by the gap; in a fall-back overlap it takes the first
 *    pass). So a step sent at 09:00 local is followed "1 day later" at 09:00 local, also
 *    across a DST change. With `delayDays` 0 this point is `base` itself.
 * 2. plus `delayHours` elapsed hours (real time: across a spring-forward night "12 hours"
 *    is still 12 hours).
 * 3. if `sendTime` is given: the first `sendTime` on the wall clock at or after that point —
 *    that local date's `sendTime` (resolved by the same rule) if it is not before the point,
 *    otherwise the next local date's.
 *
 * @throws ValidationError naming the field (`base`, `delayDays`, `delayHours`),
 *   InvalidTimezoneError, or InvalidLocalTimeError (`sendTime`).
 */
export function calculateStepSendTime(input: StepSendTimeInput): Date {
  const zone = getZone(input.timezone);
  const baseMs = instantMs(input.base, 'base');
  const delayDays = nonNegativeInteger(input.delayDays, 'delayDays', MAX_DELAY_DAYS);
  const delayHours = nonNegativeInteger(input.delayHours, 'delayHours', MAX_DELAY_HOURS);
  const sendTime =
    input.sendTime === undefined || input.sendTime === null
      ? undefined
      : parseTimeOfDay(input.sendTime, 'sendTime');

  // With no days to add, re-resolving base's own reading would move an instant in an
  // overlap's second pass back to the first pass — before base.
  let point =
    delayDays === 0 ? baseMs : localToInstant(zone, instantToLocal(zone, baseMs) + delayDays * DAY_MS);
  point += delayHours * HOUR_MS;
  if (sendTime) point = nextLocalTimeMs(zone, sendTime.hour, sendTime.minute, point, false);
  return resultDate(point, 'delayDays');
}
