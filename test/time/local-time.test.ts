import { describe, expect, it } from 'vitest';
import { InvalidLocalTimeError, InvalidTimezoneError, ValidationError } from '../../src/errors.js';
import {
  assertValidTimezone,
  calculateStepSendTime,
  getUtcTimeForLocal,
  isValidTimezone,
  nextLocalTime,
  parseTimeOfDay,
  resolveLocalDateTime,
  toLocalDateTime,
} from '../../src/time/index.js';

const NY = 'America/New_York';
const iso = (d: Date): string => d.toISOString();

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('timezones', () => {
  it.each([
    'UTC',
    'Etc/UTC',
    'GMT',
    'Etc/GMT-14',
    'Etc/GMT+12',
    'America/New_York',
    'America/Argentina/Buenos_Aires',
    'US/Eastern', // backward-compatible link
    'Asia/Calcutta', // old name of Asia/Kolkata
    'Europe/Kiev',
    'Europe/Kyiv',
    'EST5EDT',
  ])('accepts %j', (zone) => {
    expect(isValidTimezone(zone)).toBe(true);
    expect(() => assertValidTimezone(zone)).not.toThrow();
  });

  it('accepts every zone the platform lists', () => {
    expect(Intl.supportedValuesOf('timeZone').filter((z) => !isValidTimezone(z))).toEqual([]);
  });

  it.each([
    ['Europe/Berln', "unknown timezone 'Europe/Berln'; did you mean 'Europe/Berlin'?"],
    ['europe/berlin', "unknown timezone 'europe/berlin'; did you mean 'Europe/Berlin'?"],
    ['America/New York', "unknown timezone 'America/New York'; did you mean 'America/New_York'?"],
    [' UTC', "unknown timezone ' UTC'; did you mean 'UTC'?"],
    [
      'Mars/Olympus_Mons',
      "unknown timezone 'Mars/Olympus_Mons' (expected an IANA zone name such as 'Europe/Berlin')",
    ],
    [
      '+05:30',
      "unknown timezone '+05:30': fixed UTC offsets are not accepted; use an IANA zone name such as 'Asia/Kolkata', or 'UTC'",
    ],
    [
      'UTC+1',
      "unknown timezone 'UTC+1': fixed UTC offsets are not accepted; use an IANA zone name such as 'Asia/Kolkata', or 'UTC'",
    ],
    [
      'GMT-03:00',
      "unknown timezone 'GMT-03:00': fixed UTC offsets are not accepted; use an IANA zone name such as 'Asia/Kolkata', or 'UTC'",
    ],
    [
      'Z',
      "unknown timezone 'Z': fixed UTC offsets are not accepted; use an IANA zone name such as 'Asia/Kolkata', or 'UTC'",
    ],
    ['', 'timezone must not be empty'],
    ['   ', 'timezone must not be empty'],
  ])('rejects %j', (zone, message) => {
    expect(isValidTimezone(zone)).toBe(false);
    const error = thrown(() => assertValidTimezone(zone));
    expect(error).toBeInstanceOf(InvalidTimezoneError);
    expect(error.message).toBe(message);
    expect((error as InvalidTimezoneError).timezone).toBe(zone);
  });

  it.each([
    [42, 'timezone must be a string (an IANA zone name), got 42'],
    [null, 'timezone must be a string (an IANA zone name), got null'],
    [undefined, 'timezone must be a string (an IANA zone name), got undefined'],
    [{}, 'timezone must be a string (an IANA zone name), got an object'],
  ])('rejects the non-string %j', (zone, message) => {
    expect(isValidTimezone(zone)).toBe(false);
    expect(thrown(() => assertValidTimezone(zone)).message).toBe(message);
  });

  it('every function that takes a zone rejects an unknown one the same way', () => {
    for (const call of [
      () => getUtcTimeForLocal('2025-01-01T00:00', 'Europe/Berln'),
      () => toLocalDateTime(new Date(0), 'Europe/Berln'),
      () => nextLocalTime('09:00', 'Europe/Berln', new Date(0)),
      () =>
        calculateStepSendTime({ base: new Date(0), timezone: 'Europe/Berln', delayDays: 0, delayHours: 0 }),
    ]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(InvalidTimezoneError);
      expect(error.message).toBe("unknown timezone 'Europe/Berln'; did you mean 'Europe/Berlin'?");
    }
  });
});

describe('getUtcTimeForLocal', () => {
  it.each([
    ['2025-06-01T09:00', NY, '2025-06-01T13:00:00.000Z'],
    ['2025-06-01T09:00:30', NY, '2025-06-01T13:00:30.000Z'],
    ['2025-03-09T02:00', NY, '2025-03-09T07:00:00.000Z'], // gap start → 03:00 EDT
    ['2025-03-09T02:30', NY, '2025-03-09T07:30:00.000Z'], // in the gap → 03:30 EDT
    ['2025-03-09T02:59:59', NY, '2025-03-09T07:59:59.000Z'],
    ['2025-03-09T03:00', NY, '2025-03-09T07:00:00.000Z'], // the same instant as 02:00
    ['2025-11-02T01:30', NY, '2025-11-02T05:30:00.000Z'], // overlap → EDT, the earlier offset
    ['2025-11-02T01:00', NY, '2025-11-02T05:00:00.000Z'],
    ['2025-11-02T02:00', NY, '2025-11-02T07:00:00.000Z'],
    ['2025-10-05T02:15', 'Australia/Lord_Howe', '2025-10-04T15:45:00.000Z'], // 30-minute gap
    ['2026-04-05T01:45', 'Australia/Lord_Howe', '2026-04-04T14:45:00.000Z'], // 30-minute overlap
    ['2025-06-01T09:00', 'Asia/Kathmandu', '2025-06-01T03:15:00.000Z'],
    ['2025-03-30T02:00', 'Antarctica/Troll', '2025-03-30T02:00:00.000Z'], // 2-hour gap
    ['2025-09-07T00:00', 'America/Santiago', '2025-09-07T04:00:00.000Z'], // midnight in the gap
    ['2025-04-05T23:30', 'America/Santiago', '2025-04-06T02:30:00.000Z'], // overlap before midnight
    ['2025-03-30T01:30', 'Europe/Dublin', '2025-03-30T01:30:00.000Z'], // gap 01:00-02:00 → 02:30 IST
    ['2025-10-26T01:30', 'Europe/Dublin', '2025-10-26T00:30:00.000Z'], // overlap → IST (+01)
    ['2024-02-29T12:00', 'UTC', '2024-02-29T12:00:00.000Z'],
  ])('%s in %s is %s', (local, zone, expected) => {
    expect(iso(getUtcTimeForLocal(local, zone))).toBe(expected);
  });

  it.each([
    ['2025-02-30T09:00', "localDateTime: '2025-02-30T09:00' is not a real date (February 2025 has 28 days)"],
    ['2025-02-29T09:00', "localDateTime: '2025-02-29T09:00' is not a real date (February 2025 has 28 days)"],
    ['2025-13-01T09:00', "localDateTime: month 13 in '2025-13-01T09:00' is out of range 01-12"],
    ['2025-03-09T24:00', "localDateTime: hour 24 in '2025-03-09T24:00' is out of range 00-23"],
    ['2025-03-09T02:60', "localDateTime: minute 60 in '2025-03-09T02:60' is out of range 00-59"],
    ['2025-03-09T02:30:60', "localDateTime: second 60 in '2025-03-09T02:30:60' is out of range 00-59"],
    [
      '2025-03-09 02:30',
      "localDateTime: '2025-03-09 02:30' is not a local date-time in the form YYYY-MM-DDTHH:mm[:ss]",
    ],
    [
      '2025-03-09T02:30Z',
      "localDateTime: '2025-03-09T02:30Z' is not a local date-time in the form YYYY-MM-DDTHH:mm[:ss]",
    ],
    [
      '2025-3-9T2:30',
      "localDateTime: '2025-3-9T2:30' is not a local date-time in the form YYYY-MM-DDTHH:mm[:ss]",
    ],
    [
      '1899-12-31T00:00',
      "localDateTime: year 1899 in '1899-12-31T00:00' is before 1900, the earliest supported year",
    ],
    ['', "localDateTime: '' is not a local date-time in the form YYYY-MM-DDTHH:mm[:ss]"],
  ])('rejects %j', (local, message) => {
    const error = thrown(() => getUtcTimeForLocal(local, NY));
    expect(error).toBeInstanceOf(InvalidLocalTimeError);
    expect(error.message).toBe(message);
  });

  it('rejects a non-string', () => {
    const error = thrown(() => getUtcTimeForLocal(20250101 as unknown as string, NY));
    expect(error).toBeInstanceOf(InvalidLocalTimeError);
    expect(error.message).toBe(
      'localDateTime: must be a string in the form YYYY-MM-DDTHH:mm[:ss], got 20250101',
    );
  });
});

describe('resolveLocalDateTime', () => {
  it('says whether the reading was exact, in a gap or in an overlap', () => {
    expect(resolveLocalDateTime('2025-06-01T09:00', NY)).toEqual({
      instant: new Date('2025-06-01T13:00:00Z'),
      kind: 'exact',
    });
    expect(resolveLocalDateTime('2025-03-09T02:30', NY)).toEqual({
      instant: new Date('2025-03-09T07:30:00Z'),
      kind: 'gap',
    });
    expect(resolveLocalDateTime('2025-11-02T01:30', NY)).toEqual({
      instant: new Date('2025-11-02T05:30:00Z'),
      kind: 'overlap',
      laterInstant: new Date('2025-11-02T06:30:00Z'),
    });
    expect(resolveLocalDateTime('2026-04-05T01:45', 'Australia/Lord_Howe')).toEqual({
      instant: new Date('2026-04-04T14:45:00Z'),
      kind: 'overlap',
      laterInstant: new Date('2026-04-04T15:15:00Z'),
    });
    // The edges: the first reading after a gap and the first reading of an overlap's second pass.
    expect(resolveLocalDateTime('2025-03-09T03:00', NY).kind).toBe('exact');
    expect(resolveLocalDateTime('2025-11-02T01:00', NY).kind).toBe('overlap');
    expect(resolveLocalDateTime('2025-11-02T02:00', NY).kind).toBe('exact');
  });
});

describe('toLocalDateTime', () => {
  it('reads the wall clock, in both passes of an overlap', () => {
    expect(toLocalDateTime(new Date('2025-11-02T05:30:00Z'), NY)).toBe('2025-11-02T01:30:00');
    expect(toLocalDateTime(new Date('2025-11-02T06:30:00.999Z'), NY)).toBe('2025-11-02T01:30:00');
    expect(toLocalDateTime(new Date('2025-03-09T07:00:00Z'), NY)).toBe('2025-03-09T03:00:00');
    expect(toLocalDateTime(new Date('2025-06-01T00:00:00Z'), 'Pacific/Kiritimati')).toBe(
      '2025-06-01T14:00:00',
    );
    expect(toLocalDateTime(new Date('2025-06-01T00:00:00Z'), 'Pacific/Chatham')).toBe('2025-06-01T12:45:00');
  });

  it('validates the instant', () => {
    expect(thrown(() => toLocalDateTime(new Date(Number.NaN), NY)).message).toBe(
      'instant: must be a valid Date, got an Invalid Date',
    );
    const error = thrown(() => toLocalDateTime('2025-01-01' as unknown as Date, NY));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe("instant: must be a Date, got '2025-01-01'");
  });
});

describe('parseTimeOfDay', () => {
  it('parses HH:mm', () => {
    expect(parseTimeOfDay('09:05')).toEqual({ hour: 9, minute: 5 });
    expect(parseTimeOfDay('00:00')).toEqual({ hour: 0, minute: 0 });
    expect(parseTimeOfDay('23:59')).toEqual({ hour: 23, minute: 59 });
  });

  it.each([
    ['9:00', "timeOfDay: '9:00' is not a time of day in the form HH:mm (24-hour, e.g. 09:00)"],
    ['09:00:00', "timeOfDay: '09:00:00' is not a time of day in the form HH:mm (24-hour, e.g. 09:00)"],
    ['24:00', "timeOfDay: hour 24 in '24:00' is out of range 00-23"],
    ['12:60', "timeOfDay: minute 60 in '12:60' is out of range 00-59"],
    ['9am', "timeOfDay: '9am' is not a time of day in the form HH:mm (24-hour, e.g. 09:00)"],
  ])('rejects %j', (value, message) => {
    const error = thrown(() => parseTimeOfDay(value));
    expect(error).toBeInstanceOf(InvalidLocalTimeError);
    expect(error.message).toBe(message);
    expect((error as InvalidLocalTimeError).value).toBe(value);
  });

  it('names the field it is given', () => {
    expect(thrown(() => parseTimeOfDay(900, 'sendTime')).message).toBe(
      'sendTime: must be a string in the form HH:mm, got 900',
    );
  });
});

describe('nextLocalTime', () => {
  it("today's time if it is still ahead, else the next local date's", () => {
    const after = new Date('2025-06-01T12:00:00Z'); // 17:45 in Kathmandu
    expect(iso(nextLocalTime('18:00', 'Asia/Kathmandu', after))).toBe('2025-06-01T12:15:00.000Z');
    expect(iso(nextLocalTime('09:00', 'Asia/Kathmandu', after))).toBe('2025-06-02T03:15:00.000Z');
  });

  it('is inclusive unless strict', () => {
    const at = new Date('2025-06-01T13:00:00Z'); // 09:00 EDT
    expect(iso(nextLocalTime('09:00', NY, at))).toBe('2025-06-01T13:00:00.000Z');
    expect(iso(nextLocalTime('09:00', NY, at, { strict: true }))).toBe('2025-06-02T13:00:00.000Z');
  });

  it('starts from a given local date, rolling forward when that date has passed', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    expect(iso(nextLocalTime('09:00', NY, now, { localDate: '2025-06-10' }))).toBe(
      '2025-06-10T13:00:00.000Z',
    );
    expect(iso(nextLocalTime('09:00', 'Asia/Tokyo', now, { localDate: '2025-06-01' }))).toBe(
      '2025-06-02T00:00:00.000Z',
    );
    expect(iso(nextLocalTime('09:00', NY, now, { localDate: '2020-01-01' }))).toBe(
      '2025-06-01T13:00:00.000Z',
    );
  });

  it('resolves by the gap/overlap rule, once per local date', () => {
    expect(iso(nextLocalTime('02:30', NY, new Date('2025-03-09T05:00:00Z')))).toBe(
      '2025-03-09T07:30:00.000Z',
    );
    // 01:45 EDT on the overlap night: today's 01:30 (EDT) has passed; the EST repeat is not a new occurrence.
    expect(iso(nextLocalTime('01:30', NY, new Date('2025-11-02T05:45:00Z')))).toBe(
      '2025-11-03T06:30:00.000Z',
    );
  });

  it('validates its inputs', () => {
    expect(thrown(() => nextLocalTime('9:00', NY, new Date(0))).message).toBe(
      "timeOfDay: '9:00' is not a time of day in the form HH:mm (24-hour, e.g. 09:00)",
    );
    expect(thrown(() => nextLocalTime('09:00', NY, new Date(0), { localDate: '2025-02-30' })).message).toBe(
      "localDate: '2025-02-30' is not a real date (February 2025 has 28 days)",
    );
    expect(thrown(() => nextLocalTime('09:00', NY, new Date(0), { localDate: '2025/02/03' })).message).toBe(
      "localDate: '2025/02/03' is not a date in the form YYYY-MM-DD",
    );
    expect(thrown(() => nextLocalTime('09:00', NY, new Date(Number.NaN))).message).toBe(
      'after: must be a valid Date, got an Invalid Date',
    );
  });
});
