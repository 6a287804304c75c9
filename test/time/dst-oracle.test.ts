/**
 * The DST rules checked against an independent oracle: every transition of 2025-2027 in
 * zones chosen for their quirks is found by scanning Intl (the platform's ICU tz data) every
 * 15 minutes, and expected fire times are derived from the rules in plain code.
 */
import { describe, expect, it } from 'vitest';
import { calculateNextRun, getUtcTimeForLocal, toLocalDateTime } from '../../src/time/index.js';
import { DAY, HOUR, MINUTE, OracleZone, fieldsOf, localText, type LocalFields } from './oracle.js';

const RANGE_FROM = Date.UTC(2024, 11, 28);
const RANGE_TO = Date.UTC(2028, 0, 4);

/** Zones with transitions in 2025-2027: 6 each (one spring, one autumn per year). */
const DST_ZONES = [
  'America/New_York',
  'Europe/London',
  'Europe/Dublin', // "negative DST" in tzdata: winter is the offset-reduced period
  'America/St_Johns', // -03:30 / -02:30
  'Australia/Lord_Howe', // 30-minute shift
  'Pacific/Chatham', // +12:45 / +13:45, transitions at 02:45 / 03:45
  'Australia/Sydney',
  'Pacific/Auckland',
  'America/Santiago', // transitions at 24:00
  'America/Havana', // transitions at 00:00 / 01:00
  'Asia/Beirut', // transitions at 00:00
  'Africa/Cairo', // transitions at 00:00
  'Atlantic/Azores', // transitions at 00:00 / 01:00
  'America/Nuuk', // spring gap 23:00-24:00
  'Pacific/Easter', // transitions at 22:00
  'Africa/Casablanca', // Ramadan: offset drops to +00 and back, the "spring" in February
  'Asia/Gaza', // transition dates set yearly
  'Antarctica/Troll', // 2-hour shift
] as const;

/** Zones without transitions in 2025-2027 (never had DST, or abolished it). */
const STEADY_ZONES = [
  'Asia/Kathmandu', // +05:45
  'Australia/Eucla', // +08:45
  'America/Asuncion', // abolished DST in October 2024
  'America/Sao_Paulo', // abolished 2019
  'Asia/Tehran', // abolished 2022
  'Europe/Istanbul', // abolished 2016
  'America/Mexico_City', // abolished 2022
  'Pacific/Kiritimati', // +14
  'Etc/GMT+12', // -12
  'UTC',
] as const;

const ALL_ZONES = [...DST_ZONES, ...STEADY_ZONES];

const oracles = new Map<string, OracleZone>();
function oracle(zone: string): OracleZone {
  let o = oracles.get(zone);
  if (!o) {
    o = new OracleZone(zone, RANGE_FROM, RANGE_TO);
    oracles.set(zone, o);
  }
  return o;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Library fires in (from, to], by repeated calculateNextRun. */
function libraryFires(expr: string, zone: string, from: number, to: number): string[] {
  const fires: string[] = [];
  let cursor = new Date(from);
  for (;;) {
    cursor = calculateNextRun(expr, zone, cursor);
    if (cursor.getTime() > to) return fires;
    fires.push(cursor.toISOString());
    if (fires.length > 10_000) throw new Error('runaway');
  }
}

interface FixedSchedule {
  expr: string;
  /** [hour, minute, second] local times of day. */
  times: [number, number, number][];
  weekday?: number;
}

interface ElapsedSchedule {
  expr: string;
  matches: (f: LocalFields) => boolean;
}

const FIXED: FixedSchedule[] = [
  { expr: '30 2 * * *', times: [[2, 30, 0]] },
  { expr: '30 1 * * *', times: [[1, 30, 0]] },
  { expr: '0 0 * * *', times: [[0, 0, 0]] },
  { expr: '30 23 * * *', times: [[23, 30, 0]] },
  {
    expr: '0 2,3 * * *',
    times: [
      [2, 0, 0],
      [3, 0, 0],
    ],
  },
  {
    expr: '15,40 2 * * *',
    times: [
      [2, 15, 0],
      [2, 40, 0],
    ],
  },
  { expr: '45 2 * * *', times: [[2, 45, 0]] },
  {
    expr: '0 1,2 * * *',
    times: [
      [1, 0, 0],
      [2, 0, 0],
    ],
  },
  { expr: '30 30 2 * * *', times: [[2, 30, 30]] },
  { expr: '0 9 * * 1', times: [[9, 0, 0]], weekday: 1 },
  { expr: '0 0 * * 0', times: [[0, 0, 0]], weekday: 0 },
];

const ELAPSED: ElapsedSchedule[] = [
  { expr: '*/15 * * * *', matches: (f) => f.minute % 15 === 0 },
  { expr: '0 */2 * * *', matches: (f) => f.minute === 0 && f.hour % 2 === 0 },
  { expr: '30 * * * *', matches: (f) => f.minute === 30 },
  { expr: '*/20 0-3 * * *', matches: (f) => f.minute % 20 === 0 && f.hour <= 3 },
  { expr: '0 1-2 * * *', matches: (f) => f.minute === 0 && (f.hour === 1 || f.hour === 2) },
  { expr: '*/30 22-23 * * *', matches: (f) => f.minute % 30 === 0 && f.hour >= 22 },
  { expr: '45 * * * 0', matches: (f) => f.minute === 45 && f.weekday === 0 },
];

/** The rule for a fixed-time schedule, stated directly: one rule-resolved instant per matching local date. */
function expectedFixed(o: OracleZone, schedule: FixedSchedule, from: number, to: number): string[] {
  const instants = new Set<number>();
  const firstDay = Math.floor((from - 2 * DAY) / DAY);
  const lastDay = Math.floor((to + 2 * DAY) / DAY);
  for (let day = firstDay; day <= lastDay; day++) {
    if (schedule.weekday !== undefined && fieldsOf(day * DAY).weekday !== schedule.weekday) continue;
    for (const [h, m, s] of schedule.times) {
      const instant = o.ruleInstant(day * DAY + h * HOUR + m * MINUTE + s * 1000);
      if (instant > from && instant <= to) instants.add(instant);
    }
  }
  return [...instants].sort((a, b) => a - b).map(iso);
}

/** The rule for an elapsed-time schedule: every instant whose wall clock matches. */
function expectedElapsed(o: OracleZone, schedule: ElapsedSchedule, from: number, to: number): string[] {
  const fires: string[] = [];
  for (let t = Math.floor(from / MINUTE) * MINUTE + MINUTE; t <= to; t += MINUTE) {
    const f = fieldsOf(o.localOf(t));
    if (f.second === 0 && schedule.matches(f)) fires.push(iso(t));
  }
  return fires;
}

describe('transitions of 2025-2027 according to Intl', () => {
  it.each(DST_ZONES)('%s has exactly one spring and one autumn transition per year', (zone) => {
    const o = oracle(zone);
    const years = o.transitions.map((t) => new Date(t.at).getUTCFullYear());
    expect(years).toEqual([2025, 2025, 2026, 2026, 2027, 2027]);
    const shifts = new Set(o.transitions.map((t) => Math.abs(t.after - t.before) / MINUTE));
    const expectedShift = zone === 'Australia/Lord_Howe' ? 30 : zone === 'Antarctica/Troll' ? 120 : 60;
    expect([...shifts]).toEqual([expectedShift]);
  });

  it.each(STEADY_ZONES)('%s has no transition in 2025-2027', (zone) => {
    expect(oracle(zone).transitions).toEqual([]);
  });

  it('knows which of these zones change their clocks at local midnight', () => {
    const atMidnight = ALL_ZONES.filter((zone) =>
      oracle(zone).transitions.some((t) => (t.at + t.before) % DAY === 0 || (t.at + t.after) % DAY === 0),
    );
    // America/Asuncion would have been here before Paraguay abolished DST in October 2024.
    expect(atMidnight).toEqual([
      'America/Santiago',
      'America/Havana',
      'Asia/Beirut',
      'Africa/Cairo',
      'Atlantic/Azores',
      'America/Nuuk',
    ]);
    const santiago = oracle('America/Santiago').transitions.map(
      (t) => `${localText(t.at + t.before)}→${localText(t.at + t.after)}`,
    );
    expect(santiago.slice(0, 2)).toEqual([
      '2025-04-06T00:00:00→2025-04-05T23:00:00',
      '2025-09-07T00:00:00→2025-09-07T01:00:00',
    ]);
  });

  it('agrees with the library (js-joda data) at every transition and between them', () => {
    for (const zone of ALL_ZONES) {
      const o = oracle(zone);
      const probes = o.transitions.flatMap((t) => [t.at - 1000, t.at, t.at + 1000]);
      for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2028, 0, 1); t += 7 * DAY + 3 * HOUR) probes.push(t);
      for (const instant of probes) {
        expect(`${zone} ${toLocalDateTime(new Date(instant), zone)}`).toBe(
          `${zone} ${localText(o.localOf(instant))}`,
        );
      }
    }
  });
});

describe('getUtcTimeForLocal follows the gap/overlap rule around every transition', () => {
  it.each(ALL_ZONES)('%s: every local minute within 3 hours of each transition', (zone) => {
    const o = oracle(zone);
    const anchors =
      o.transitions.length > 0
        ? o.transitions.map((t) => t.at)
        : [Date.UTC(2025, 5, 1), Date.UTC(2026, 11, 31)];
    for (const at of anchors) {
      const local = o.localOf(at);
      for (let l = local - 3 * HOUR; l <= local + 3 * HOUR; l += MINUTE) {
        const text = localText(l).slice(0, 16);
        expect(`${text} ${getUtcTimeForLocal(text, zone).toISOString()}`).toBe(
          `${text} ${iso(o.ruleInstant(l))}`,
        );
      }
    }
  });
});

describe('fixed-time schedules fire once per matching local date, resolved by the rule', () => {
  const daily = FIXED.filter((s) => s.times.length === 1 && s.weekday === undefined);
  it.each(ALL_ZONES)('%s: every day of 2025-2027', (zone) => {
    const o = oracle(zone);
    const from = Date.UTC(2025, 0, 1);
    const to = Date.UTC(2028, 0, 1) - 1;
    for (const schedule of daily) {
      const expected = expectedFixed(o, schedule, from, to);
      const actual = libraryFires(schedule.expr, zone, from, to);
      expect(actual).toEqual(expected);
      // Once per local date: the fires are as many as the dates whose time resolves in range.
      expect(actual.length).toBeGreaterThanOrEqual(1093);
      expect(actual.length).toBeLessThanOrEqual(1096);
      expect(new Set(actual).size).toBe(actual.length);
    }
  });

  it.each(DST_ZONES)('%s: all fixed schedules within 30 hours of each transition', (zone) => {
    const o = oracle(zone);
    for (const t of o.transitions) {
      const from = t.at - 30 * HOUR;
      const to = t.at + 30 * HOUR;
      for (const schedule of FIXED) {
        expect(`${schedule.expr} ${libraryFires(schedule.expr, zone, from, to).join(' ')}`).toBe(
          `${schedule.expr} ${expectedFixed(o, schedule, from, to).join(' ')}`,
        );
      }
    }
  });
});

describe('elapsed-time schedules follow the wall clock instant by instant', () => {
  it.each(DST_ZONES)('%s: all elapsed schedules within 30 hours of each transition', (zone) => {
    const o = oracle(zone);
    for (const t of o.transitions) {
      const from = t.at - 30 * HOUR;
      const to = t.at + 30 * HOUR;
      for (const schedule of ELAPSED) {
        expect(`${schedule.expr} ${libraryFires(schedule.expr, zone, from, to).join(' ')}`).toBe(
          `${schedule.expr} ${expectedElapsed(o, schedule, from, to).join(' ')}`,
        );
      }
    }
  });

  it.each(DST_ZONES)(
    '%s: */15 fires every 15 real minutes across each transition, never twice at one instant',
    (zone) => {
      const o = oracle(zone);
      for (const t of o.transitions) {
        const fires = libraryFires('*/15 * * * *', zone, t.at - 6 * HOUR, t.at + 6 * HOUR).map((s) =>
          Date.parse(s),
        );
        for (let i = 1; i < fires.length; i++)
          expect((fires[i] ?? 0) - (fires[i - 1] ?? 0)).toBe(15 * MINUTE);
      }
    },
  );
});

describe('data differences between js-joda and Intl', () => {
  it('Europe/Chisinau follows the bundled tzdata (2026a): EU transition times, 01:00 UTC', () => {
    // Node 20's ICU data (tz 2025c) still has Moldova switching at 02:00 local (00:00 UTC);
    // tzdata 2026a moved it to the EU's 01:00 UTC. The library uses its bundled data.
    expect(getUtcTimeForLocal('2025-03-30T03:30', 'Europe/Chisinau').toISOString()).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(toLocalDateTime(new Date('2025-03-30T00:30:00Z'), 'Europe/Chisinau')).toBe('2025-03-30T02:30:00');
    expect(toLocalDateTime(new Date('2025-03-30T01:00:00Z'), 'Europe/Chisinau')).toBe('2025-03-30T04:00:00');
    expect(
      calculateNextRun('30 3 * * *', 'Europe/Chisinau', new Date('2025-03-29T12:00:00Z')).toISOString(),
    ).toBe('2025-03-30T01:30:00.000Z');
  });
});
