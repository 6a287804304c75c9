import { CronExpressionParser } from 'cron-parser';
import { InvalidCronError } from '../errors.js';
import { MONTH_NAMES, civilFromDays, daysFromCivil, daysInMonth, weekdayOfDays } from './calendar.js';
import { describe } from './validate.js';

/**
 * How a schedule treats daylight-saving transitions.
 *
 * - `fixed-time`: the second, minute and hour fields are each a single value or a list of
 *   single values (`30 1 * * *`, `0 9,17 * * 1-5`). Each listed time fires once on every
 *   matching local date; a time inside a spring-forward gap fires at the gap's end shifted by
 *   the same amount (02:30 → 03:30), a time inside a fall-back overlap fires in the first
 *   pass only.
 * - `elapsed-time`: any of those fields uses `*`, a range or a step (`*\/15 * * * *`,
 *   `0 *\/2 * * *`, `0 9-17 * * *`). It fires at every instant whose wall-clock reading
 *   matches: in both passes of a repeated hour, and never inside a gap.
 */
export type CronScheduleKind = 'fixed-time' | 'elapsed-time';

/** A parsed, validated expression in the form the search runs on. */
export interface CompiledCron {
  readonly expression: string;
  readonly kind: CronScheduleKind;
  /** Bit m (1-12) set for each allowed month. */
  readonly monthMask: number;
  /**
   * Bit d (1-31) set for each matching day, indexed by `weekdayOfThe1st * 4 + (daysInMonth - 28)`.
   * Every day-of-month / day-of-week rule (lists, L, W, #, the either-matches rule) depends
   * only on those two numbers, so 28 masks describe the whole day logic.
   */
  readonly dayTable: Int32Array;
  /** nextX[v] = smallest allowed value ≥ v, or -1; one extra slot past the field's end. */
  readonly nextHour: Int8Array;
  readonly nextMinute: Int8Array;
  readonly nextSecond: Int8Array;
  readonly firstMinute: number;
  readonly firstSecond: number;
}

type FieldKey = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

interface FieldSpec {
  key: FieldKey;
  label: string;
  min: number;
  max: number;
  names?: ReadonlyMap<string, number>;
}

const MONTH_ALIASES = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((n, i) => [
    n,
    i + 1,
  ]),
);
const WEEKDAY_ALIASES = new Map(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((n, i) => [n, i]));

const SPECS: readonly FieldSpec[] = [
  { key: 'second', label: 'second', min: 0, max: 59 },
  { key: 'minute', label: 'minute', min: 0, max: 59 },
  { key: 'hour', label: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', label: 'day-of-month', min: 1, max: 31 },
  { key: 'month', label: 'month', min: 1, max: 12, names: MONTH_ALIASES },
  { key: 'dayOfWeek', label: 'day-of-week', min: 0, max: 7, names: WEEKDAY_ALIASES },
];

const MACROS: ReadonlyMap<string, string> = new Map([
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
  ['@monthly', '0 0 1 * *'],
  ['@weekly', '0 0 * * 0'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@hourly', '0 * * * *'],
]);

const MAX_EXPRESSION_LENGTH = 1024;

/** A day-of-month `W` form, which cron-parser does not know and is therefore evaluated here. */
type WeekdayRule = { kind: 'nearest'; day: number } | { kind: 'last' };

interface ParsedField {
  spec: FieldSpec;
  raw: string;
  /** `*` or `?`: for the day fields, "not restricted" in the either-matches rule. */
  wildcard: boolean;
  /** Every entry is a single number: what makes the time fields "fixed". */
  plain: boolean;
  /** Entries normalised for cron-parser (names → numbers, `mon-sun` → `1-7`). */
  entries: string[];
  weekdayRule?: WeekdayRule;
}

class FieldError extends Error {}

function fieldFail(message: string): never {
  throw new FieldError(message);
}

function parseAtom(spec: FieldSpec, text: string, entry: string): number {
  let value: number;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else if (/^[a-z]+$/.test(text)) {
    const named = spec.names?.get(text);
    if (named === undefined) {
      if (spec.key === 'month') fieldFail(`'${text}' is not a month name (jan-dec)`);
      if (spec.key === 'dayOfWeek') fieldFail(`'${text}' is not a weekday name (sun-sat)`);
      fieldFail(`'${entry}' is not a number`);
    }
    value = named;
  } else {
    fieldFail(`'${entry}' is not a valid entry`);
  }
  if (value < spec.min || value > spec.max) {
    const note = spec.key === 'dayOfWeek' ? ' (0 and 7 are Sunday)' : '';
    fieldFail(`${value} is out of range ${spec.min}-${spec.max}${note}`);
  }
  return value;
}

function parseStep(text: string, entry: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    fieldFail(`step '${text}' in '${entry}' must be a positive integer`);
  }
  return Number(text);
}

/** Validates one comma-separated entry and returns it normalised for cron-parser. */
function parseEntry(spec: FieldSpec, original: string): { text: string; plain: boolean } {
  const entry = original.toLowerCase();
  if (entry === '') fieldFail('empty entry in list');
  if (entry === 'h' || entry.startsWith('h(') || entry.startsWith('h/')) {
    fieldFail(`hashed values ('${original}') are not supported`);
  }
  if (entry.includes('?')) fieldFail(`'?' must be the whole field, and only in day-of-month or day-of-week`);
  if (spec.key === 'dayOfMonth' && entry.includes('w')) {
    fieldFail(`'W' must be the whole day-of-month field: a single day such as 15W, or LW`);
  }
  if (entry.includes('#')) {
    if (spec.key !== 'dayOfWeek') fieldFail(`'#' is only allowed in the day-of-week field`);
    const m = /^([a-z0-9]+)#(\d+)$/.exec(entry);
    if (!m?.[1] || !m[2]) {
      if (/[-/]/.test(entry)) fieldFail(`'#' takes a single weekday, not a range or step ('${original}')`);
      fieldFail(`'${original}' is not weekday#n (e.g. 1#2 for the second Monday)`);
    }
    const weekday = parseAtom(spec, m[1], original);
    const nth = Number(m[2]);
    if (nth < 1 || nth > 5) fieldFail(`occurrence ${nth} in '${original}' is out of range 1-5`);
    return { text: `${weekday % 7}#${nth}`, plain: false };
  }
  if (spec.key === 'dayOfWeek' && entry.endsWith('l')) {
    if (entry === 'l')
      fieldFail(`'L' needs a weekday before it in the day-of-week field (e.g. 5L = last Friday)`);
    const weekday = parseAtom(spec, entry.slice(0, -1), original);
    return { text: `${weekday}L`, plain: false };
  }
  if (spec.key === 'dayOfMonth' && entry.includes('l')) {
    if (entry !== 'l')
      fieldFail(
        `'L' must stand alone in a list entry ('${original}'; offsets such as L-2 are not supported)`,
      );
    return { text: 'L', plain: false };
  }
  const parts = entry.split('/');
  if (parts.length > 2) fieldFail(`'${original}' has more than one '/'`);
  const base = parts[0] ?? '';
  const step = parts[1] === undefined ? undefined : parseStep(parts[1], original);
  const stepText = step === undefined ? '' : `/${step}`;
  if (base === '*') return { text: `*${stepText}`, plain: false };
  if (base.includes('-')) {
    const bounds = base.split('-');
    if (bounds.length !== 2 || !bounds[0] || !bounds[1]) fieldFail(`'${original}' is not a valid range`);
    const low = parseAtom(spec, bounds[0], original);
    let high = parseAtom(spec, bounds[1], original);
    // `mon-sun` / `5-0`: a weekday range ending on Sunday means the Sunday that ends the week.
    if (spec.key === 'dayOfWeek' && high === 0 && low > 0) high = 7;
    if (low > high)
      fieldFail(`range ${bounds[0]}-${bounds[1]} is reversed (the start must not be after the end)`);
    return { text: `${low}-${high}${stepText}`, plain: false };
  }
  if (base === '') fieldFail(`'${original}' is missing a value before '/'`);
  const value = parseAtom(spec, base, original);
  return { text: `${value}${stepText}`, plain: step === undefined };
}

function parseField(spec: FieldSpec, raw: string): ParsedField {
  if (raw === '*') return { spec, raw, wildcard: true, plain: false, entries: ['*'] };
  if (raw === '?') {
    if (spec.key !== 'dayOfMonth' && spec.key !== 'dayOfWeek') {
      fieldFail(`'?' is only allowed in the day-of-month and day-of-week fields`);
    }
    return { spec, raw, wildcard: true, plain: false, entries: ['*'] };
  }
  if (spec.key === 'dayOfMonth') {
    const lower = raw.toLowerCase();
    if (lower === 'lw')
      return { spec, raw, wildcard: false, plain: false, entries: [], weekdayRule: { kind: 'last' } };
    const nearest = /^(\d+)w$/.exec(lower);
    if (nearest?.[1]) {
      const day = Number(nearest[1]);
      if (day < 1 || day > 31) fieldFail(`${day} is out of range 1-31`);
      return { spec, raw, wildcard: false, plain: false, entries: [], weekdayRule: { kind: 'nearest', day } };
    }
  }
  const entries: string[] = [];
  let plain = true;
  for (const item of raw.split(',')) {
    const parsed = parseEntry(spec, item);
    entries.push(parsed.text);
    plain &&= parsed.plain;
  }
  return { spec, raw, wildcard: false, plain, entries };
}

interface FieldValues {
  numbers: number[];
  /** Day-of-month `L`. */
  last: boolean;
  /** Day-of-week `nL`: bit per weekday. */
  lastWeekdays: number;
  /** Day-of-week `n#k`: the k. */
  nth: number;
}

/**
 * Expands one normalised entry with cron-parser. Entries are expanded one at a time (the
 * other five fields `*`) and unioned here, because cron-parser rejects overlapping list
 * entries (`0-10,5`, `0,7` for Sunday) that cron has always accepted.
 */
function expandEntry(index: number, key: FieldKey, entry: string): FieldValues {
  const fields = ['*', '*', '*', '*', '*', '*'];
  fields[index] = entry;
  const all = CronExpressionParser.parse(fields.join(' ')).fields;
  const field = all[key];
  const result: FieldValues = { numbers: [], last: false, lastWeekdays: 0, nth: 0 };
  for (const value of field.values as readonly unknown[]) {
    if (typeof value === 'number') result.numbers.push(value);
    else if (value === 'L') result.last = true;
    else if (typeof value === 'string' && /^[0-7]L$/.test(value))
      result.lastWeekdays |= 1 << (Number(value[0]) % 7);
    else throw new FieldError(`'${entry}' expanded to an unexpected value ${describe(value)}`);
  }
  if (key === 'dayOfWeek') result.nth = all.dayOfWeek.nthDay;
  return result;
}

function nextTable(allowed: readonly boolean[], size: number): Int8Array {
  const table = new Int8Array(size + 1).fill(-1);
  for (let v = size - 1; v >= 0; v--) table[v] = allowed[v] ? v : (table[v + 1] ?? -1);
  return table;
}

function compile(expression: string): CompiledCron {
  const source = expression.trim();
  if (source === '') throw new InvalidCronError(expression, 'cron expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new InvalidCronError(
      expression,
      `cron expression is too long (over ${MAX_EXPRESSION_LENGTH} characters)`,
    );
  }
  let text = source;
  if (text.startsWith('@')) {
    const macro = MACROS.get(text.toLowerCase());
    if (macro === undefined) {
      throw new InvalidCronError(
        expression,
        `unknown macro '${text}'; supported: ${[...MACROS.keys()].join(', ')}`,
      );
    }
    text = macro;
  }
  const raw = text.split(/\s+/);
  if (raw.length !== 5 && raw.length !== 6) {
    throw new InvalidCronError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, got ${raw.length}`,
    );
  }
  if (raw.length === 5) raw.unshift('0');

  const parsed: ParsedField[] = [];
  for (const [i, spec] of SPECS.entries()) {
    const fieldText = raw[i] ?? '';
    try {
      parsed.push(parseField(spec, fieldText));
    } catch (error) {
      if (error instanceof FieldError) {
        throw new InvalidCronError(expression, `${spec.label} field: ${error.message}`);
      }
      throw error;
    }
  }

  const sets = SPECS.map(() => [] as boolean[]);
  let domLast = false;
  let lastWeekdays = 0;
  const weekdayNths = [0, 0, 0, 0, 0, 0, 0];
  for (const [i, field] of parsed.entries()) {
    const set = sets[i] ?? [];
    const { min, max, key } = field.spec;
    if (field.wildcard) {
      for (let v = min; v <= max; v++) set[v] = true;
      if (key === 'dayOfWeek') weekdayNths.fill(0b11111);
      continue;
    }
    for (const entry of field.entries) {
      let values: FieldValues;
      try {
        values = expandEntry(i, key, entry);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new InvalidCronError(
          expression,
          `${field.spec.label} field: '${entry}' was rejected: ${reason}`,
        );
      }
      domLast ||= values.last;
      lastWeekdays |= values.lastWeekdays;
      for (const v of values.numbers) {
        if (key === 'dayOfWeek') {
          const weekday = v % 7;
          weekdayNths[weekday] = (weekdayNths[weekday] ?? 0) | (values.nth ? 1 << (values.nth - 1) : 0b11111);
        } else {
          set[v] = true;
        }
      }
    }
  }

  const [secondField, minuteField, hourField, domField, monthField, dowField] = parsed as [
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
  ];
  let monthMask = 0;
  for (let m = 1; m <= 12; m++) if (sets[4]?.[m]) monthMask |= 1 << m;
  let domMask = 0;
  for (let d = 1; d <= 31; d++) if (sets[3]?.[d]) domMask |= 1 << d;

  const dayTable = buildDayTable({
    domMask,
    domLast,
    weekdayRule: domField.weekdayRule,
    domRestricted: !domField.wildcard,
    weekdayNths,
    lastWeekdays,
    dowRestricted: !dowField.wildcard,
  });
  if (!canEverMatch(monthMask, dayTable)) {
    throw new InvalidCronError(expression, neverFiresMessage(domField, monthField, dowField, monthMask));
  }

  const nextSecond = nextTable(sets[0] ?? [], 60);
  const nextMinute = nextTable(sets[1] ?? [], 60);
  const nextHour = nextTable(sets[2] ?? [], 24);
  return {
    expression: source,
    kind: secondField.plain && minuteField.plain && hourField.plain ? 'fixed-time' : 'elapsed-time',
    monthMask,
    dayTable,
    nextHour,
    nextMinute,
    nextSecond,
    firstMinute: nextMinute[0] ?? 0,
    firstSecond: nextSecond[0] ?? 0,
  };
}

interface DayRules {
  domMask: number;
  domLast: boolean;
  weekdayRule: WeekdayRule | undefined;
  domRestricted: boolean;
  weekdayNths: readonly number[];
  lastWeekdays: number;
  dowRestricted: boolean;
}

function buildDayTable(rules: DayRules): Int32Array {
  const table = new Int32Array(28);
  for (let firstWeekday = 0; firstWeekday < 7; firstWeekday++) {
    for (let dim = 28; dim <= 31; dim++) {
      const weekdayOf = (day: number): number => (firstWeekday + day - 1) % 7;
      let dom = rules.domMask & (dim === 31 ? ~1 : ((1 << (dim + 1)) - 1) & ~1);
      if (rules.domLast) dom |= 1 << dim;
      const rule = rules.weekdayRule;
      if (rule) {
        // Quartz's W: the weekday nearest the given day without leaving the month (a Saturday
        // 1st moves to Monday the 3rd, a Sunday last day back to Friday); LW is the last
        // weekday. A day the month does not have matches nothing that month.
        let day = rule.kind === 'last' ? dim : rule.day;
        if (day <= dim) {
          const weekday = weekdayOf(day);
          if (weekday === 6) day = day === 1 ? 3 : day - 1;
          else if (weekday === 0) day = day === dim ? day - 2 : day + 1;
          dom |= 1 << day;
        }
      }
      let dow = 0;
      for (let day = 1; day <= dim; day++) {
        const weekday = weekdayOf(day);
        const nth = Math.ceil(day / 7);
        if (((rules.weekdayNths[weekday] ?? 0) >> (nth - 1)) & 1) dow |= 1 << day;
        if ((rules.lastWeekdays >> weekday) & 1 && day + 7 > dim) dow |= 1 << day;
      }
      // Vixie cron: when both day fields are restricted, a day matching either one matches.
      let days: number;
      if (rules.domRestricted && rules.dowRestricted) days = dom | dow;
      else if (rules.dowRestricted) days = dow;
      else days = dom;
      table[firstWeekday * 4 + dim - 28] = days;
    }
  }
  return table;
}

/**
 * Every (month, length, weekday of the 1st) combination occurs within a 400-year Gregorian
 * cycle (a 29-day February starts on every weekday in some leap year), so an expression whose
 * masks match some day of some allowed combination fires within 400 years — and one that
 * matches none never fires and is rejected here instead of searched for.
 */
function canEverMatch(monthMask: number, dayTable: Int32Array): boolean {
  for (let month = 1; month <= 12; month++) {
    if (!((monthMask >> month) & 1)) continue;
    const lengths = month === 2 ? [28, 29] : [daysInMonth(2001, month)];
    for (const dim of lengths) {
      for (let firstWeekday = 0; firstWeekday < 7; firstWeekday++) {
        if (dayTable[firstWeekday * 4 + dim - 28]) return true;
      }
    }
  }
  return false;
}

function neverFiresMessage(
  dom: ParsedField,
  month: ParsedField,
  dow: ParsedField,
  monthMask: number,
): string {
  const months: string[] = [];
  for (let m = 1; m <= 12; m++) if ((monthMask >> m) & 1) months.push(MONTH_NAMES[m - 1] ?? String(m));
  const where = months.length <= 4 ? months.join(' or ') : `any month of month field '${month.raw}'`;
  if (dow.wildcard) {
    return `day-of-month field: '${dom.raw}' never occurs in ${where}, so the schedule never fires`;
  }
  return `the schedule never fires: no date matches day-of-month '${dom.raw}', month '${month.raw}' and day-of-week '${dow.raw}'`;
}

const CACHE_LIMIT = 1000;
const cache = new Map<string, CompiledCron>();

/**
 * Parses and validates an expression (cached by its exact text, least recently used
 * evicted). Throws InvalidCronError naming the field and the problem.
 */
export function compileCron(expression: unknown): CompiledCron {
  if (typeof expression !== 'string') {
    throw new InvalidCronError(
      describe(expression),
      `cron expression must be a string, got ${describe(expression)}`,
    );
  }
  const hit = cache.get(expression);
  if (hit) {
    // Re-insert so Map order is recency order and the first key is the least recently used.
    cache.delete(expression);
    cache.set(expression, hit);
    return hit;
  }
  const compiled = compile(expression);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(expression, compiled);
  return compiled;
}

/** True when `expression` is a cron expression {@link assertValidCron} accepts. */
export function isValidCron(expression: unknown): expression is string {
  try {
    compileCron(expression);
    return true;
  } catch (error) {
    if (error instanceof InvalidCronError) return false;
    throw error;
  }
}

/**
 * Throws InvalidCronError unless `expression` is a valid cron expression that fires at
 * least once: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading
 * seconds field, or one of the macros @yearly/@annually/@monthly/@weekly/@daily/@midnight/
 * @hourly. Fields take numbers, `*`, ranges `a-b`, steps `/n`, lists `,`, month and weekday
 * names (jan-dec, sun-sat; 0 and 7 are Sunday), `?` for a whole day field, and in
 * day-of-month `L` (last day), `15W` (nearest weekday), `LW` (last weekday); in day-of-week
 * `5L` (last Friday) and `1#2` (second Monday; lists allowed). Hashed `H` values are refused
 * (they would differ between processes). The message names the field: "minute field: 61 is
 * out of range 0-59".
 */
export function assertValidCron(expression: unknown): asserts expression is string {
  compileCron(expression);
}

/** Whether an expression is fixed-time or elapsed-time (see {@link CronScheduleKind}). */
export function cronScheduleKind(expression: string): CronScheduleKind {
  return compileCron(expression).kind;
}

const AT_OR_AFTER_DAY = Array.from({ length: 33 }, (_, day) => (day > 31 ? 0 : ~((1 << day) - 1) | 0));

/** Index of the lowest set bit of a non-zero 32-bit mask. */
function lowestBit(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

/** First allowed second-of-day ≥ `secondOfDay`, or -1 when none is left in the day. */
function nextTimeOfDay(c: CompiledCron, secondOfDay: number): number {
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor(secondOfDay / 60) % 60;
  const second = secondOfDay % 60;
  const startOfHour = (h: number): number => (h < 0 ? -1 : h * 3600 + c.firstMinute * 60 + c.firstSecond);
  const h = c.nextHour[hour] ?? -1;
  if (h !== hour) return startOfHour(h);
  const m = c.nextMinute[minute] ?? -1;
  if (m < 0) return startOfHour(c.nextHour[hour + 1] ?? -1);
  if (m !== minute) return hour * 3600 + m * 60 + c.firstSecond;
  const s = c.nextSecond[second] ?? -1;
  if (s >= 0) return hour * 3600 + minute * 60 + s;
  const m2 = c.nextMinute[minute + 1] ?? -1;
  if (m2 >= 0) return hour * 3600 + m2 * 60 + c.firstSecond;
  return startOfHour(c.nextHour[hour + 1] ?? -1);
}

/** Local years the wall-clock search may reach; past it the search reports "none". */
const LAST_SEARCH_YEAR = 10000;

/**
 * The first wall-clock reading (local milliseconds, whole seconds) at or after `localMs`
 * that the expression matches, ignoring zones entirely; Infinity past year 10000. Month by
 * month and then field by field, so a rare expression (Feb 29, a 5th Monday) costs a few
 * dozen steps, not a scan.
 */
export function firstMatchAtOrAfter(c: CompiledCron, localMs: number): number {
  const totalSeconds = Math.ceil(localMs / 1000);
  const startDay = Math.floor(totalSeconds / 86400);
  let secondOfDay = totalSeconds - startDay * 86400;
  let { year, month, day } = civilFromDays(startDay);
  while (year <= LAST_SEARCH_YEAR) {
    if (!((c.monthMask >> month) & 1)) {
      const later = c.monthMask & ~((2 << month) - 1);
      if (later) {
        month = lowestBit(later);
      } else {
        year++;
        month = lowestBit(c.monthMask);
      }
      day = 1;
      secondOfDay = 0;
      continue;
    }
    const firstOfMonth = daysFromCivil(year, month, 1);
    const dim = daysInMonth(year, month);
    const days = (c.dayTable[weekdayOfDays(firstOfMonth) * 4 + dim - 28] ?? 0) & (AT_OR_AFTER_DAY[day] ?? 0);
    if (days === 0) {
      if (month === 12) {
        year++;
        month = 1;
      } else {
        month++;
      }
      day = 1;
      secondOfDay = 0;
      continue;
    }
    const matchDay = lowestBit(days);
    if (matchDay !== day) {
      day = matchDay;
      secondOfDay = 0;
    }
    const time = nextTimeOfDay(c, secondOfDay);
    if (time < 0) {
      day++;
      secondOfDay = 0;
      continue;
    }
    return ((firstOfMonth + day - 1) * 86400 + time) * 1000;
  }
  return Infinity;
}
