import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidCronError, isTickworkError } from '../../src/errors.js';
import { assertValidCron, calculateNextRun, cronScheduleKind, isValidCron } from '../../src/time/index.js';

function cronError(expr: unknown): InvalidCronError {
  try {
    assertValidCron(expr);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCronError);
    return error as InvalidCronError;
  }
  throw new Error(`expected ${String(expr)} to be rejected`);
}

describe('assertValidCron rejects with a message naming the field and the problem', () => {
  it.each([
    ['61 * * * *', 'minute field: 61 is out of range 0-59'],
    ['0 24 * * *', 'hour field: 24 is out of range 0-23'],
    ['0 0 32 * *', 'day-of-month field: 32 is out of range 1-31'],
    ['0 0 0 * *', 'day-of-month field: 0 is out of range 1-31'],
    ['0 0 * 13 *', 'month field: 13 is out of range 1-12'],
    ['0 0 * * 8', 'day-of-week field: 8 is out of range 0-7 (0 and 7 are Sunday)'],
    ['60 0 0 * * *', 'second field: 60 is out of range 0-59'],
    [
      '* * * *',
      'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, got 4',
    ],
    [
      '1 2 3 4 5 6 7',
      'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, got 7',
    ],
    ['', 'cron expression is empty'],
    ['   ', 'cron expression is empty'],
    ['x * * * *', "minute field: 'x' is not a number"],
    ['0 0 * foo *', "month field: 'foo' is not a month name (jan-dec)"],
    ['0 0 * * funday', "day-of-week field: 'funday' is not a weekday name (sun-sat)"],
    ['5-2 * * * *', 'minute field: range 5-2 is reversed (the start must not be after the end)'],
    ['*/0 * * * *', "minute field: step '0' in '*/0' must be a positive integer"],
    ['*/x * * * *', "minute field: step 'x' in '*/x' must be a positive integer"],
    ['1/2/3 * * * *', "minute field: '1/2/3' has more than one '/'"],
    ['1,,2 * * * *', 'minute field: empty entry in list'],
    ['-1 * * * *', "minute field: '-1' is not a valid range"],
    ['1.5 * * * *', "minute field: '1.5' is not a valid entry"],
    ['H * * * *', "minute field: hashed values ('H') are not supported"],
    ['H/5 * * * *', "minute field: hashed values ('H/5') are not supported"],
    ['? * * * *', "minute field: '?' is only allowed in the day-of-month and day-of-week fields"],
    [
      '0 0 1,? * *',
      "day-of-month field: '?' must be the whole field, and only in day-of-month or day-of-week",
    ],
    [
      '0 0 L-2 * *',
      "day-of-month field: 'L' must stand alone in a list entry ('L-2'; offsets such as L-2 are not supported)",
    ],
    [
      '0 0 1,15W * *',
      "day-of-month field: 'W' must be the whole day-of-month field: a single day such as 15W, or LW",
    ],
    ['0 0 32W * *', 'day-of-month field: 32 is out of range 1-31'],
    [
      '0 0 * * L',
      "day-of-week field: 'L' needs a weekday before it in the day-of-week field (e.g. 5L = last Friday)",
    ],
    ['0 0 * * 1#6', "day-of-week field: occurrence 6 in '1#6' is out of range 1-5"],
    ['0 0 * * 1#0', "day-of-week field: occurrence 0 in '1#0' is out of range 1-5"],
    ['0 0 * * 1-5#2', "day-of-week field: '#' takes a single weekday, not a range or step ('1-5#2')"],
    ['0 0 1#2 * *', "day-of-month field: '#' is only allowed in the day-of-week field"],
    [
      '@reboot',
      "unknown macro '@reboot'; supported: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly",
    ],
  ])('%j', (expr, message) => {
    const error = cronError(expr);
    expect(error.message).toBe(message);
    expect(error.code).toBe('INVALID_CRON');
    expect(error.expression).toBe(expr);
    expect(isTickworkError(error)).toBe(true);
  });

  it('rejects non-strings', () => {
    expect(cronError(42).message).toBe('cron expression must be a string, got 42');
    expect(cronError(null).message).toBe('cron expression must be a string, got null');
    expect(cronError(undefined).message).toBe('cron expression must be a string, got undefined');
    expect(cronError(['* * * * *']).message).toBe('cron expression must be a string, got an array');
  });

  it('rejects an expression over 1024 characters instead of working through it', () => {
    expect(cronError(`${'1,'.repeat(600)}2 * * * *`).message).toBe(
      'cron expression is too long (over 1024 characters)',
    );
  });
});

describe('expressions that can never fire are invalid, not searched for', () => {
  it.each([
    ['0 0 30 2 *', "day-of-month field: '30' never occurs in February, so the schedule never fires"],
    ['0 0 30,31 2 *', "day-of-month field: '30,31' never occurs in February, so the schedule never fires"],
    [
      '0 0 31 2,4 *',
      "day-of-month field: '31' never occurs in February or April, so the schedule never fires",
    ],
    [
      '0 0 31 4,6,9,11 *',
      "day-of-month field: '31' never occurs in April or June or September or November, so the schedule never fires",
    ],
    [
      '0 0 31 2,4,6,9,11 *',
      "day-of-month field: '31' never occurs in any month of month field '2,4,6,9,11', so the schedule never fires",
    ],
    ['0 0 30W feb *', "day-of-month field: '30W' never occurs in February, so the schedule never fires"],
  ])('%j', (expr, message) => {
    expect(cronError(expr).message).toBe(message);
    expect(isValidCron(expr)).toBe(false);
  });

  it.each([
    '0 0 29 2 *', // leap years
    '0 0 31 2 1', // day-of-month OR day-of-week: Mondays in February
    '0 0 L 2 *',
    '0 0 * 2 1#5', // a fifth Monday in February: leap years starting on a Monday
    '0 0 29W 2 *',
    '0 0 31 1-12 *',
  ])('%j is valid', (expr) => {
    expect(isValidCron(expr)).toBe(true);
  });
});

describe('accepted syntax', () => {
  it.each([
    '* * * * *',
    '*/15 * * * *',
    '0 9 * * 1-5',
    '0 9 * * MON-FRI',
    '0 9 * * mon-sun', // a weekday range ending on Sunday
    '0 9 * JAN,jul *',
    '0 0 1-31/10 * *',
    '5/15 * * * *',
    '0-10,5 * * * *', // overlapping list entries (cron-parser alone rejects these)
    '0 0 * * 0,7', // both Sundays
    '0 0 ? * 1',
    '0 0 1 * ?',
    '0 12 L * *',
    '0 12 1,15,L * *',
    '0 12 LW * *',
    '0 12 15W * *',
    '0 12 * * 5L',
    '0 12 * * FRIL',
    '0 12 * * 1#2',
    '0 12 * * 1#1,1#3', // lists of nth weekdays
    '0 12 * * 2,5L',
    '30 15 10 * * *', // 6 fields: seconds first
    '*/10 * * * * *',
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    '@DAILY',
    '  0   9  *  *  1  ', // extra whitespace
    '00 09 * * *', // leading zeros
  ])('%j', (expr) => {
    expect(() => assertValidCron(expr)).not.toThrow();
    expect(isValidCron(expr)).toBe(true);
  });
});

describe('fixed-time vs elapsed-time boundary', () => {
  it.each([
    ['30 1 * * *', 'fixed-time'],
    ['0 9 * * 1', 'fixed-time'],
    ['0 9,17 * * *', 'fixed-time'],
    ['0,30 9,17 * * 1-5', 'fixed-time'], // day fields never matter
    ['0 0 L * *', 'fixed-time'],
    ['15 30 2 * * *', 'fixed-time'],
    ['@daily', 'fixed-time'],
    ['@hourly', 'elapsed-time'],
    ['*/15 * * * *', 'elapsed-time'],
    ['0 */2 * * *', 'elapsed-time'],
    ['0 9-17 * * *', 'elapsed-time'], // a range in the hour field
    ['0-5 9 * * *', 'elapsed-time'], // a range in the minute field
    ['*/30 9 * * *', 'elapsed-time'],
    ['0 2/3 * * *', 'elapsed-time'], // a step, even from a single start
    ['* 30 2 * * *', 'elapsed-time'], // every second of 02:30
  ] as const)('%j is %s', (expr, kind) => {
    expect(cronScheduleKind(expr)).toBe(kind);
  });
});

describe('hashed or random values would differ between processes', () => {
  it('H is refused rather than resolved with a random seed', () => {
    expect(isValidCron('H H * * *')).toBe(false);
  });

  it('the same expression always yields the same run', () => {
    const after = new Date('2025-05-05T05:05:05Z');
    expect(calculateNextRun('7 3 * * *', 'UTC', after).toISOString()).toBe('2025-05-06T03:07:00.000Z');
  });
});

describe('no input makes validation or the search throw anything but InvalidCronError', () => {
  const fieldChars = fc.constantFrom(
    ...'0123456789*,-/?LW#H'.split(''),
    'mon',
    'JAN',
    'l',
    'w',
    '31',
    '59',
    '7',
  );
  const noise = fc.array(fieldChars, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
  const n = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 62 }) },
  );
  const plausible = fc.oneof(
    fc.constantFrom('*', '?', 'L', 'LW', '5L', 'FRI#2', 'mon-sun', 'jan-mar', '*/0', 'L-1'),
    n.map(String),
    fc.tuple(n, n).map(([a, b]) => `${a}-${b}`),
    fc.tuple(n, n).map(([a, b]) => `${a},${b}`),
    fc.tuple(n, n).map(([a, b]) => `${a}/${b}`),
    n.map((a) => `*/${a}`),
    n.map((a) => `${a}W`),
    fc.tuple(n, n).map(([a, b]) => `${a}#${b}`),
  );
  const field = fc.oneof(
    { weight: 6, arbitrary: fc.constant('*') },
    { weight: 6, arbitrary: plausible },
    { weight: 1, arbitrary: noise },
  );
  // Mostly 5 or 6 fields; sometimes 4 or 7.
  const expression = fc
    .array(field, { minLength: 4, maxLength: 7 })
    .filter((fields) => fields.length === 5 || fields.length === 6 || fields[0] === '*')
    .map((fields) => fields.join(' '));

  it('cron-like noise', () => {
    let valid = 0;
    fc.assert(
      fc.property(
        expression,
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        (expr, after) => {
          let ok = true;
          try {
            assertValidCron(expr);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidCronError);
            expect((error as Error).message).not.toMatch(/undefined|NaN|\[object/);
            ok = false;
          }
          expect(isValidCron(expr)).toBe(ok);
          if (!ok) return;
          valid++;
          const next = calculateNextRun(expr, 'Europe/Berlin', new Date(after));
          expect(next.getTime()).toBeGreaterThan(after);
        },
      ),
      { numRuns: 3000, seed: 3 },
    );
    expect(valid).toBeGreaterThan(50);
  });

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (expr) => {
        try {
          assertValidCron(expr);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidCronError);
        }
      }),
      { numRuns: 2000, seed: 5 },
    );
  });
});
