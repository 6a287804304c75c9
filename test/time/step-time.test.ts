import { describe, expect, it } from 'vitest';
import {
  InvalidCronError,
  InvalidLocalTimeError,
  InvalidTimezoneError,
  ValidationError,
} from '../../src/errors.js';
import {
  calculateNextRun,
  calculatePreviousRun,
  calculateStepSendTime,
  previewRuns,
  toLocalDateTime,
  type StepSendTimeInput,
} from '../../src/time/index.js';

const NY = 'America/New_York';

function due(input: Omit<Partial<StepSendTimeInput>, 'base'> & { base: string }): string {
  const result = calculateStepSendTime({
    timezone: NY,
    delayDays: 0,
    delayHours: 0,
    ...input,
    base: new Date(input.base),
  });
  return `${result.toISOString()} ${toLocalDateTime(result, input.timezone ?? NY)}`;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('calculateStepSendTime', () => {
  it('delayDays are calendar days in the zone: same wall-clock time across a DST change', () => {
    // 09:00 EST on Saturday, one day later is 09:00 EDT (23 real hours).
    expect(due({ base: '2025-03-08T14:00:00Z', delayDays: 1 })).toBe(
      '2025-03-09T13:00:00.000Z 2025-03-09T09:00:00',
    );
    expect(due({ base: '2025-10-31T13:00:00Z', delayDays: 7 })).toBe(
      '2025-11-07T14:00:00.000Z 2025-11-07T09:00:00',
    );
  });

  it('a day landing in a gap moves forward by the gap; in an overlap takes the first pass', () => {
    expect(due({ base: '2025-03-08T07:30:00Z', delayDays: 1 })).toBe(
      '2025-03-09T07:30:00.000Z 2025-03-09T03:30:00',
    );
    expect(due({ base: '2025-11-01T05:30:00Z', delayDays: 1 })).toBe(
      '2025-11-02T05:30:00.000Z 2025-11-02T01:30:00',
    );
  });

  it('with no delay the base itself, even in the second pass of an overlap', () => {
    expect(due({ base: '2025-11-02T06:30:00Z' })).toBe('2025-11-02T06:30:00.000Z 2025-11-02T01:30:00');
  });

  it('delayHours are elapsed hours, added after the days', () => {
    // 17:00 EST + 12 h across the spring-forward night = 06:00 EDT.
    expect(due({ base: '2025-03-08T22:00:00Z', delayHours: 12 })).toBe(
      '2025-03-09T10:00:00.000Z 2025-03-09T06:00:00',
    );
    expect(due({ base: '2025-03-07T22:00:00Z', delayDays: 1, delayHours: 12 })).toBe(
      '2025-03-09T10:00:00.000Z 2025-03-09T06:00:00',
    );
  });

  it('sendTime: that date if still ahead (or equal), otherwise the next local date', () => {
    expect(due({ base: '2025-06-02T11:00:00Z', delayDays: 1, sendTime: '09:00' })).toBe(
      '2025-06-03T13:00:00.000Z 2025-06-03T09:00:00',
    );
    expect(due({ base: '2025-06-02T15:00:00Z', delayDays: 2, sendTime: '09:00' })).toBe(
      '2025-06-05T13:00:00.000Z 2025-06-05T09:00:00',
    );
    expect(due({ base: '2025-06-02T13:00:00Z', delayDays: 1, sendTime: '09:00' })).toBe(
      '2025-06-03T13:00:00.000Z 2025-06-03T09:00:00',
    );
    expect(due({ base: '2025-06-02T13:00:00Z', sendTime: null })).toBe(
      '2025-06-02T13:00:00.000Z 2025-06-02T09:00:00',
    );
  });

  it('sendTime inside the gap resolves by the rule', () => {
    expect(due({ base: '2025-03-08T12:00:00Z', delayDays: 0, delayHours: 12, sendTime: '02:30' })).toBe(
      '2025-03-09T07:30:00.000Z 2025-03-09T03:30:00',
    );
  });

  it('reads days and sendTime in the given zone (45-minute offset)', () => {
    expect(
      due({ base: '2025-06-01T03:15:00Z', timezone: 'Asia/Kathmandu', delayDays: 3, sendTime: '08:30' }),
    ).toBe('2025-06-05T02:45:00.000Z 2025-06-05T08:30:00');
  });

  it.each([
    [{ delayDays: -1 }, 'delayDays: must be a non-negative integer, got -1'],
    [{ delayDays: 1.5 }, 'delayDays: must be a non-negative integer, got 1.5'],
    [{ delayDays: '1' }, "delayDays: must be a non-negative integer, got '1'"],
    [{ delayDays: Number.NaN }, 'delayDays: must be a non-negative integer, got NaN'],
    [{ delayDays: 40_000 }, 'delayDays: must be at most 36500, got 40000'],
    [{ delayHours: -2 }, 'delayHours: must be a non-negative integer, got -2'],
    [{ delayHours: Number.POSITIVE_INFINITY }, 'delayHours: must be a non-negative integer, got Infinity'],
    [{ base: new Date(Number.NaN) }, 'base: must be a valid Date, got an Invalid Date'],
    [{ base: '2025-01-01T00:00:00Z' }, "base: must be a Date, got '2025-01-01T00:00:00Z'"],
    [{ base: 1_700_000_000_000 }, 'base: must be a Date, got 1700000000000'],
  ])('rejects %j', (patch, message) => {
    const input = {
      base: new Date('2025-06-01T00:00:00Z'),
      timezone: NY,
      delayDays: 0,
      delayHours: 0,
      ...patch,
    };
    const error = thrown(() => calculateStepSendTime(input as StepSendTimeInput));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(message);
  });

  it('rejects a bad sendTime or zone with their own error classes', () => {
    const base = new Date('2025-06-01T00:00:00Z');
    const badTime = thrown(() =>
      calculateStepSendTime({ base, timezone: NY, delayDays: 0, delayHours: 0, sendTime: '25:00' }),
    );
    expect(badTime).toBeInstanceOf(InvalidLocalTimeError);
    expect(badTime.message).toBe("sendTime: hour 25 in '25:00' is out of range 00-23");
    const badZone = thrown(() =>
      calculateStepSendTime({ base, timezone: 'Nowhere', delayDays: 0, delayHours: 0 }),
    );
    expect(badZone).toBeInstanceOf(InvalidTimezoneError);
  });
});

describe('input validation of the schedule functions', () => {
  it('calculateNextRun checks the expression, then the zone, then `after`', () => {
    expect(thrown(() => calculateNextRun('61 * * * *', 'Nowhere', new Date(Number.NaN)))).toBeInstanceOf(
      InvalidCronError,
    );
    expect(thrown(() => calculateNextRun('* * * * *', 'Nowhere', new Date(Number.NaN)))).toBeInstanceOf(
      InvalidTimezoneError,
    );
    const badAfter = thrown(() => calculateNextRun('* * * * *', 'UTC', new Date(Number.NaN)));
    expect(badAfter).toBeInstanceOf(ValidationError);
    expect(badAfter.message).toBe('after: must be a valid Date, got an Invalid Date');
    expect(thrown(() => calculateNextRun('* * * * *', 'UTC', new Date('1850-01-01T00:00:00Z'))).message).toBe(
      'after: must be between 1900-01-01T00:00:00Z and 9999-12-31T00:00:00Z, got 1850-01-01T00:00:00.000Z',
    );
    expect(thrown(() => calculateNextRun('* * * * *', 'UTC', 0 as unknown as Date)).message).toBe(
      'after: must be a Date, got 0',
    );
  });

  it('calculateNextRun defaults `after` to now', () => {
    const before = Date.now();
    const next = calculateNextRun('* * * * * *', 'UTC').getTime();
    expect(next).toBeGreaterThan(before);
    expect(next).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('previewRuns checks count', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    expect(previewRuns('* * * * *', 'UTC', from, 0)).toEqual([]);
    expect(previewRuns('* * * * *', 'UTC', from, 1000)).toHaveLength(1000);
    expect(thrown(() => previewRuns('* * * * *', 'UTC', from, 1001)).message).toBe(
      'count: must be at most 1000, got 1001',
    );
    expect(thrown(() => previewRuns('* * * * *', 'UTC', from, -1)).message).toBe(
      'count: must be a non-negative integer, got -1',
    );
    expect(thrown(() => previewRuns('* * * * *', 'UTC', from, 2.5)).message).toBe(
      'count: must be a non-negative integer, got 2.5',
    );
    expect(thrown(() => previewRuns('* * * * *', 'UTC', new Date(Number.NaN), 1)).message).toBe(
      'from: must be a valid Date, got an Invalid Date',
    );
  });

  it('calculatePreviousRun checks its instant and returns null before any run', () => {
    expect(thrown(() => calculatePreviousRun('* * * * *', 'UTC', new Date(Number.NaN))).message).toBe(
      'atOrBefore: must be a valid Date, got an Invalid Date',
    );
    expect(calculatePreviousRun('0 0 1 1 *', 'UTC', new Date('1900-06-01T00:00:00Z'))).toBeNull();
    expect(calculatePreviousRun('0 0 1 1 *', 'UTC', new Date('2025-06-01T00:00:00Z'))?.toISOString()).toBe(
      '2025-01-01T00:00:00.000Z',
    );
    expect(calculatePreviousRun('0 0 1 1 *', 'UTC', new Date('2025-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2025-01-01T00:00:00.000Z',
    );
  });
});
