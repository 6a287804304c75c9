import { ZoneId, type ZoneRules } from '@js-joda/core';
// Side-effect import: registers the bundled IANA tz database with @js-joda/core.
import '@js-joda/timezone';
import { InvalidTimezoneError } from '../errors.js';
import { DAY_MS, HOUR_MS, formatLocalMs } from './calendar.js';
import { parseLocalDate, parseLocalDateTime, parseTimeOfDay } from './local-time.js';
import { describe, instantMs, resultDate } from './validate.js';

/**
 * Every IANA name the bundled tz database knows: canonical zones, backward-compatible links
 * (`US/Eastern`, `Asia/Calcutta`), `UTC`, `GMT` and `Etc/*`. Fixed offsets such as '+05:30'
 * or 'UTC+1' (which js-joda's ZoneId.of would also accept) are deliberately not in it: a
 * fixed offset is not a place and silently ignores the DST its users live by.
 */
const ZONE_NAMES: ReadonlySet<string> = new Set(ZoneId.getAvailableZoneIds());

/**
 * Half-width of the window around a local time in which its instants are searched. Any
 * instant whose wall clock reads L lies within [L - 14 h, L + 12 h] (UTC offsets span
 * -12..+14 h). In the bundled data (from 1900 on) two offset changes in one zone are always
 * at least 166 hours apart, so a 52-hour window holds at most one transition; the resolution
 * below relies on that.
 */
export const TRANSITION_WINDOW_MS = 26 * HOUR_MS;

/** A validated zone with a fast offset lookup. */
export interface Zone {
  readonly id: string;
  /** UTC offset in milliseconds at an instant (epoch ms). */
  offsetAt(epochMs: number): number;
}

class RulesZone implements Zone {
  readonly id: string;
  readonly #rules: ZoneRules;

  constructor(id: string, rules: ZoneRules) {
    this.id = id;
    this.#rules = rules;
  }

  offsetAt(epochMs: number): number {
    return this.#rules.offsetOfEpochMilli(epochMs).totalSeconds() * 1000;
  }
}

class FixedZone implements Zone {
  readonly id: string;
  readonly #offsetMs: number;

  constructor(id: string, offsetMs: number) {
    this.id = id;
    this.#offsetMs = offsetMs;
  }

  offsetAt(): number {
    return this.#offsetMs;
  }
}

const zones = new Map<string, Zone>();

export function isValidTimezone(zone: unknown): zone is string {
  return typeof zone === 'string' && ZONE_NAMES.has(zone);
}

/**
 * Throws InvalidTimezoneError unless `zone` is an IANA zone name known to the bundled tz
 * database (including links such as 'US/Eastern', and 'UTC', 'GMT', 'Etc/GMT-5').
 * Fixed offsets ('+05:30', 'UTC+1'), empty strings and non-strings are rejected; the
 * message says what is wrong and suggests a close name for a typo.
 */
export function assertValidTimezone(zone: unknown): asserts zone is string {
  if (isValidTimezone(zone)) return;
  if (typeof zone !== 'string') {
    throw new InvalidTimezoneError(
      describe(zone),
      `timezone must be a string (an IANA zone name), got ${describe(zone)}`,
    );
  }
  if (zone.trim() === '') throw new InvalidTimezoneError(zone, 'timezone must not be empty');
  throw new InvalidTimezoneError(zone, unknownZoneMessage(zone));
}

/** The validated zone handle for a name; cached because js-joda builds rule objects lazily. */
export function getZone(timezone: unknown): Zone {
  if (typeof timezone === 'string') {
    const cached = zones.get(timezone);
    if (cached) return cached;
  }
  assertValidTimezone(timezone);
  const rules = ZoneId.of(timezone).rules();
  const zone = rules.isFixedOffset()
    ? new FixedZone(timezone, rules.offsetOfEpochMilli(0).totalSeconds() * 1000)
    : new RulesZone(timezone, rules);
  zones.set(timezone, zone);
  return zone;
}

function unknownZoneMessage(zone: string): string {
  const base = `unknown timezone '${zone}'`;
  if (/^(?:UTC|GMT|UT)?\s*[+-]\d/i.test(zone) || zone === 'Z') {
    return `${base}: fixed UTC offsets are not accepted; use an IANA zone name such as 'Asia/Kolkata', or 'UTC'`;
  }
  const suggestion = suggestZone(zone);
  return suggestion
    ? `${base}; did you mean '${suggestion}'?`
    : `${base} (expected an IANA zone name such as 'Europe/Berlin')`;
}

let lowerCaseNames: Map<string, string> | undefined;

function suggestZone(zone: string): string | undefined {
  lowerCaseNames ??= new Map([...ZONE_NAMES].map((name) => [name.toLowerCase(), name]));
  const wanted = zone.trim().toLowerCase().replace(/ /g, '_');
  const exact = lowerCaseNames.get(wanted);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const [lower, name] of lowerCaseNames) {
    if (Math.abs(lower.length - wanted.length) >= bestDistance) continue;
    const d = editDistance(lower, wanted, bestDistance);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot stay below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return previous[b.length] ?? limit;
}

/**
 * How a local wall-clock reading maps to instants in a zone.
 * - `unique`: exactly one instant.
 * - `gap`: none (spring-forward); `instant` is the reading moved forward by the gap's length.
 * - `overlap`: two (fall-back); `instant` is the earlier one, `later` the second pass.
 */
export interface LocalResolution {
  kind: 'unique' | 'gap' | 'overlap';
  /** The instant the gap/overlap rule picks (js-joda `ZonedDateTime.of` semantics). */
  instant: number;
  /** The second-pass instant of an overlap; equal to `instant` otherwise. */
  later: number;
  /** Offsets before and after the (at most one) transition within a day of the reading; equal when there is none. */
  offsetBefore: number;
  offsetAfter: number;
}

/** Resolves local milliseconds in a zone by the gap/overlap rule (see {@link LocalResolution}). */
export function resolveLocal(zone: Zone, localMs: number): LocalResolution {
  const before = zone.offsetAt(localMs - TRANSITION_WINDOW_MS);
  const after = zone.offsetAt(localMs + TRANSITION_WINDOW_MS);
  if (before === after) {
    const instant = localMs - before;
    return { kind: 'unique', instant, later: instant, offsetBefore: before, offsetAfter: after };
  }
  // One transition lies in the window: each side's offset yields a candidate instant that is
  // real only if that offset is in force at it.
  const early = localMs - before;
  const late = localMs - after;
  const earlyValid = zone.offsetAt(early) === before;
  const lateValid = zone.offsetAt(late) === after;
  if (earlyValid && lateValid) {
    return { kind: 'overlap', instant: early, later: late, offsetBefore: before, offsetAfter: after };
  }
  if (earlyValid || lateValid) {
    const instant = earlyValid ? early : late;
    return { kind: 'unique', instant, later: instant, offsetBefore: before, offsetAfter: after };
  }
  // In a gap neither candidate is real. Moving the reading forward by the gap's length and
  // reading it with the new offset lands on localMs + (after - before) - after = early.
  return { kind: 'gap', instant: early, later: early, offsetBefore: before, offsetAfter: after };
}

/** The rule's instant for local milliseconds (gap: shifted forward; overlap: earlier offset). */
export function localToInstant(zone: Zone, localMs: number): number {
  return resolveLocal(zone, localMs).instant;
}

export function instantToLocal(zone: Zone, epochMs: number): number {
  return epochMs + zone.offsetAt(epochMs);
}

/**
 * The instant of a local wall-clock time in a zone.
 *
 * A time that does not exist (inside a spring-forward gap) moves forward by the length of
 * the gap — '2025-03-09T02:30' in America/New_York is 03:30 EDT. A time that exists twice
 * (inside a fall-back overlap) takes the earlier offset — '2025-11-02T01:30' in
 * America/New_York is 01:30 EDT (05:30Z), not 01:30 EST. This is js-joda's
 * `ZonedDateTime.of(local, zone)`.
 *
 * @param localDateTime - 'YYYY-MM-DDTHH:mm' or 'YYYY-MM-DDTHH:mm:ss' (no offset, no zone).
 * @param timezone - IANA zone name.
 * @throws InvalidLocalTimeError for a malformed or impossible date-time ('2025-02-30T09:00').
 * @throws InvalidTimezoneError for an unknown zone.
 */
export function getUtcTimeForLocal(localDateTime: string, timezone: string): Date {
  const zone = getZone(timezone);
  const local = parseLocalDateTime(localDateTime, 'localDateTime');
  return resultDate(localToInstant(zone, local), 'localDateTime');
}

/** What {@link resolveLocalDateTime} found about a local reading. */
export interface LocalDateTimeResolution {
  /** The instant by the gap/overlap rule: what {@link getUtcTimeForLocal} returns. */
  instant: Date;
  /**
   * - `exact`: the reading occurs once.
   * - `gap`: it never occurs (spring-forward); `instant` is it moved forward by the gap's length.
   * - `overlap`: it occurs twice (fall-back); `instant` is the first, `laterInstant` the second.
   */
  kind: 'exact' | 'gap' | 'overlap';
  /** The second occurrence, for an overlap only. */
  laterInstant?: Date;
}

/**
 * {@link getUtcTimeForLocal} with the DST situation spelled out, for callers that report
 * it (e.g. "09:00 does not exist in this zone on that day; sent at 10:00").
 */
export function resolveLocalDateTime(localDateTime: string, timezone: string): LocalDateTimeResolution {
  const zone = getZone(timezone);
  const r = resolveLocal(zone, parseLocalDateTime(localDateTime, 'localDateTime'));
  const instant = resultDate(r.instant, 'localDateTime');
  if (r.kind === 'overlap')
    return { instant, kind: 'overlap', laterInstant: resultDate(r.later, 'localDateTime') };
  return { instant, kind: r.kind === 'gap' ? 'gap' : 'exact' };
}

/**
 * The wall-clock reading of an instant in a zone, as 'YYYY-MM-DDTHH:mm:ss' (milliseconds
 * are dropped). `toLocalDateTime(i, z).slice(0, 10)` is the local date.
 *
 * Note the round trip: `getUtcTimeForLocal(toLocalDateTime(i, z), z)` returns `i` (to the
 * second) except for instants in the second pass of a fall-back overlap, which map back to
 * the first pass.
 */
export function toLocalDateTime(instant: Date, timezone: string): string {
  const zone = getZone(timezone);
  const ms = instantMs(instant, 'instant');
  return formatLocalMs(instantToLocal(zone, ms));
}

export interface NextLocalTimeOptions {
  /**
   * 'YYYY-MM-DD': the first local date to try. When that date's time has already passed (is
   * before `after`), the next local date's is taken, and so on. Defaults to the local date
   * of `after` in the zone.
   */
  localDate?: string;
  /** When true, the result must be strictly after `after`; by default `after` itself qualifies. */
  strict?: boolean;
}

/**
 * The first instant at or after `after` (strictly after, with `strict`) at which it is
 * `timeOfDay` on the wall clock in `timezone`, trying the local date of `after` (or
 * `options.localDate`) first and then each following local date. Each date's time resolves
 * by the gap/overlap rule of {@link getUtcTimeForLocal}, so a time inside a spring-forward
 * gap is moved forward by the gap's length and a time inside a fall-back overlap is the first
 * pass — it fires once per local date.
 *
 * Example: 09:00 in each recipient's zone on 2025-06-02, or the next day where it is
 * already past: `nextLocalTime('09:00', zone, now, { localDate: '2025-06-02' })`.
 *
 * @throws InvalidLocalTimeError for a malformed `timeOfDay` ('HH:mm') or `localDate`.
 * @throws InvalidTimezoneError for an unknown zone.
 * @throws ValidationError when `after` is not a valid Date.
 */
export function nextLocalTime(
  timeOfDay: string,
  timezone: string,
  after: Date,
  options: NextLocalTimeOptions = {},
): Date {
  const zone = getZone(timezone);
  const { hour, minute } = parseTimeOfDay(timeOfDay, 'timeOfDay');
  const afterMs = instantMs(after, 'after');
  const firstDay =
    options.localDate === undefined
      ? undefined
      : Math.floor(parseLocalDate(options.localDate, 'localDate') / DAY_MS);
  return resultDate(nextLocalTimeMs(zone, hour, minute, afterMs, options.strict === true, firstDay), 'after');
}

/** See {@link nextLocalTime}; `firstDay` is a local day number (days since 1970-01-01). */
export function nextLocalTimeMs(
  zone: Zone,
  hour: number,
  minute: number,
  afterMs: number,
  strict: boolean,
  firstDay?: number,
): number {
  const afterDay = Math.floor(instantToLocal(zone, afterMs) / DAY_MS);
  // "Today, then the next local date": dates before the local date of `after` are not tried,
  // which also keeps a far-past localDate cheap.
  let day = firstDay === undefined || firstDay < afterDay ? afterDay : firstDay;
  const timeMs = (hour * 60 + minute) * 60_000;
  for (;;) {
    const instant = localToInstant(zone, day * DAY_MS + timeMs);
    if (strict ? instant > afterMs : instant >= afterMs) return instant;
    day++;
  }
}
