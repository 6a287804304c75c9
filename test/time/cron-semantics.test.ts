/**
 * Calendar semantics of the expressions (which dates and times match), away from DST:
 * hand-computed cases, then a differential check against cron-parser's own iteration in
 * zones without transitions, where no DST policy can make the two differ.
 */
import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calculateNextRun, previewRuns } from '../../src/time/index.js';

function runs(expr: string, from: string, count: number, zone = 'UTC'): string[] {
  return previewRuns(expr, zone, new Date(from), count).map((d) => d.toISOString().replace(':00.000Z', 'Z'));
}

describe('day fields', () => {
  it('L is the last day of each month', () => {
    expect(runs('0 12 L * *', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-31T12:00Z',
      '2025-02-28T12:00Z',
      '2025-03-31T12:00Z',
      '2025-04-30T12:00Z',
    ]);
    expect(runs('0 12 L 2 *', '2027-06-01T00:00:00Z', 2)).toEqual(['2028-02-29T12:00Z', '2029-02-28T12:00Z']);
  });

  it('Feb 29 only in leap years, skipping 2100', () => {
    expect(runs('0 0 29 2 *', '2025-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00Z', '2032-02-29T00:00Z']);
    expect(runs('0 0 29 2 *', '2096-03-01T00:00:00Z', 1)).toEqual(['2104-02-29T00:00Z']);
  });

  it('the 31st only in months that have one', () => {
    expect(runs('0 0 31 * *', '2025-01-01T00:00:00Z', 7).map((s) => s.slice(5, 7))).toEqual([
      '01',
      '03',
      '05',
      '07',
      '08',
      '10',
      '12',
    ]);
  });

  it('nW is the weekday nearest that day, without leaving the month', () => {
    // 2025-01-15 Wed; 2025-02-15 Sat -> Fri 14th; 2025-06-15 Sun -> Mon 16th
    expect(runs('0 9 15W * *', '2025-01-01T00:00:00Z', 6).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-15',
      '2025-02-14',
      '2025-03-14',
      '2025-04-15',
      '2025-05-15',
      '2025-06-16',
    ]);
    // 2025-02-01 is a Saturday: the nearest weekday in February is Monday the 3rd, not January 31st.
    expect(runs('0 9 1W * *', '2025-01-02T00:00:00Z', 1)).toEqual(['2025-02-03T09:00Z']);
    // 2025-08-31 is a Sunday: Friday the 29th; months without a 31st do not fire.
    expect(runs('0 9 31W * *', '2025-07-01T00:00:00Z', 3).map((s) => s.slice(0, 10))).toEqual([
      '2025-07-31',
      '2025-08-29',
      '2025-10-31',
    ]);
  });

  it('LW is the last weekday of the month', () => {
    expect(runs('0 9 LW * *', '2025-05-01T00:00:00Z', 4).map((s) => s.slice(0, 10))).toEqual([
      '2025-05-30', // May 31 is a Saturday
      '2025-06-30',
      '2025-07-31',
      '2025-08-29', // Aug 31 is a Sunday
    ]);
  });

  it('5L is the last Friday; 1#2 the second Monday; lists of #', () => {
    expect(runs('0 9 * * 5L', '2025-01-01T00:00:00Z', 3).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-31',
      '2025-02-28',
      '2025-03-28',
    ]);
    expect(runs('0 9 * * 1#2', '2025-01-01T00:00:00Z', 3).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-13',
      '2025-02-10',
      '2025-03-10',
    ]);
    expect(runs('0 9 * * MON#1,MON#3', '2025-01-01T00:00:00Z', 4).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-06',
      '2025-01-20',
      '2025-02-03',
      '2025-02-17',
    ]);
  });

  it('a fifth Monday in February waits for a leap year whose February starts on a Monday', () => {
    expect(runs('0 0 * 2 1#5', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2044-02-29T00:00Z',
      '2072-02-29T00:00Z',
    ]);
  });

  it('day-of-month and day-of-week both restricted: either matches (Vixie cron)', () => {
    // The 13th, or any Friday.
    expect(runs('0 9 13 * 5', '2025-01-01T00:00:00Z', 5).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-03',
      '2025-01-10',
      '2025-01-13',
      '2025-01-17',
      '2025-01-24',
    ]);
    // Only a bare * or ? leaves a day field unrestricted: */2 counts as restricted, as in cron-parser.
    expect(runs('0 9 */2 * 1', '2025-01-01T00:00:00Z', 5).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-01',
      '2025-01-03',
      '2025-01-05',
      '2025-01-06',
      '2025-01-07',
    ]);
    // One side * : only the other side counts.
    expect(runs('0 9 * * 1', '2025-01-01T00:00:00Z', 2).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-06',
      '2025-01-13',
    ]);
    expect(runs('0 9 13 * ?', '2025-01-01T00:00:00Z', 2).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-13',
      '2025-02-13',
    ]);
  });

  it('0 and 7 are both Sunday; mon-sun is the whole week', () => {
    expect(runs('0 9 * * 7', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-05T09:00Z']);
    expect(runs('0 9 * * 0,7', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-05T09:00Z',
      '2025-01-12T09:00Z',
    ]);
    expect(runs('0 9 * * mon-sun', '2025-01-01T00:00:00Z', 3).map((s) => s.slice(0, 10))).toEqual([
      '2025-01-01',
      '2025-01-02',
      '2025-01-03',
    ]);
  });
});

describe('time fields', () => {
  it('seconds field (6 fields)', () => {
    expect(runs('30 15 10 * * *', '2025-01-01T00:00:00Z', 2).map((s) => s)).toEqual([
      '2025-01-01T10:15:30.000Z',
      '2025-01-02T10:15:30.000Z',
    ]);
    expect(
      previewRuns('*/20 * * * * *', 'UTC', new Date('2025-01-01T00:00:05Z'), 3).map((d) => d.toISOString()),
    ).toEqual(['2025-01-01T00:00:20.000Z', '2025-01-01T00:00:40.000Z', '2025-01-01T00:01:00.000Z']);
  });

  it('strictly after `after`, milliseconds included', () => {
    expect(calculateNextRun('0 9 * * *', 'UTC', new Date('2025-01-01T09:00:00.000Z')).toISOString()).toBe(
      '2025-01-02T09:00:00.000Z',
    );
    expect(calculateNextRun('0 9 * * *', 'UTC', new Date('2025-01-01T08:59:59.999Z')).toISOString()).toBe(
      '2025-01-01T09:00:00.000Z',
    );
    expect(calculateNextRun('0 9 * * *', 'UTC', new Date('2025-01-01T09:00:00.001Z')).toISOString()).toBe(
      '2025-01-02T09:00:00.000Z',
    );
  });

  it('macros', () => {
    expect(runs('@weekly', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-05T00:00Z']);
    expect(runs('@monthly', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-02-01T00:00Z']);
    expect(runs('@yearly', '2025-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T00:00Z']);
    expect(runs('@hourly', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-01T01:00Z']);
  });

  it('steps from a start value and over ranges', () => {
    expect(runs('5/20 * * * *', '2025-01-01T00:00:00Z', 4).map((s) => s.slice(11, 16))).toEqual([
      '00:05',
      '00:25',
      '00:45',
      '01:05',
    ]);
    expect(runs('0 8-18/5 * * *', '2025-01-01T00:00:00Z', 4).map((s) => s.slice(11, 16))).toEqual([
      '08:00',
      '13:00',
      '18:00',
      '08:00',
    ]);
  });
});

describe('wall-clock fields are matched in the zone', () => {
  it('45-minute and 30-minute offsets', () => {
    expect(
      calculateNextRun('0 9 * * *', 'Asia/Kathmandu', new Date('2025-06-01T00:00:00Z')).toISOString(),
    ).toBe('2025-06-01T03:15:00.000Z');
    expect(
      calculateNextRun('0 9 * * *', 'Australia/Eucla', new Date('2025-06-01T00:00:00Z')).toISOString(),
    ).toBe('2025-06-01T00:15:00.000Z');
    expect(
      calculateNextRun('0 9 * * *', 'Asia/Kolkata', new Date('2025-06-01T00:00:00Z')).toISOString(),
    ).toBe('2025-06-01T03:30:00.000Z');
  });

  it('the day fields use the local date (+14 and -12 zones)', () => {
    // 2025-01-05T20:00Z is Monday 10:00 in Kiritimati (+14) but Sunday 08:00 in Etc/GMT+12.
    const after = new Date('2025-01-05T20:00:00Z');
    expect(calculateNextRun('0 12 * * 1', 'Pacific/Kiritimati', after).toISOString()).toBe(
      '2025-01-05T22:00:00.000Z',
    );
    expect(calculateNextRun('0 12 * * 1', 'Etc/GMT+12', after).toISOString()).toBe(
      '2025-01-07T00:00:00.000Z',
    );
  });
});

// --- differential check against cron-parser -------------------------------------------

const num = (min: number, max: number) => fc.integer({ min, max });
const range = (min: number, max: number) =>
  fc.tuple(num(min, max), num(min, max)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
const step = (min: number, max: number) =>
  fc.oneof(
    fc.tuple(num(1, Math.max(1, max - min))).map(([s]) => `*/${s}`),
    fc
      .tuple(num(min, max), num(min, max), num(1, 12))
      .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
  );
const list = (min: number, max: number) =>
  fc.uniqueArray(num(min, max), { minLength: 2, maxLength: 4 }).map((values) => values.join(','));
const timeField = (min: number, max: number) =>
  fc.oneof(fc.constant('*'), num(min, max).map(String), range(min, max), step(min, max), list(min, max));

const expressionArb = fc
  .record({
    second: fc.oneof(
      fc.constant(''),
      fc.constant('0 '),
      num(0, 59).map((s) => `${s} `),
      step(0, 59).map((s) => `${s} `),
    ),
    minute: timeField(0, 59),
    hour: timeField(0, 23),
    dom: fc.oneof(
      { weight: 4, arbitrary: fc.constant('*') },
      { weight: 1, arbitrary: fc.constant('?') },
      { weight: 2, arbitrary: num(1, 31).map(String) },
      { weight: 1, arbitrary: range(1, 31) },
      { weight: 1, arbitrary: step(1, 31) },
      { weight: 1, arbitrary: list(1, 28) },
      { weight: 1, arbitrary: fc.constant('L') },
      { weight: 1, arbitrary: num(1, 28).map((d) => `${d},L`) },
    ),
    month: fc.oneof(
      { weight: 4, arbitrary: fc.constant('*') },
      { weight: 1, arbitrary: num(1, 12).map(String) },
      { weight: 1, arbitrary: range(1, 12) },
      { weight: 1, arbitrary: list(1, 12) },
      { weight: 1, arbitrary: fc.constantFrom('jan', 'FEB', 'mar-may', 'jun,dec') },
    ),
    dow: fc.oneof(
      { weight: 4, arbitrary: fc.constant('*') },
      { weight: 2, arbitrary: num(0, 7).map(String) },
      { weight: 1, arbitrary: range(0, 6) },
      { weight: 1, arbitrary: step(0, 6) },
      { weight: 1, arbitrary: list(0, 6) },
      { weight: 1, arbitrary: fc.tuple(num(0, 6), num(1, 5)).map(([d, n]) => `${d}#${n}`) },
      { weight: 1, arbitrary: num(0, 7).map((d) => `${d}L`) },
      { weight: 1, arbitrary: fc.constantFrom('mon-fri', 'SAT,sun', 'fri') },
    ),
  })
  .map((f) => `${f.second}${f.minute} ${f.hour} ${f.dom} ${f.month} ${f.dow}`);

const afterArb = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });

function cronParserRuns(expr: string, zone: string, after: number, count: number): string[] | undefined {
  try {
    const parsed = CronExpressionParser.parse(expr, { tz: zone, currentDate: new Date(after) });
    return Array.from({ length: count }, () => parsed.next().toDate().toISOString());
  } catch {
    return undefined; // cron-parser rejects it or gives up (its loop limit); nothing to compare
  }
}

describe('agrees with cron-parser where no DST is involved', () => {
  it.each(['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Tokyo'])(
    '%s: the next 3 runs of random expressions',
    (zone) => {
      fc.assert(
        fc.property(expressionArb, afterArb, (expr, after) => {
          const theirs = cronParserRuns(expr, zone, after, 3);
          fc.pre(theirs !== undefined);
          const ours = previewRuns(expr, zone, new Date(after), 3).map((d) => d.toISOString());
          expect(ours).toEqual(theirs);
        }),
        { numRuns: 250, seed: 20250601 },
      );
    },
  );
});
