/*
 * Expected send instants for the batch tests, from the platform's Intl (ICU tz data) and
 * plain arithmetic only — none of js-joda or src/time — so the engine is checked against an
 * independent source.
 */

const formats = new Map<string, Intl.DateTimeFormat>();
const FORMATTED = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** UTC offset (ms) of `zone` at instant `ms`, by Intl. */
export function intlOffset(zone: string, ms: number): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const m = FORMATTED.exec(format.format(ms));
  if (!m) throw new Error(`unexpected Intl output for ${zone}`);
  const local = Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!, +m[6]!);
  return local - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `zone` reads `date`T`time`, for a reading that
 * exists exactly once (no DST change near it); throws otherwise, so a test cannot silently
 * compare against a wrong expectation.
 */
export function intlInstant(date: string, time: string, zone: string): number {
  const wall = Date.parse(`${date}T${time}:00Z`);
  const candidates = new Set<number>();
  for (const probe of [wall - 14 * 3600_000, wall, wall + 12 * 3600_000]) {
    const instant = wall - intlOffset(zone, probe);
    if (instant + intlOffset(zone, instant) === wall) candidates.add(instant);
  }
  if (candidates.size !== 1) throw new Error(`${date}T${time} in ${zone} is not a unique local time`);
  return [...candidates][0]!;
}
