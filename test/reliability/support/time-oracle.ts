/*
 * An oracle for the engine workloads' expected deliveries, independent of the code under test:
 * wall clocks are read through the platform's own time-zone data (Intl.DateTimeFormat, i.e.
 * ICU), not through the js-joda rules tickwork uses, and cron expressions are matched by the
 * small matcher below, not by cron-parser.
 *
 * It does not model DST gaps and overlaps. Instead it refuses them: every function that turns
 * a wall-clock reading into instants checks that the zone keeps one UTC offset over the
 * stretch it looks at, and throws otherwise. The harness spans are placed away from DST
 * changes, so within them a reading names exactly one instant and every instant one reading.
 */

import { fieldsOf, intlInstant, intlOffset, type LocalFields } from '../../time/oracle.js';

/** A wall-clock reading; `weekday` 0 = Sunday ... 6 = Saturday. */
export type WallClock = LocalFields;

const MINUTE_MS = 60_000;

/** The reading of `zone`'s wall clock at epoch ms `ms` (to the second). */
export function wallClock(zone: string, ms: number): WallClock {
  const whole = Math.floor(ms / 1000) * 1000;
  return fieldsOf(whole + intlOffset(zone, whole));
}

function readingAsUtcMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/**
 * The zone's UTC offset over [fromMs, toMs]; throws if it changes anywhere in it (sampled every
 * 15 minutes, finer than any offset change in the tz database can come and go).
 */
export function constantOffset(zone: string, fromMs: number, toMs: number): number {
  const offset = intlOffset(zone, fromMs);
  for (let t = fromMs; ; t = Math.min(t + 15 * MINUTE_MS, toMs)) {
    if (intlOffset(zone, t) !== offset) {
      throw new Error(
        `${zone} changes its UTC offset between ${new Date(fromMs).toISOString()} and ` +
          `${new Date(toMs).toISOString()}: the oracle does not model DST changes; move the span`,
      );
    }
    if (t >= toMs) return offset;
  }
}

/** 'YYYY-MM-DD' of the zone's wall clock at `ms`. */
export function localDate(zone: string, ms: number): string {
  const w = wallClock(zone, ms);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/** The first instant at or after `fromMs` at which `zone`'s wall clock reads `time` ('HH:mm'). */
export function nextLocalTime(zone: string, time: string, fromMs: number, firstDate?: string): number {
  let date = firstDate ?? localDate(zone, fromMs);
  for (let i = 0; i < 4; i++) {
    // Throws on a DST gap or overlap, which the harness spans avoid.
    const instant = intlInstant(date, time, zone);
    if (instant >= fromMs) return instant;
    date = addDays(date, 1);
  }
  throw new Error(`no ${time} in ${zone} at or after ${new Date(fromMs).toISOString()} within 4 days`);
}

export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

// --- cron --------------------------------------------------------------------------------

interface Field {
  values: ReadonlySet<number>;
  /** Anything but a bare `*` or `?` (for the day-of-month / day-of-week OR rule). */
  restricted: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function field(text: string, min: number, max: number, names?: readonly string[], base = 0): Field {
  const values = new Set<number>();
  const value = (token: string): number => {
    const named = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + base : Number(token);
    if (!/^\w+$/.test(token) || !Number.isInteger(n) || n < min || n > max) {
      throw new Error(`the oracle's cron matcher does not understand '${token}' in '${text}'`);
    }
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in cron field '${text}'`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [lo, hi] = [value(a), value(b)];
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted: text !== '*' && text !== '?' };
}

/**
 * Every instant in (afterMs, untilMs] at which `cron` fires in `zone`. Supports 5 or 6 fields
 * (a leading seconds field) of numbers, names, ranges, steps and lists, and the @ macros;
 * anything else throws. Both day fields restricted: a day matching either runs (Vixie cron).
 */
export function cronOccurrences(cron: string, zone: string, afterMs: number, untilMs: number): number[] {
  const text = MACROS[cron.trim()] ?? cron.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new Error(`'${cron}' has neither 5 nor 6 fields`);
  const [secondText, ...rest] = parts.length === 6 ? parts : ['0', ...parts];
  const [minuteText, hourText, domText, monthText, dowText] = rest as [
    string,
    string,
    string,
    string,
    string,
  ];
  const seconds = field(secondText!, 0, 59);
  const minutes = field(minuteText, 0, 59);
  const hours = field(hourText, 0, 23);
  const dom = field(domText, 1, 31);
  const months = field(monthText, 1, 12, MONTHS, 1);
  const dowRaw = field(dowText, 0, 7, DAYS);
  const dow = new Set([...dowRaw.values].map((d) => d % 7));

  const offset = constantOffset(zone, afterMs, untilMs);
  const out: number[] = [];
  for (let minute = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS; minute <= untilMs; minute += MINUTE_MS) {
    const w = wallClock(zone, minute);
    if (readingAsUtcMs(w) - minute !== offset) throw new Error(`${zone}: offset changed inside the span`);
    if (!minutes.values.has(w.minute) || !hours.values.has(w.hour) || !months.values.has(w.month)) continue;
    const domMatch = dom.values.has(w.day);
    const dowMatch = dow.has(w.weekday);
    const dayMatch = dom.restricted && dowRaw.restricted ? domMatch || dowMatch : domMatch && dowMatch;
    if (!dayMatch) continue;
    for (const s of [...seconds.values].sort((a, b) => a - b)) {
      const at = minute + s * 1000;
      if (at > afterMs && at <= untilMs) out.push(at);
    }
  }
  return out;
}
