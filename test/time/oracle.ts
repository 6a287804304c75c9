/**
 * An independent oracle for zone behaviour, built only on the platform's Intl (ICU tz data)
 * and plain arithmetic — none of js-joda, cron-parser or src/time. Tests derive expected
 * fire times from the DST rules with it and compare them with the library.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
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
  return format;
}

const FORMATTED = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** UTC offset (ms) of `zone` at instant `ms` according to Intl. */
export function intlOffset(zone: string, ms: number): number {
  const text = formatFor(zone).format(ms);
  const m = FORMATTED.exec(text);
  if (!m) throw new Error(`unexpected Intl output '${text}'`);
  const local = Date.UTC(
    Number(m[3]),
    Number(m[1]) - 1,
    Number(m[2]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return local - Math.floor(ms / 1000) * 1000;
}

export interface Transition {
  /** Instant (epoch ms) at which `after` takes effect. */
  at: number;
  before: number;
  after: number;
}

/**
 * Every offset change of `zone` in [from, to), found by sampling Intl every `stepMs` and
 * bisecting each change to the second.
 */
export function scanTransitions(zone: string, from: number, to: number, stepMs = 15 * MINUTE): Transition[] {
  const found: Transition[] = [];
  // Whole-minute samples, so bisection lands on the whole second where the change happens.
  const start = Math.floor(from / MINUTE) * MINUTE;
  let previous = intlOffset(zone, start);
  for (let t = start + stepMs; t < to + stepMs; t += stepMs) {
    const current = intlOffset(zone, t);
    if (current === previous) continue;
    let lo = t - stepMs;
    let hi = t;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (intlOffset(zone, mid) === previous) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi, before: previous, after: current });
    previous = current;
  }
  return found;
}

/** Wall-clock fields of local milliseconds (plain Date UTC getters). */
export interface LocalFields {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

export function fieldsOf(localMs: number): LocalFields {
  const d = new Date(localMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

export function localMsOf(text: string): number {
  return Date.parse(`${text}Z`);
}

export function localText(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 19);
}

/** A zone's offsets over a range of instants, from one Intl scan. */
export class OracleZone {
  readonly zone: string;
  readonly from: number;
  readonly to: number;
  readonly transitions: Transition[];
  readonly initialOffset: number;
  readonly offsets: number[];

  constructor(zone: string, from: number, to: number, stepMs?: number) {
    this.zone = zone;
    this.from = from;
    this.to = to;
    this.initialOffset = intlOffset(zone, Math.floor(from / MINUTE) * MINUTE);
    this.transitions = scanTransitions(zone, from, to, stepMs);
    this.offsets = [...new Set([this.initialOffset, ...this.transitions.map((t) => t.after)])];
  }

  offsetAt(ms: number): number {
    if (ms < this.from || ms > this.to)
      throw new Error(`oracle asked outside its range: ${new Date(ms).toISOString()}`);
    let offset = this.initialOffset;
    for (const t of this.transitions) {
      if (t.at > ms) break;
      offset = t.after;
    }
    return offset;
  }

  localOf(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  /** Every instant whose wall clock reads `localMs`, ascending (none in a gap, two in an overlap). */
  instantsOf(localMs: number): number[] {
    const instants = this.offsets.map((o) => localMs - o).filter((i) => this.offsetAt(i) === localMs - i);
    return [...new Set(instants)].sort((a, b) => a - b);
  }

  /** The DST rule, stated directly: earliest real instant; in a gap, shifted forward by the gap. */
  ruleInstant(localMs: number): number {
    const instants = this.instantsOf(localMs);
    if (instants.length > 0) return instants[0] as number;
    const gap = this.transitions.find(
      (t) => t.after > t.before && t.at + t.before <= localMs && localMs < t.at + t.after,
    );
    if (!gap) throw new Error(`${this.zone}: ${localText(localMs)} has no instant and lies in no gap`);
    return localMs + (gap.after - gap.before) - gap.after;
  }
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
