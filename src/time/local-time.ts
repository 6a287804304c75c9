import { InvalidLocalTimeError } from '../errors.js';
import { DAY_MS, MONTH_NAMES, daysFromCivil, daysInMonth } from './calendar.js';
import { describe } from './validate.js';

/** A wall-clock time of day, as parsed from 'HH:mm'. */
export interface TimeOfDay {
  /** 0-23 */
  hour: number;
  /** 0-59 */
  minute: number;
}

const TIME_OF_DAY = /^(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function fail(field: string, value: unknown, message: string): never {
  throw new InvalidLocalTimeError(
    typeof value === 'string' ? value : describe(value),
    `${field}: ${message}`,
  );
}

function checkTime(field: string, raw: string, hour: number, minute: number, second: number): void {
  if (hour > 23) fail(field, raw, `hour ${hour} in '${raw}' is out of range 00-23`);
  if (minute > 59) fail(field, raw, `minute ${minute} in '${raw}' is out of range 00-59`);
  if (second > 59) fail(field, raw, `second ${second} in '${raw}' is out of range 00-59`);
}

function checkDate(field: string, raw: string, year: number, month: number, day: number): void {
  if (year < 1900) fail(field, raw, `year ${year} in '${raw}' is before 1900, the earliest supported year`);
  if (month < 1 || month > 12) fail(field, raw, `month ${month} in '${raw}' is out of range 01-12`);
  const dim = daysInMonth(year, month);
  if (day < 1 || day > dim) {
    fail(field, raw, `'${raw}' is not a real date (${MONTH_NAMES[month - 1]} ${year} has ${dim} days)`);
  }
}

/**
 * Parses a strict 24-hour 'HH:mm' time of day ('09:00', '23:59').
 *
 * @param field - named in the error message, e.g. 'sendTime'.
 * @throws InvalidLocalTimeError when the value is not a string of that form or is out of range.
 */
export function parseTimeOfDay(value: unknown, field = 'timeOfDay'): TimeOfDay {
  if (typeof value !== 'string')
    fail(field, value, `must be a string in the form HH:mm, got ${describe(value)}`);
  const m = TIME_OF_DAY.exec(value);
  if (!m) fail(field, value, `'${value}' is not a time of day in the form HH:mm (24-hour, e.g. 09:00)`);
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  checkTime(field, value, hour, minute, 0);
  return { hour, minute };
}

/** Local midnight (local milliseconds) of a strict 'YYYY-MM-DD' date. */
export function parseLocalDate(value: unknown, field: string): number {
  if (typeof value !== 'string')
    fail(field, value, `must be a string in the form YYYY-MM-DD, got ${describe(value)}`);
  const m = LOCAL_DATE.exec(value);
  if (!m) fail(field, value, `'${value}' is not a date in the form YYYY-MM-DD`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  checkDate(field, value, year, month, day);
  return daysFromCivil(year, month, day) * DAY_MS;
}

/** Local milliseconds of a strict 'YYYY-MM-DDTHH:mm' or 'YYYY-MM-DDTHH:mm:ss' wall-clock reading. */
export function parseLocalDateTime(value: unknown, field: string): number {
  if (typeof value !== 'string') {
    fail(field, value, `must be a string in the form YYYY-MM-DDTHH:mm[:ss], got ${describe(value)}`);
  }
  const m = LOCAL_DATE_TIME.exec(value);
  if (!m) fail(field, value, `'${value}' is not a local date-time in the form YYYY-MM-DDTHH:mm[:ss]`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  checkDate(field, value, year, month, day);
  checkTime(field, value, hour, minute, second);
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000;
}
